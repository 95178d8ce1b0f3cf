/* The /verify answer (upstream dstack/verifier/src/types.rs VerificationResponse):
 * {"is_valid", "details": {...}, "reason"}; byte strings in lowercase hex; boot_info in the
 * camelCase of upstream's PolicyBootInfo. Fields upstream fills from checks dstack-c does not
 * make (acpi_tables_verified, os_image_is_dev, os_image_version) are false/null, and
 * os_image_hash_note says how the OS image was checked, or why it was not. */
#include "dstack_layer.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "json/json.h"
#include "util/error.h"

static bool put_ids(cJSON *o, const char *key, const struct dstack_dcap_report *r, bool ok)
{
    cJSON *ids = cJSON_AddArrayToObject(o, key);
    for (size_t i = 0; ok && ids != NULL && i < r->advisory_count; i++) {
        ok = cJSON_AddItemToArray(ids, cJSON_CreateString(r->advisory_ids[i]));
    }
    return ok && ids != NULL;
}

static bool put_app_info(cJSON *d, const struct dstack_app_identity *a)
{
    static const char *const rt[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    cJSON *o = cJSON_AddObjectToObject(d, "app_info");
    bool ok = o != NULL && json_set_hex(o, "app_id", a->app_id, a->app_id_len) &&
              json_set_hex(o, "compose_hash", a->compose_hash, a->compose_hash_len) &&
              json_set_hex(o, "instance_id", a->instance_id, a->instance_id_len) &&
              json_set_hex(o, "device_id", a->device_id, sizeof a->device_id) &&
              json_set_hex(o, "mrtd", a->mrtd, DSTACK_MR_LEN);
    for (int i = 0; ok && i < 4; i++) {
        ok = json_set_hex(o, rt[i], a->rtmr[i], DSTACK_MR_LEN);
    }
    return ok && json_set_hex(o, "mr_system", a->mr_system, sizeof a->mr_system) &&
           json_set_hex(o, "mr_aggregated", a->mr_aggregated, sizeof a->mr_aggregated) &&
           json_set_hex(o, "os_image_hash", a->os_image_hash, a->os_image_hash_len) &&
           json_set_hex(o, "key_provider_info", a->key_provider_info, a->key_provider_info_len);
}

static bool put_boot_info(cJSON *d, const struct dstack_attestation_result *r)
{
    const struct dstack_app_identity *a = &r->app;
    cJSON *o = cJSON_AddObjectToObject(d, "boot_info");
    return o != NULL && cJSON_AddStringToObject(o, "teeVariant", r->tee_variant) &&
           json_set_hex(o, "mrAggregated", a->mr_aggregated, sizeof a->mr_aggregated) &&
           json_set_hex(o, "osImageHash", a->os_image_hash, a->os_image_hash_len) &&
           json_set_hex(o, "mrSystem", a->mr_system, sizeof a->mr_system) &&
           json_set_hex(o, "appId", a->app_id, a->app_id_len) &&
           json_set_hex(o, "composeHash", a->compose_hash, a->compose_hash_len) &&
           json_set_hex(o, "instanceId", a->instance_id, a->instance_id_len) &&
           json_set_hex(o, "deviceId", a->device_id, sizeof a->device_id) &&
           json_set_hex(o, "keyProviderInfo", a->key_provider_info, a->key_provider_info_len) &&
           cJSON_AddStringToObject(o, "tcbStatus", r->dcap.status) &&
           put_ids(o, "advisoryIds", &r->dcap, true);
}

/* key_provider: the key-provider event's JSON ({"name","id"}) when it is JSON, else null. */
static bool put_key_provider(cJSON *d, const struct dstack_app_identity *a)
{
    cJSON *kp = a->key_provider_info_len ? json_parse((const char *)a->key_provider_info,
                                                      a->key_provider_info_len, 0, NULL)
                                         : NULL;
    if (kp != NULL && !cJSON_IsObject(kp)) {
        json_free(kp);
        kp = NULL;
    }
    return cJSON_AddItemToObject(d, "key_provider", kp != NULL ? kp : cJSON_CreateNull());
}

static bool put_details(cJSON *d, const struct dstack_attestation_result *r)
{
    bool ok = cJSON_AddBoolToObject(d, "quote_verified", r->quote_verified) &&
              cJSON_AddBoolToObject(d, "event_log_verified", r->event_log_verified) &&
              cJSON_AddBoolToObject(d, "os_image_hash_verified", r->os_image_hash_verified) &&
              cJSON_AddBoolToObject(d, "acpi_tables_verified", false) &&
              cJSON_AddNullToObject(d, "os_image_is_dev") &&
              cJSON_AddNullToObject(d, "os_image_version");
    if (ok && r->os_image_note[0] != '\0') {
        ok = cJSON_AddStringToObject(d, "os_image_hash_note", r->os_image_note) != NULL;
    }
    if (ok && !r->quote_verified) {
        return cJSON_AddNullToObject(d, "tee_variant") && cJSON_AddNullToObject(d, "report_data") &&
               cJSON_AddNullToObject(d, "tcb_status") &&
               cJSON_AddArrayToObject(d, "advisory_ids") &&
               cJSON_AddNullToObject(d, "key_provider") && cJSON_AddNullToObject(d, "app_info");
    }
    ok = ok && cJSON_AddStringToObject(d, "tee_variant", r->tee_variant) &&
         json_set_hex(d, "report_data", r->dcap.td.report_data, DSTACK_REPORT_DATA_LEN) &&
         cJSON_AddStringToObject(d, "tcb_status", r->dcap.status) &&
         put_ids(d, "advisory_ids", &r->dcap, true);
    if (ok && !r->has_app_info) {
        return cJSON_AddNullToObject(d, "key_provider") && cJSON_AddNullToObject(d, "app_info");
    }
    return ok && put_key_provider(d, &r->app) && put_app_info(d, &r->app) && put_boot_info(d, r);
}

dstack_err dstack_attestation_result_to_json(const struct dstack_attestation_result *r, char **out)
{
    if (r == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_attestation_result_to_json: no result or output");
    }
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cJSON_AddBoolToObject(o, "is_valid", r->is_valid);
    cJSON *d = ok ? cJSON_AddObjectToObject(o, "details") : NULL;
    ok = d != NULL && put_details(d, r) &&
         (r->reason[0] != '\0' ? cJSON_AddStringToObject(o, "reason", r->reason) != NULL
                               : cJSON_AddNullToObject(o, "reason") != NULL);
    *out = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return *out != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}
