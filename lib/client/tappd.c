/* The deprecated tappd.sock API (docs/sdk.md, docs/api/README.md). Only the calls the
 * legacy SDKs make work here; warnings go to the client's log callback. */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

static dstack_err check_legacy(const char *function, const struct dstack_client *c, const void *out)
{
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "%s: NULL argument", function);
    }
    if (strcmp(c->path_prefix, "/prpc/Tappd.") != 0) {
        return err_set(DSTACK_EINVAL, "%s: not a tappd client (use dstack_tappd_client_new)",
                       function);
    }
    return DSTACK_OK;
}

dstack_err dstack_tappd_derive_key(struct dstack_client *c, const char *path, const char *subject,
                                   const char *const *alt_names, size_t n_alt_names,
                                   struct dstack_get_tls_key_response **out)
{
    err_clear();
    dstack_err err = check_legacy("dstack_tappd_derive_key", c, out);
    if (err != DSTACK_OK) {
        return err;
    }
    *out = NULL;
    client_log(c, DSTACK_LOG_WARN, "derive_key is deprecated, please use get_key instead");
    if (path == NULL) {
        path = "";
    }
    /* The SDKs send {"path", "subject": subject or path} (+ alt_names when non-empty). */
    cJSON *req = jf_strings("path", path, "subject",
                            (subject != NULL && subject[0] != '\0') ? subject : path, NULL, NULL);
    if (req == NULL) {
        return err_set(DSTACK_EINVAL, "path and subject must be UTF-8");
    }
    if (n_alt_names > 0) {
        cJSON *names = cJSON_CreateArray();
        json_set(req, "alt_names", names);
        for (size_t i = 0; i < n_alt_names; i++) {
            if (!json_push(names, json_string_utf8(alt_names != NULL ? alt_names[i] : NULL))) {
                json_free(req);
                return err_set(DSTACK_EINVAL, "alt_names[%zu] is NULL or not UTF-8", i);
            }
        }
    }
    cJSON *resp = NULL;
    char *text = NULL;
    err = client_rpc(c, "DeriveKey", req, 0, &resp, &text);
    json_free(req);
    if (err == DSTACK_OK) {
        err = client_tls_key_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

static dstack_err quote_call(struct dstack_client *c, const char *method, cJSON *req,
                             struct dstack_get_quote_response **out)
{
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = client_rpc(c, method, req, 0, &resp, &text);
    if (err == DSTACK_OK) {
        err = client_quote_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

dstack_err dstack_tappd_tdx_quote(struct dstack_client *c, const uint8_t *report_data, size_t len,
                                  const char *hash_algorithm,
                                  struct dstack_get_quote_response **out)
{
    err_clear();
    dstack_err err = check_legacy("dstack_tappd_tdx_quote", c, out);
    if (err != DSTACK_OK) {
        return err;
    }
    *out = NULL;
    if (len > 0 && report_data == NULL) {
        return err_set(DSTACK_EINVAL, "report_data is NULL");
    }
    client_log(c, DSTACK_LOG_WARN, "tdx_quote is deprecated, please use get_quote instead");
    if (hash_algorithm == NULL || hash_algorithm[0] == '\0') {
        hash_algorithm = "raw";
    }
    uint8_t padded[DSTACK_REPORT_DATA_LEN] = {0};
    const uint8_t *send = report_data;
    size_t send_len = len;
    if (strcmp(hash_algorithm, "raw") == 0) {
        /* raw: the agent wants exactly 64 bytes; the SDKs left-pad (zfill/padStart). */
        if (len > DSTACK_REPORT_DATA_LEN) {
            return err_set(DSTACK_EINVAL,
                           "report data is too large, it should be at most 64 bytes");
        }
        if (len > 0) {
            memcpy(padded + (DSTACK_REPORT_DATA_LEN - len), report_data, len);
        }
        send = padded;
        send_len = DSTACK_REPORT_DATA_LEN;
    }
    cJSON *req = jf_strings("hash_algorithm", hash_algorithm, NULL, NULL, NULL, NULL);
    if (req == NULL) {
        return err_set(DSTACK_EINVAL, "hash_algorithm must be UTF-8");
    }
    err = jf_set_hex(req, "report_data", send, send_len);
    if (err == DSTACK_OK) {
        err = quote_call(c, "TdxQuote", req, out);
    }
    json_free(req);
    return err;
}

dstack_err dstack_tappd_raw_quote(struct dstack_client *c,
                                  const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                                  struct dstack_get_quote_response **out)
{
    err_clear();
    dstack_err err = check_legacy("dstack_tappd_raw_quote", c, out);
    if (err != DSTACK_OK) {
        return err;
    }
    *out = NULL;
    if (report_data == NULL) {
        return err_set(DSTACK_EINVAL, "report_data is NULL");
    }
    cJSON *req = cJSON_CreateObject();
    if (req == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    err = jf_set_hex(req, "report_data", report_data, DSTACK_REPORT_DATA_LEN);
    if (err == DSTACK_OK) {
        err = quote_call(c, "RawQuote", req, out);
    }
    json_free(req);
    return err;
}

dstack_err dstack_tappd_info(struct dstack_client *c, struct dstack_info_response **out)
{
    err_clear();
    dstack_err err = check_legacy("dstack_tappd_info", c, out);
    if (err != DSTACK_OK) {
        return err;
    }
    *out = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    err = client_rpc(c, "Info", NULL, 0, &resp, &text);
    if (err == DSTACK_OK) {
        err = client_info_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}
