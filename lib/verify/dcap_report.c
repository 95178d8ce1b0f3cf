/* A verified report as JSON: the verdict (status, advisory_ids, platform and QE status), the
 * platform (fmspc, ppid) and the report body in hex, named as dcap-qvl's serde output names
 * them (snake_case fields; report type "SgxEnclave", "TD10" or "TD15"). */
#include "dcap.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "json/json.h"

static bool put_td(cJSON *o, const struct dstack_td_report *t)
{
    static const char *const rtmr_names[4] = {"rt_mr0", "rt_mr1", "rt_mr2", "rt_mr3"};
    bool ok = json_set_hex(o, "tee_tcb_svn", t->tee_tcb_svn, sizeof t->tee_tcb_svn) &&
              json_set_hex(o, "mr_seam", t->mr_seam, DSTACK_MR_LEN) &&
              json_set_hex(o, "mr_signer_seam", t->mr_signer_seam, DSTACK_MR_LEN) &&
              json_set_hex(o, "seam_attributes", t->seam_attributes, 8) &&
              json_set_hex(o, "td_attributes", t->td_attributes, 8) &&
              json_set_hex(o, "xfam", t->xfam, 8) &&
              json_set_hex(o, "mr_td", t->mr_td, DSTACK_MR_LEN) &&
              json_set_hex(o, "mr_config_id", t->mr_config_id, DSTACK_MR_LEN) &&
              json_set_hex(o, "mr_owner", t->mr_owner, DSTACK_MR_LEN) &&
              json_set_hex(o, "mr_owner_config", t->mr_owner_config, DSTACK_MR_LEN);
    for (size_t i = 0; ok && i < 4; i++) {
        ok = json_set_hex(o, rtmr_names[i], t->rtmr[i], DSTACK_MR_LEN);
    }
    ok = ok && json_set_hex(o, "report_data", t->report_data, DSTACK_REPORT_DATA_LEN);
    if (ok && t->td15) {
        ok = json_set_hex(o, "tee_tcb_svn2", t->tee_tcb_svn2, 16) &&
             json_set_hex(o, "mr_service_td", t->mr_service_td, DSTACK_MR_LEN);
    }
    return ok;
}

static bool put_sgx(cJSON *o, const struct dstack_sgx_report *s)
{
    return json_set_hex(o, "cpu_svn", s->cpu_svn, 16) &&
           cJSON_AddNumberToObject(o, "misc_select", s->misc_select) &&
           json_set_hex(o, "attributes", s->attributes, 16) &&
           json_set_hex(o, "mr_enclave", s->mr_enclave, 32) &&
           json_set_hex(o, "mr_signer", s->mr_signer, 32) &&
           cJSON_AddNumberToObject(o, "isv_prod_id", s->isv_prod_id) &&
           cJSON_AddNumberToObject(o, "isv_svn", s->isv_svn) &&
           json_set_hex(o, "report_data", s->report_data, DSTACK_REPORT_DATA_LEN);
}

dstack_err dstack_dcap_report_to_json(const struct dstack_dcap_report *r, char **out)
{
    if (r == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_dcap_report_to_json: no report or no output");
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(o, "advisory_ids");
    bool ok = ids != NULL && cJSON_AddStringToObject(o, "status", r->status) &&
              cJSON_AddStringToObject(o, "platform_status", r->platform_status) &&
              cJSON_AddStringToObject(o, "qe_status", r->qe_status) &&
              cJSON_AddNumberToObject(o, "quote_version", r->version) &&
              cJSON_AddStringToObject(o, "tee_type", r->tee_type == DCAP_TEE_TDX ? "TDX" : "SGX") &&
              json_set_hex(o, "fmspc", r->fmspc, DSTACK_FMSPC_LEN) &&
              json_set_hex(o, "ppid", r->ppid, r->ppid_len);
    for (size_t i = 0; ok && i < r->advisory_count; i++) {
        ok = cJSON_AddItemToArray(ids, cJSON_CreateString(r->advisory_ids[i]));
    }
    cJSON *rep = ok ? cJSON_AddObjectToObject(o, "report") : NULL;
    const char *kind = r->kind == DSTACK_REPORT_SGX ? "SgxEnclave" : r->td.td15 ? "TD15" : "TD10";
    ok = rep != NULL && cJSON_AddStringToObject(rep, "type", kind) &&
         (r->kind == DSTACK_REPORT_SGX ? put_sgx(rep, &r->sgx) : put_td(rep, &r->td));
    *out = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return *out != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}
