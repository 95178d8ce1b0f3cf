/* SignCert and GetMeta of the test KMS, in upstream's order (main_service.rs sign_cert):
 * decode the CSR, verify its signature, verify the attestation against the CSR key, check the
 * app, derive the app CA, sign [leaf, app CA, root]. Errors read as upstream's anyhow contexts
 * printed with "{err:#}" ("Failed to verify csr signature: Invalid signature"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <dstack/attest.h>

#include "attest/versioned.h"
#include "crypto/k256.h"
#include "json/json.h"
#include "kms_peer.h"
#include "util/hex.h"
#include "util/secret.h"
#include "x509/appinfo_ext.h"
#include "x509/cert.h"
#include "util/error.h"

char *json_error(const char *fmt, ...)
{
    char msg[ERR_TEXT_MAX]; /* often an error text (util/error.h) with context */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    char *s = json_dump(o, 2, NULL); /* serde_json::to_string_pretty (ra-rpc encode_error) */
    cJSON_Delete(o);
    return s;
}

/* The SignCertRequest fields; bytes arrive as hex (prpc's serde rules). */
struct sign_request {
    uint64_t api_version;
    uint8_t *csr, *sig;
    size_t csr_len, sig_len;
};

static char *parse_request(const char *body, size_t len, struct sign_request *r)
{
    cJSON *doc = json_parse(body, len, 0, NULL);
    const char *csr = json_get_str(doc, "csr");
    const char *sig = json_get_str(doc, "signature");
    const cJSON *cfg = json_get(doc, "vm_config");
    char *err = NULL;
    /* api_version is a u32: an integer literal, nothing else (serde). */
    if (!cJSON_IsObject(doc) || !json_u64(json_get(doc, "api_version"), &r->api_version) ||
        r->api_version > UINT32_MAX || csr == NULL || sig == NULL ||
        (cfg != NULL && json_str(cfg) == NULL)) {
        err = json_error("failed to decode the request: expected {api_version, csr, signature, "
                         "vm_config}");
    } else if (hex_decode_alloc(csr, strlen(csr), &r->csr, &r->csr_len) != DSTACK_OK ||
               hex_decode_alloc(sig, strlen(sig), &r->sig, &r->sig_len) != DSTACK_OK) {
        err = json_error("failed to decode the request: csr and signature must be hex");
    }
    json_free(doc);
    return err;
}

static char *answer_chain(const char *leaf, const char *app_ca, const char *root, bool wrong_shape)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "certificate_chain");
    cJSON_AddItemToArray(arr, cJSON_CreateString(leaf));
    if (!wrong_shape) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(app_ca));
    }
    cJSON_AddItemToArray(arr, cJSON_CreateString(root));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* app_ca.sign_csr(csr, Some(app_id), "app:custom") (cert.rs CaCert::sign_csr). */
static char *issue(const struct peer *p, const struct csr *c, const struct versioned_attestation *v,
                   const struct dstack_event_log *log, const uint8_t app_id[DSTACK_APP_ID_LEN])
{
    struct p256_key app_key, leaf_key;
    struct x509_ca *ca = NULL;
    char *app_pem = NULL, *leaf = NULL, *answer = NULL;
    char key_pem[P256_PKCS8_PEM_MAX];
    uint8_t *stripped = NULL, *app_info = NULL;
    size_t stripped_len = 0, app_info_len = 0;
    uint64_t nb = 0, na = 0;
    const uint8_t *point = c->pubkey + c->pubkey_len - P256_POINT_LEN;

    if (c->pubkey_len != P256_SPKI_LEN) {
        return json_error("Failed to sign certificate: only P-256 keys are supported");
    }
    if (pki_app_ca(p, app_id, &app_key, &app_pem) != DSTACK_OK) {
        answer = json_error("Failed to derive app disk key");
        goto out;
    }
    p256_pkcs8_pem(&app_key, key_pem);
    err_clear(); /* the stripped encoding sets no text of its own */
    if (x509_ca_load(app_pem, strlen(app_pem), key_pem, strlen(key_pem), &ca) != DSTACK_OK ||
        (c->ext_quote && versioned_encode_v0_stripped(v, &stripped, &stripped_len) != DSTACK_OK) ||
        (c->ext_app_info && appinfo_build(v->quote, v->quote_len, log, v->config, &app_info,
                                          &app_info_len) != DSTACK_OK) ||
        x509_validity(c->has_nb, c->nb, c->has_na, c->na, (uint64_t)time(NULL), &nb, &na) !=
            DSTACK_OK) {
        answer = json_error("Failed to sign certificate: %s", err_text());
        goto out;
    }
    if (p->answer == ANSWER_WRONG_KEY && p256_generate(&leaf_key) == DSTACK_OK) {
        point = leaf_key.point;
    }
    struct x509_leaf_req req = {
        .subject = c->subject,
        .alt_names = (const char *const *)c->alt,
        .n_alt_names = c->n_alt,
        .server_auth = c->server,
        .client_auth = c->client,
        .not_before = nb,
        .not_after = na,
        .app_id = app_id,
        .app_id_len = DSTACK_APP_ID_LEN,
        .usage = "app:custom",
        .app_info = app_info,
        .app_info_len = app_info_len,
        .attestation = stripped,
        .attestation_len = stripped_len,
    };
    if (x509_leaf_issue(ca, &req, point, &leaf) != DSTACK_OK) {
        answer = json_error("Failed to sign certificate: %s", err_text());
        goto out;
    }
    answer = answer_chain(leaf, app_pem, p->root_pem, p->answer == ANSWER_WRONG_SHAPE);
out:
    secret_wipe(&app_key, sizeof app_key);
    secret_wipe(key_pem, sizeof key_pem);
    x509_ca_free(ca);
    free(app_pem);
    free(leaf);
    free(stripped);
    free(app_info);
    return answer;
}

void sign_cert_handle(const struct peer *p, const char *body, size_t len, int *status,
                      char **answer)
{
    struct sign_request r = {0};
    struct csr c;
    struct versioned_attestation v = {0};
    struct dstack_event_log log;
    uint8_t app_id[DSTACK_APP_ID_LEN];

    dstack_event_log_init(&log);
    memset(&c, 0, sizeof c);
    *status = 400;
    if ((*answer = parse_request(body, len, &r)) != NULL) {
        goto out;
    }
    if (r.api_version != 2) { /* v1 CSRs exist upstream; agents send v2 only */
        *answer = json_error("Unsupported API version: %llu", (unsigned long long)r.api_version);
        goto out;
    }
    if (csr_decode(r.csr, r.csr_len, &c) != DSTACK_OK) {
        *answer = json_error("Failed to parse csr: could not decode CertSigningRequestV2");
        goto out;
    }
    if (p->answer == ANSWER_TAMPER_SIG && r.sig_len > 10) {
        r.sig[r.sig_len - 3] ^= 0x01; /* as if it changed on the way */
    }
    if (csr_verify(&c, r.csr, r.csr_len, r.sig, r.sig_len) != DSTACK_OK) {
        *answer = json_error("Failed to verify csr signature: %s", err_text());
        goto out;
    }
    if (attestation_verify(p, &c, &v, &log) != DSTACK_OK) {
        *answer = json_error("Quote verification failed: %s", err_text());
        goto out;
    }
    if (app_allowed(p, &log, app_id) != DSTACK_OK) {
        *answer = json_error("%s", err_text());
        goto out;
    }
    *answer = issue(p, &c, &v, &log, app_id);
    *status = *answer != NULL && strncmp(*answer, "{\"certificate_chain\"", 20) == 0 ? 200 : 400;
out:
    csr_free(&c);
    versioned_free(&v);
    dstack_event_log_free(&log);
    free(r.csr);
    free(r.sig);
}

void get_meta_handle(const struct peer *p, int *status, char **answer)
{
    uint8_t pub[K256_PUBKEY_LEN];
    char hex[2 * K256_PUBKEY_LEN + 1];
    cJSON *o = cJSON_CreateObject();
    k256_pubkey(p->k256_root, pub);
    hex_encode(pub, sizeof pub, hex);
    cJSON_AddStringToObject(o, "ca_cert", p->root_pem);
    cJSON_AddBoolToObject(o, "allow_any_upgrade", false);
    cJSON_AddStringToObject(o, "k256_pubkey", hex);
    cJSON_AddBoolToObject(o, "is_dev", true);
    *answer = cJSON_PrintUnformatted(o);
    *status = 200;
    cJSON_Delete(o);
}
