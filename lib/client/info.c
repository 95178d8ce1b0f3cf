/* Info (tcb_info decoded on first access), Version, GpuInfo, reachability (docs/api/Info.md,
 * docs/api/Version.md, docs/sdk.md). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

static void tcb_free(struct dstack_info_tcb *t)
{
    if (t == NULL) {
        return;
    }
    free(t->mrtd);
    for (size_t i = 0; i < 4; i++) {
        free(t->rtmr[i]);
    }
    free(t->mr_aggregated);
    free(t->os_image_hash);
    free(t->compose_hash);
    free(t->device_id);
    free(t->app_compose);
    free(t->event_log);
    free(t);
}

void dstack_info_response_free(struct dstack_info_response *i)
{
    if (i == NULL) {
        return;
    }
    char **fields[] = {
        &i->app_id,        &i->instance_id,   &i->app_cert,      &i->app_name,
        &i->device_id,     &i->mr_aggregated, &i->os_image_hash, &i->key_provider_info,
        &i->compose_hash,  &i->vm_config,     &i->cloud_vendor,  &i->cloud_product,
        &i->tcb_info_json, &i->json};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        free(*fields[k]);
    }
    tcb_free(i->tcb_decoded);
    free(i);
}

/* tcb_info is a JSON text inside the JSON (docs/api/Info.md); "" means the agent hides it. */
static dstack_err tcb_decode(const char *text, struct dstack_info_tcb **out)
{
    *out = NULL;
    struct json_error jerr;
    cJSON *obj = json_parse(text, strlen(text), JSON_DUPS_LAST, &jerr);
    if (!cJSON_IsObject(obj)) {
        json_free(obj);
        return err_set(DSTACK_EPROTO, "tcb_info is not a JSON object: %s", jerr.text);
    }
    dstack_err err = DSTACK_OK;
    struct dstack_info_tcb *t = calloc(1, sizeof *t);
    if (t == NULL) {
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    static const char *const rtmr_keys[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    struct {
        const char *key;
        char **dst;
    } f[] = {{"mrtd", &t->mrtd},
             {"mr_aggregated", &t->mr_aggregated},
             {"os_image_hash", &t->os_image_hash},
             {"compose_hash", &t->compose_hash},
             {"device_id", &t->device_id},
             {"app_compose", &t->app_compose},
             {rtmr_keys[0], &t->rtmr[0]},
             {rtmr_keys[1], &t->rtmr[1]},
             {rtmr_keys[2], &t->rtmr[2]},
             {rtmr_keys[3], &t->rtmr[3]}};
    for (size_t k = 0; k < sizeof f / sizeof f[0] && err == DSTACK_OK; k++) {
        err = jf_string(obj, f[k].key, f[k].dst);
    }
    if (err != DSTACK_OK) {
        goto out;
    }
    const cJSON *ev = json_get(obj, "event_log");
    if (ev != NULL && !cJSON_IsArray(ev)) {
        err = err_set(DSTACK_EPROTO, "tcb_info.event_log is not an array");
        goto out;
    }
    size_t ev_len = 0;
    t->event_log = ev != NULL ? json_member_compact(text, strlen(text), "event_log", &ev_len)
                              : jf_strdup("[]");
    if (t->event_log == NULL) {
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    *out = t;
    t = NULL;
out:
    tcb_free(t);
    json_free(obj);
    return err;
}

dstack_err client_info_from_json(const cJSON *obj, char *text, struct dstack_info_response **out)
{
    struct dstack_info_response *i = calloc(1, sizeof *i);
    if (i == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    i->json = text;
    struct {
        const char *key;
        char **dst;
    } f[] = {{"app_id", &i->app_id},
             {"instance_id", &i->instance_id},
             {"app_cert", &i->app_cert},
             {"app_name", &i->app_name},
             {"device_id", &i->device_id},
             {"mr_aggregated", &i->mr_aggregated},
             {"os_image_hash", &i->os_image_hash},
             {"key_provider_info", &i->key_provider_info},
             {"compose_hash", &i->compose_hash},
             {"vm_config", &i->vm_config},
             {"cloud_vendor", &i->cloud_vendor},
             {"cloud_product", &i->cloud_product},
             {"tcb_info", &i->tcb_info_json}};
    dstack_err err = DSTACK_OK;
    for (size_t k = 0; k < sizeof f / sizeof f[0] && err == DSTACK_OK; k++) {
        err = jf_string(obj, f[k].key, f[k].dst);
    }
    if (err != DSTACK_OK) {
        dstack_info_response_free(i);
        return err;
    }
    *out = i;
    return DSTACK_OK;
}

dstack_err dstack_info_tcb_info(struct dstack_info_response *i, const struct dstack_info_tcb **out)
{
    err_clear();
    if (i == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_info_tcb_info: NULL argument");
    }
    *out = NULL;
    if (i->tcb_decoded == NULL && i->tcb_info_json[0] != '\0') {
        dstack_err err = tcb_decode(i->tcb_info_json, &i->tcb_decoded);
        if (err != DSTACK_OK) {
            return err;
        }
    }
    *out = i->tcb_decoded;
    return DSTACK_OK;
}

dstack_err dstack_info_response_decode(const char *json, struct dstack_info_response **out)
{
    err_clear();
    if (json == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_info_response_decode: NULL argument");
    }
    *out = NULL;
    struct json_error jerr;
    cJSON *obj = json_parse(json, strlen(json), JSON_DUPS_LAST, &jerr);
    if (!cJSON_IsObject(obj)) {
        json_free(obj);
        return err_set(DSTACK_EFORMAT, "Info response is not a JSON object: %s", jerr.text);
    }
    char *text = jf_strdup(json);
    dstack_err err = text == NULL ? err_set(DSTACK_ENOMEM, "out of memory")
                                  : client_info_from_json(obj, text, out);
    json_free(obj);
    const struct dstack_info_tcb *tcb = NULL;
    if (err == DSTACK_OK && (err = dstack_info_tcb_info(*out, &tcb)) != DSTACK_OK) {
        dstack_info_response_free(*out);
        *out = NULL;
    }
    return err;
}

dstack_err dstack_info(struct dstack_client *c, struct dstack_info_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_info: NULL argument");
    }
    *out = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = client_rpc(c, "Info", NULL, 0, &resp, &text);
    if (err == DSTACK_OK) {
        err = client_info_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

void dstack_version_response_free(struct dstack_version_response *v)
{
    if (v != NULL) {
        free(v->version);
        free(v->rev);
        free(v->json);
        free(v);
    }
}

dstack_err dstack_version(struct dstack_client *c, struct dstack_version_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_version: NULL argument");
    }
    *out = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = client_rpc(c, "Version", NULL, 0, &resp, &text);
    if (err != DSTACK_OK) {
        return err;
    }
    err = client_version_from_json(resp, text, out);
    json_free(resp);
    return err;
}

dstack_err client_version_from_json(const cJSON *obj, char *text,
                                    struct dstack_version_response **out)
{
    struct dstack_version_response *v = calloc(1, sizeof *v);
    if (v == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    v->json = text;
    dstack_err err = jf_string(obj, "version", &v->version);
    if (err == DSTACK_OK) {
        err = jf_string(obj, "rev", &v->rev);
    }
    if (err != DSTACK_OK) {
        dstack_version_response_free(v);
        return err;
    }
    *out = v;
    return DSTACK_OK;
}

void dstack_gpu_info_response_free(struct dstack_gpu_info_response *g)
{
    if (g != NULL) {
        free(g->attestation);
        free(g->json);
        free(g);
    }
}

dstack_err dstack_gpu_info(struct dstack_client *c, struct dstack_gpu_info_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_gpu_info: NULL argument");
    }
    *out = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = client_rpc(c, "GpuInfo", NULL, 0, &resp, &text);
    if (err != DSTACK_OK) {
        return err;
    }
    struct dstack_gpu_info_response *g = calloc(1, sizeof *g);
    if (g == NULL) {
        free(text);
        err = err_set(DSTACK_ENOMEM, "out of memory");
    } else {
        g->json = text;
        err = jf_string(resp, "attestation", &g->attestation);
        if (err == DSTACK_OK) {
            *out = g;
        } else {
            dstack_gpu_info_response_free(g);
        }
    }
    json_free(resp);
    return err;
}

/* 2xx + a JSON object within 500 ms (docs/sdk.md); the legacy client probes /prpc/Tappd.Info
 * through its path prefix. */
bool dstack_is_reachable(struct dstack_client *c)
{
    if (c == NULL) {
        return false;
    }
    unsigned t =
        c->timeout_ms < DSTACK_REACHABLE_TIMEOUT_MS ? c->timeout_ms : DSTACK_REACHABLE_TIMEOUT_MS;
    cJSON *resp = NULL;
    dstack_err err = client_rpc(c, "Info", NULL, t, &resp, NULL);
    json_free(resp);
    return err == DSTACK_OK;
}
