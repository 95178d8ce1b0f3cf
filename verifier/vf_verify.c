/* POST /verify (upstream dstack/verifier/src/types.rs VerificationRequest): {"quote": hex,
 * "event_log": JSON text, "vm_config": JSON text} or {"attestation": hex}, every field
 * optional; "debug" is accepted and ignored. The collateral is the configured bundle, or what the
 * PCCS serves for the quote's FMSPC (cached). Always a JSON answer: 200 with the verdict, 400
 * when the body is not such an object. */
#include "vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/versioned.h"
#include "json/json.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hex.h"
#include "verify/pccs.h"

static char *error_answer(const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "is_valid", false);
    cJSON_AddObjectToObject(o, "details");
    cJSON_AddStringToObject(o, "reason", reason);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* A hex member (serde-human-bytes), or absent. false when present but not hex. */
static bool hex_member(const cJSON *req, const char *key, uint8_t **out, size_t *len)
{
    const cJSON *v = json_get(req, key);
    *out = NULL;
    *len = 0;
    if (v == NULL || cJSON_IsNull(v)) {
        return true;
    }
    const char *s = json_str(v);
    return s != NULL && hex_decode_alloc(s, strlen(s), out, len) == DSTACK_OK;
}

static bool text_member(const cJSON *req, const char *key, const char **out, size_t *len)
{
    const cJSON *v = json_get(req, key);
    *out = NULL;
    *len = 0;
    if (v == NULL || cJSON_IsNull(v)) {
        return true;
    }
    if ((*out = json_str(v)) == NULL) {
        return false;
    }
    *len = json_str_len(v);
    return true;
}

/* The quote the collateral is for: the request's, or the one inside its attestation. */
static dstack_err collateral_for(const struct vf_app *a, const struct dstack_attestation_input *in,
                                 struct dstack_collateral **out)
{
    if (a->collateral != NULL) {
        *out = NULL; /* the fixed bundle: borrowed by the caller */
        return DSTACK_OK;
    }
    struct versioned_attestation v = {0};
    const uint8_t *q = in->quote;
    size_t qlen = in->quote_len;
    if (in->attestation != NULL &&
        versioned_decode(in->attestation, in->attestation_len, &v) == DSTACK_OK) {
        q = v.quote;
        qlen = v.quote_len;
    }
    struct pccs_options po = {.url = a->cfg.pccs_url,
                              .cache_dir = a->cfg.cache_dir[0] ? a->cfg.cache_dir : NULL,
                              .now = (uint64_t)time(NULL)};
    dstack_err err = q != NULL ? pccs_fetch_for_quote(&po, q, qlen, out)
                               : err_set(DSTACK_EINVAL, "the attestation does not decode");
    versioned_free(&v);
    return err;
}

static char *verify_request(const struct vf_app *a, const cJSON *req)
{
    struct dstack_attestation_input in = {0};
    uint8_t *quote = NULL, *att = NULL;
    char *answer = NULL, reason[400];
    struct dstack_collateral *fetched = NULL;
    struct dstack_attestation_result *res = calloc(1, sizeof *res);
    if (res == NULL || !hex_member(req, "quote", &quote, &in.quote_len) ||
        !hex_member(req, "attestation", &att, &in.attestation_len) ||
        !text_member(req, "event_log", &in.event_log, &in.event_log_len) ||
        !text_member(req, "vm_config", &in.vm_config, &in.vm_config_len)) {
        answer = error_answer("quote and attestation must be hex strings, event_log and "
                              "vm_config strings");
        goto out;
    }
    in.quote = quote;
    in.attestation = att;
    if (in.quote == NULL && in.attestation == NULL) {
        answer = error_answer("Quote is required");
        goto out;
    }
    if (collateral_for(a, &in, &fetched) != DSTACK_OK) {
        snprintf(reason, sizeof reason, "Quote verification failed: collateral: %s", err_text());
        answer = error_answer(reason);
        goto out;
    }
    struct dstack_dcap_options opts = {a->root_der, a->root_der_len};
    if (dstack_verify_attestation(&in, fetched ? fetched : a->collateral, (uint64_t)time(NULL),
                                  a->root_der ? &opts : NULL, res) != DSTACK_OK ||
        dstack_attestation_result_to_json(res, &answer) != DSTACK_OK) {
        answer = error_answer("Internal error: out of memory");
    }
out:
    dstack_collateral_free(fetched);
    free(quote);
    free(att);
    free(res);
    return answer;
}

void vf_verify_body(const struct vf_app *a, const char *body, size_t len, unsigned *status,
                    char **json)
{
    struct json_error je;
    cJSON *req = json_parse(body, len, 0, &je);
    if (req == NULL || !cJSON_IsObject(req)) {
        char reason[300];
        snprintf(reason, sizeof reason, "the body is not a JSON object: %s",
                 req == NULL ? je.text : "another JSON value");
        *status = 400;
        *json = error_answer(reason);
        json_free(req);
        return;
    }
    *status = 200;
    *json = verify_request(a, req);
    json_free(req);
}

static dstack_err read_root(struct vf_app *a)
{
    char *text = NULL;
    size_t len = 0;
    if (!a->cfg.allow_external_anchors) {
        return err_set(DSTACK_EINVAL, "[attestation.root_ca] tdx needs [attestation] "
                                      "insecure_allow_external_trust_anchors = true");
    }
    dstack_err err = file_read_all(a->cfg.root_ca_path, 1u << 16, &text, &len, NULL);
    if (err != DSTACK_OK) {
        return err; /* the text names the file */
    }
    err = dstack_cert_to_der(text, len, &a->root_der, &a->root_der_len);
    free(text);
    if (err != DSTACK_OK) {
        return err_set(err, "%s: not a certificate (DER or PEM)", a->cfg.root_ca_path);
    }
    return DSTACK_OK;
}

dstack_err vf_app_init(struct vf_app *a)
{
    dstack_err err = DSTACK_OK;
    if (a->cfg.root_ca_path[0] != '\0' && (err = read_root(a)) != DSTACK_OK) {
        return err;
    }
    if (a->cfg.collateral_path[0] != '\0') {
        char *text = NULL;
        size_t len = 0;
        if ((err = file_read_all(a->cfg.collateral_path, 8u << 20, &text, &len, NULL)) !=
            DSTACK_OK) {
            return err;
        }
        err = dstack_collateral_from_json(text, len, &a->collateral);
        free(text);
        if (err != DSTACK_OK) {
            return err_wrap(err, "%s", a->cfg.collateral_path);
        }
    }
    return DSTACK_OK;
}

void vf_app_free(struct vf_app *a)
{
    free(a->root_der);
    dstack_collateral_free(a->collateral);
    a->root_der = NULL;
    a->collateral = NULL;
}
