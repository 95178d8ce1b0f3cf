/* The TCB info document (Intel PCS API v4 "tcbInfo", versions 2 and 3; fields as dcap-qvl
 * src/tcb_info.rs reads them): identity, validity window, FMSPC, the TCB levels in Intel's
 * order (highest first; the first level the platform meets is its status) and, for TDX, the
 * TDX module identities. */
#include "dcap.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static bool parse_svns(const cJSON *arr, uint8_t out[DCAP_SVN_COUNT], size_t *n)
{
    const cJSON *c = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr)) {
        return false;
    }
    cJSON_ArrayForEach(c, arr)
    {
        int64_t svn = 0;
        if (*n == DCAP_SVN_COUNT || !vjson_int(c, "svn", 0, 255, &svn)) {
            return false;
        }
        out[(*n)++] = (uint8_t)svn;
    }
    return true;
}

static bool parse_level(const cJSON *lv, struct tcb_level *out)
{
    const cJSON *tcb = vjson_get(lv, "tcb");
    const cJSON *tdx = vjson_get(tcb, "tdxtcbcomponents");
    int64_t pcesvn = 0;
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(tcb) ||
        !parse_svns(vjson_get(tcb, "sgxtcbcomponents"), out->sgx, &out->sgx_n) ||
        (tdx != NULL && !parse_svns(tdx, out->tdx, &out->tdx_n)) ||
        !vjson_int(tcb, "pcesvn", 0, UINT16_MAX, &pcesvn) || !vjson_status(lv, &out->st)) {
        return false;
    }
    out->pcesvn = (uint16_t)pcesvn;
    return true;
}

/* isvsvn-keyed levels, shared by QE identities and TDX module identities. */
bool tcb_parse_isv_levels(const cJSON *arr, struct qe_level **out, size_t *n);
bool tcb_parse_isv_levels(const cJSON *arr, struct qe_level **out, size_t *n)
{
    const cJSON *lv = NULL;
    int count = cJSON_GetArraySize(arr);
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr) ||
        (count > 0 && (*out = calloc((size_t)count, sizeof **out)) == NULL)) {
        return false;
    }
    cJSON_ArrayForEach(lv, arr)
    {
        int64_t svn = 0;
        if (!vjson_int(vjson_get(lv, "tcb"), "isvsvn", 0, UINT16_MAX, &svn) ||
            !vjson_status(lv, &(*out)[*n].st)) {
            return false;
        }
        (*out)[(*n)++].isvsvn = (uint16_t)svn;
    }
    return true;
}

static bool parse_module(const cJSON *m, struct tdx_module_identity *out, bool with_levels)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(m) || !vjson_hex(m, "mrsigner", out->mrsigner, sizeof out->mrsigner) ||
        !vjson_hex(m, "attributes", out->attributes, sizeof out->attributes) ||
        !vjson_hex(m, "attributesMask", out->attributes_mask, sizeof out->attributes_mask)) {
        return false;
    }
    if (!with_levels) {
        return true;
    }
    return vjson_str(m, "id", out->id, sizeof out->id) &&
           tcb_parse_isv_levels(vjson_get(m, "tcbLevels"), &out->levels, &out->n_levels);
}

static bool parse_modules(const cJSON *doc, struct tcb_info *t)
{
    const cJSON *m = vjson_get(doc, "tdxModule");
    const cJSON *ids = vjson_get(doc, "tdxModuleIdentities");
    const cJSON *it = NULL;
    if (m != NULL) {
        if (!parse_module(m, &t->module, false)) {
            return false;
        }
        t->has_module = true;
    }
    if (ids == NULL) {
        return true;
    }
    int count = cJSON_GetArraySize(ids);
    if (!cJSON_IsArray(ids) ||
        (count > 0 && (t->identities = calloc((size_t)count, sizeof *t->identities)) == NULL)) {
        return false;
    }
    cJSON_ArrayForEach(it, ids)
    {
        if (!parse_module(it, &t->identities[t->n_identities++], true)) {
            return false;
        }
    }
    return true;
}

static bool parse_header(const cJSON *doc, struct tcb_info *t)
{
    char date[64];
    int64_t version = 0;
    if (!vjson_str(doc, "id", t->id, sizeof t->id) ||
        !vjson_int(doc, "version", 0, 1000, &version) ||
        !vjson_hex(doc, "fmspc", t->fmspc, sizeof t->fmspc)) {
        return false;
    }
    t->version = (int)version;
    if (vjson_get(doc, "pceId") != NULL) { /* PCE ID: Intel's QVL matches it; dcap-qvl does not */
        if (!vjson_hex(doc, "pceId", t->pce_id, sizeof t->pce_id)) {
            return false;
        }
        t->has_pce_id = true;
    }
    return vjson_str(doc, "issueDate", date, sizeof date) &&
           dcap_time_parse(date, &t->issue_date) &&
           vjson_str(doc, "nextUpdate", date, sizeof date) &&
           dcap_time_parse(date, &t->next_update);
}

dstack_err tcb_info_parse(const char *json, struct tcb_info *t)
{
    cJSON *doc = vjson_parse(json, json ? strlen(json) : 0);
    const cJSON *levels = vjson_get(doc, "tcbLevels");
    const cJSON *lv = NULL;
    dstack_err err = DSTACK_EFORMAT;
    memset(t, 0, sizeof *t);
    if (!cJSON_IsObject(doc) || !parse_header(doc, t) || !cJSON_IsArray(levels)) {
        goto out;
    }
    int count = cJSON_GetArraySize(levels);
    if (count > 0 && (t->levels = calloc((size_t)count, sizeof *t->levels)) == NULL) {
        goto out;
    }
    cJSON_ArrayForEach(lv, levels)
    {
        if (!parse_level(lv, &t->levels[t->n_levels++])) {
            goto out;
        }
    }
    if (parse_modules(doc, t)) {
        err = DSTACK_OK;
    }
out:
    vjson_free(doc);
    if (err != DSTACK_OK) {
        err_set(err, "Failed to decode TcbInfo");
        tcb_info_clear(t);
    }
    return err;
}

void tcb_info_clear(struct tcb_info *t)
{
    free(t->levels);
    for (size_t i = 0; i < t->n_identities; i++) {
        free(t->identities[i].levels);
    }
    free(t->identities);
    memset(t, 0, sizeof *t);
}
