/* Sign / Verify (docs/api/Sign.md, docs/api/Verify.md, docs/sdk.md). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

void dstack_sign_response_free(struct dstack_sign_response *s)
{
    if (s != NULL) {
        free(s->signature.data);
        free(s->public_key.data);
        jf_bytes_array_free(s->signature_chain, s->signature_chain_len);
        free(s->json);
        free(s);
    }
}

dstack_err client_sign_request(const char *algorithm, const uint8_t *data, size_t len, cJSON **out)
{
    *out = NULL;
    /* Python/JS check the digest length before sending; exact algorithm string, no alias. */
    if (strcmp(algorithm, "secp256k1_prehashed") == 0 && len != DSTACK_SHA256_LEN) {
        return err_set(DSTACK_EINVAL,
                       "Pre-hashed signing requires a 32-byte digest, but received %zu bytes", len);
    }
    cJSON *req = jf_strings("algorithm", algorithm, NULL, NULL, NULL, NULL);
    if (req == NULL) {
        return err_set(DSTACK_EINVAL, "algorithm must be UTF-8");
    }
    dstack_err err = jf_set_hex(req, "data", data, len);
    if (err != DSTACK_OK) {
        json_free(req);
        return err;
    }
    *out = req;
    return DSTACK_OK;
}

dstack_err client_sign_from_json(const cJSON *obj, char *text, struct dstack_sign_response **out)
{
    struct dstack_sign_response *s = calloc(1, sizeof *s);
    if (s == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    s->json = text;
    dstack_err err = jf_hex_public(obj, "signature", &s->signature);
    if (err == DSTACK_OK) {
        err = jf_hex_public(obj, "public_key", &s->public_key);
    }
    if (err == DSTACK_OK) {
        err = jf_hex_array(obj, "signature_chain", &s->signature_chain, &s->signature_chain_len);
    }
    if (err != DSTACK_OK) {
        dstack_sign_response_free(s);
        return err;
    }
    *out = s;
    return DSTACK_OK;
}

dstack_err dstack_sign(struct dstack_client *c, const char *algorithm, const uint8_t *data,
                       size_t len, struct dstack_sign_response **out)
{
    err_clear();
    if (c == NULL || algorithm == NULL || out == NULL || (len > 0 && data == NULL)) {
        return err_set(DSTACK_EINVAL, "dstack_sign: NULL argument");
    }
    *out = NULL;
    cJSON *req = NULL;
    dstack_err err = client_sign_request(algorithm, data, len, &req);
    if (err != DSTACK_OK) {
        return err;
    }
    cJSON *resp = NULL;
    char *text = NULL;
    err = client_rpc(c, "Sign", req, 0, &resp, &text);
    json_free(req);
    if (err == DSTACK_OK) {
        err = client_sign_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

dstack_err dstack_verify(struct dstack_client *c, const char *algorithm, const uint8_t *data,
                         size_t data_len, const uint8_t *sig, size_t sig_len,
                         const uint8_t *public_key, size_t pub_len, bool *valid)
{
    err_clear();
    if (c == NULL || algorithm == NULL || valid == NULL || (data_len > 0 && data == NULL) ||
        (sig_len > 0 && sig == NULL) || (pub_len > 0 && public_key == NULL)) {
        return err_set(DSTACK_EINVAL, "dstack_verify: NULL argument");
    }
    *valid = false;
    cJSON *req = NULL;
    dstack_err err =
        client_verify_request(algorithm, data, data_len, sig, sig_len, public_key, pub_len, &req);
    cJSON *resp = NULL;
    if (err == DSTACK_OK) {
        err = client_rpc(c, "Verify", req, 0, &resp, NULL);
    }
    if (err == DSTACK_OK) {
        err = client_verify_from_json(resp, valid);
    }
    json_free(req);
    json_free(resp);
    return err;
}

dstack_err client_verify_request(const char *algorithm, const uint8_t *data, size_t data_len,
                                 const uint8_t *sig, size_t sig_len, const uint8_t *public_key,
                                 size_t pub_len, cJSON **out)
{
    *out = NULL;
    cJSON *req = jf_strings("algorithm", algorithm, NULL, NULL, NULL, NULL);
    if (req == NULL) {
        return err_set(DSTACK_EINVAL, "algorithm must be UTF-8");
    }
    dstack_err err = jf_set_hex(req, "data", data, data_len);
    if (err == DSTACK_OK) {
        err = jf_set_hex(req, "signature", sig, sig_len);
    }
    if (err == DSTACK_OK) {
        err = jf_set_hex(req, "public_key", public_key, pub_len);
    }
    if (err != DSTACK_OK) {
        json_free(req);
        return err;
    }
    *out = req;
    return DSTACK_OK;
}

dstack_err client_verify_from_json(const cJSON *obj, bool *valid)
{
    const cJSON *v = json_get(obj, "valid");
    if (v != NULL && !cJSON_IsBool(v)) {
        return err_set(DSTACK_EPROTO, "Verify: field valid is not a boolean");
    }
    *valid = cJSON_IsTrue(v); /* absent = false: prost omits default values */
    return DSTACK_OK;
}
