/* dcap-qvl's collateral JSON (its src/lib.rs QuoteCollateralV3): PEM chains and the signed
 * TCB info / QE identity as strings, CRLs and signatures as hex strings. */
#include "dcap.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json/json.h"
#include "util/hex.h"

static bool take_str(const cJSON *doc, const char *key, char **out, bool optional)
{
    const cJSON *v = vjson_get(doc, key);
    if (v == NULL && optional) {
        return true;
    }
    if (!cJSON_IsString(v)) {
        return false;
    }
    *out = strdup(v->valuestring);
    return *out != NULL;
}

static bool take_hex(const cJSON *doc, const char *key, uint8_t **out, size_t *len)
{
    const cJSON *v = vjson_get(doc, key);
    if (!cJSON_IsString(v)) {
        return false;
    }
    return hex_decode_alloc(v->valuestring, strlen(v->valuestring), out, len) == DSTACK_OK;
}

dstack_err dstack_collateral_from_json(const char *json, size_t len, struct dstack_collateral **out)
{
    struct dstack_collateral *c = NULL;
    const char *bad = NULL;
    if (json == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_collateral_from_json: no text or no output");
    }
    *out = NULL;
    cJSON *doc = vjson_parse(json, len);
    if (!cJSON_IsObject(doc)) {
        err_set(DSTACK_EFORMAT, "collateral is not a JSON object");
        vjson_free(doc);
        return DSTACK_EFORMAT;
    }
    if ((c = calloc(1, sizeof *c)) == NULL) {
        vjson_free(doc);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (!take_str(doc, "pck_crl_issuer_chain", &c->pck_crl_issuer_chain, false)) {
        bad = "pck_crl_issuer_chain";
    } else if (!take_hex(doc, "root_ca_crl", &c->root_ca_crl, &c->root_ca_crl_len)) {
        bad = "root_ca_crl";
    } else if (!take_hex(doc, "pck_crl", &c->pck_crl, &c->pck_crl_len)) {
        bad = "pck_crl";
    } else if (!take_str(doc, "tcb_info_issuer_chain", &c->tcb_info_issuer_chain, false)) {
        bad = "tcb_info_issuer_chain";
    } else if (!take_str(doc, "tcb_info", &c->tcb_info, false)) {
        bad = "tcb_info";
    } else if (!take_hex(doc, "tcb_info_signature", &c->tcb_info_signature,
                         &c->tcb_info_signature_len)) {
        bad = "tcb_info_signature";
    } else if (!take_str(doc, "qe_identity_issuer_chain", &c->qe_identity_issuer_chain, false)) {
        bad = "qe_identity_issuer_chain";
    } else if (!take_str(doc, "qe_identity", &c->qe_identity, false)) {
        bad = "qe_identity";
    } else if (!take_hex(doc, "qe_identity_signature", &c->qe_identity_signature,
                         &c->qe_identity_signature_len)) {
        bad = "qe_identity_signature";
    } else if (!take_str(doc, "pck_certificate_chain", &c->pck_certificate_chain, true)) {
        bad = "pck_certificate_chain";
    }
    vjson_free(doc);
    if (bad != NULL) {
        err_set(DSTACK_EFORMAT, "collateral: \"%s\" is missing or malformed", bad);
        dstack_collateral_free(c);
        return DSTACK_EFORMAT;
    }
    *out = c;
    return DSTACK_OK;
}

dstack_err dstack_collateral_to_json(const struct dstack_collateral *c, char **out)
{
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_collateral_to_json: no collateral or no output");
    }
    const struct {
        const char *name, *value;
    } texts[] = {{"pck_crl_issuer_chain", c->pck_crl_issuer_chain},
                 {"tcb_info_issuer_chain", c->tcb_info_issuer_chain},
                 {"tcb_info", c->tcb_info},
                 {"qe_identity_issuer_chain", c->qe_identity_issuer_chain},
                 {"qe_identity", c->qe_identity}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (texts[i].value == NULL) {
            return err_set(DSTACK_EINVAL, "dstack_collateral_to_json: %s is missing",
                           texts[i].name);
        }
    }
    cJSON *o = cJSON_CreateObject();
    bool ok =
        o != NULL && cJSON_AddStringToObject(o, "pck_crl_issuer_chain", c->pck_crl_issuer_chain) &&
        json_set_hex(o, "root_ca_crl", c->root_ca_crl, c->root_ca_crl_len) &&
        json_set_hex(o, "pck_crl", c->pck_crl, c->pck_crl_len) &&
        cJSON_AddStringToObject(o, "tcb_info_issuer_chain", c->tcb_info_issuer_chain) &&
        cJSON_AddStringToObject(o, "tcb_info", c->tcb_info) &&
        json_set_hex(o, "tcb_info_signature", c->tcb_info_signature, c->tcb_info_signature_len) &&
        cJSON_AddStringToObject(o, "qe_identity_issuer_chain", c->qe_identity_issuer_chain) &&
        cJSON_AddStringToObject(o, "qe_identity", c->qe_identity) &&
        json_set_hex(o, "qe_identity_signature", c->qe_identity_signature,
                     c->qe_identity_signature_len);
    if (ok && c->pck_certificate_chain != NULL) {
        ok = cJSON_AddStringToObject(o, "pck_certificate_chain", c->pck_certificate_chain);
    }
    *out = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return *out != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

void dstack_collateral_free(struct dstack_collateral *c)
{
    if (c == NULL) {
        return;
    }
    free(c->pck_crl_issuer_chain);
    free(c->root_ca_crl);
    free(c->pck_crl);
    free(c->tcb_info_issuer_chain);
    free(c->tcb_info);
    free(c->tcb_info_signature);
    free(c->qe_identity_issuer_chain);
    free(c->qe_identity);
    free(c->qe_identity_signature);
    free(c->pck_certificate_chain);
    free(c);
}
