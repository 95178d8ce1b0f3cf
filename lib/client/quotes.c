/* GetQuote, Attest, EmitEvent (docs/api/GetQuote.md, docs/api/Attest.md, docs/sdk.md). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

/* The agent accepts up to 64 bytes and pads with zeros; refuse more before any request, like
 * every SDK. Empty data is allowed (docs/sdk.md). */
dstack_err client_check_report_data(const uint8_t *data, size_t len)
{
    if (len > DSTACK_REPORT_DATA_LEN) {
        return err_set(DSTACK_EINVAL, "report_data must be at most %d bytes, got %zu",
                       DSTACK_REPORT_DATA_LEN, len);
    }
    if (len > 0 && data == NULL) {
        return err_set(DSTACK_EINVAL, "report_data is NULL");
    }
    return DSTACK_OK;
}

void dstack_get_quote_response_free(struct dstack_get_quote_response *q)
{
    if (q == NULL) {
        return;
    }
    free(q->quote.data);
    free(q->event_log);
    free(q->report_data.data);
    free(q->vm_config);
    free(q->attestation.data);
    free(q->json);
    free(q);
}

dstack_err client_quote_from_json(const cJSON *obj, char *text,
                                  struct dstack_get_quote_response **out)
{
    struct dstack_get_quote_response *q = calloc(1, sizeof *q);
    if (q == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    q->json = text;
    dstack_err err = jf_hex_public(obj, "quote", &q->quote);
    if (err == DSTACK_OK) {
        err = jf_string(obj, "event_log", &q->event_log);
    }
    if (err == DSTACK_OK) {
        err = jf_hex_public(obj, "report_data", &q->report_data);
    }
    if (err == DSTACK_OK) {
        err = jf_string(obj, "vm_config", &q->vm_config);
    }
    if (err == DSTACK_OK) {
        err = jf_hex_public(obj, "attestation", &q->attestation);
    }
    if (err != DSTACK_OK) {
        dstack_get_quote_response_free(q);
        return err;
    }
    *out = q;
    return DSTACK_OK;
}

/* Builds {"report_data": hex} and posts it to `method`. */
static dstack_err post_report_data(struct dstack_client *c, const char *method, const uint8_t *data,
                                   size_t len, cJSON **resp, char **text)
{
    cJSON *req = NULL;
    dstack_err err = client_report_data_request(data, len, &req);
    if (err == DSTACK_OK) {
        err = client_rpc(c, method, req, 0, resp, text);
    }
    json_free(req);
    return err;
}

dstack_err dstack_get_quote(struct dstack_client *c, const uint8_t *report_data, size_t len,
                            struct dstack_get_quote_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_get_quote: NULL argument");
    }
    *out = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = post_report_data(c, "GetQuote", report_data, len, &resp, &text);
    if (err == DSTACK_OK) {
        err = client_quote_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

dstack_err client_get_quote_tree(struct dstack_client *c, const uint8_t *report_data, size_t len,
                                 cJSON **resp)
{
    err_clear();
    *resp = NULL;
    if (c == NULL) {
        return err_set(DSTACK_EINVAL, "GetQuote: NULL client");
    }
    return post_report_data(c, "GetQuote", report_data, len, resp, NULL);
}

void dstack_attest_response_free(struct dstack_attest_response *a)
{
    if (a != NULL) {
        free(a->attestation.data);
        free(a->json);
        free(a);
    }
}

dstack_err client_attest_from_json(const cJSON *obj, char *text,
                                   struct dstack_attest_response **out)
{
    struct dstack_attest_response *a = calloc(1, sizeof *a);
    if (a == NULL) {
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    a->json = text;
    dstack_err err = jf_hex_public(obj, "attestation", &a->attestation);
    if (err != DSTACK_OK) {
        dstack_attest_response_free(a);
        return err;
    }
    *out = a;
    return DSTACK_OK;
}

dstack_err dstack_attest(struct dstack_client *c, const uint8_t *report_data, size_t len,
                         struct dstack_attest_response **out)
{
    err_clear();
    if (c == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_attest: NULL argument");
    }
    *out = NULL;
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = post_report_data(c, "Attest", report_data, len, &resp, &text);
    if (err == DSTACK_OK) {
        err = client_attest_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}

dstack_err client_emit_request(const char *event, const uint8_t *payload, size_t len, cJSON **out)
{
    *out = NULL;
    /* Every SDK refuses an empty name before sending. */
    if (event == NULL || event[0] == '\0') {
        return err_set(DSTACK_EINVAL, "event name cannot be empty");
    }
    if (len > 0 && payload == NULL) {
        return err_set(DSTACK_EINVAL, "payload is NULL");
    }
    cJSON *req = jf_strings("event", event, NULL, NULL, NULL, NULL);
    if (req == NULL) {
        return err_set(DSTACK_EINVAL, "event name must be UTF-8");
    }
    dstack_err err = jf_set_hex(req, "payload", payload, len);
    if (err != DSTACK_OK) {
        json_free(req);
        return err;
    }
    *out = req;
    return DSTACK_OK;
}

dstack_err client_report_data_request(const uint8_t *data, size_t len, cJSON **out)
{
    *out = NULL;
    dstack_err err = client_check_report_data(data, len);
    if (err != DSTACK_OK) {
        return err;
    }
    cJSON *req = cJSON_CreateObject();
    if (req == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    err = jf_set_hex(req, "report_data", data, len);
    if (err != DSTACK_OK) {
        json_free(req);
        return err;
    }
    *out = req;
    return DSTACK_OK;
}

dstack_err dstack_emit_event(struct dstack_client *c, const char *event, const uint8_t *payload,
                             size_t len)
{
    err_clear();
    if (c == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_emit_event: NULL client");
    }
    cJSON *req = NULL;
    dstack_err err = client_emit_request(event, payload, len, &req);
    if (err != DSTACK_OK) {
        return err;
    }
    cJSON *resp = NULL;
    err = client_rpc(c, "EmitEvent", req, 0, &resp, NULL);
    json_free(req);
    json_free(resp);
    return err;
}
