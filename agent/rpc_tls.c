/* GetTlsKey, Tappd.DeriveKey and the demo certificate (docs/api/GetTlsKey.md, docs/api/Info.md,
 * docs/api/DeriveKey.md; upstream dstack/guest-agent/src/rpc_service.rs:L89-131, L274-308, L507-535
 * and dstack/cert-client/src/lib.rs:L27-51 for the local-CA issuance). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "agent.h"
#include "appkeys.h"
#include "handlers.h"
#include "kms/kms_client.h"
#include "tls.h"
#include "util/error.h"

/* issue_cert, cert-client sign_csr and CaCert::sign_csr each add a context. */
#define TLS_SIGN_CONTEXT                                                                           \
    "Failed to sign the CSR: Failed to sign certificate: Failed to sign certificate"

void tls_chain_free(struct tls_chain *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->pem[i]);
    }
    memset(c, 0, sizeof *c);
}

/* [leaf, CA] under the keys file's own CA (cert-client CertRequestClient::Local). */
static dstack_err issue_local(struct agent *a, const struct p256_key *key,
                              const struct tls_request *req, struct tls_chain *out)
{
    struct x509_ca *ca = NULL;
    struct tls_evidence ev = {0};
    uint8_t spki[P256_SPKI_LEN];
    uint64_t nb = 0, na = 0;
    dstack_err e;

    if (a->keys->ca_key == NULL) {
        return err_set(DSTACK_EUNSUPPORTED, "Failed to sign the CSR: the keys file has no CA key");
    }
    e = x509_validity(req->has_not_before, req->not_before, req->has_not_after, req->not_after,
                      (uint64_t)time(NULL), &nb, &na);
    if (e != DSTACK_OK) {
        return e;
    }
    e = x509_ca_load(a->keys->ca_cert, strlen(a->keys->ca_cert), a->keys->ca_key,
                     strlen(a->keys->ca_key), &ca);
    if (e != DSTACK_OK) {
        err_wrap(e, "Failed to create CA");
        goto out;
    }
    p256_spki(key->point, spki);
    unsigned want = (req->usage_ra_tls ? TLS_EVIDENCE_QUOTE : 0) |
                    (req->with_app_info ? TLS_EVIDENCE_APP_INFO : 0);
    if ((e = tls_cert_evidence(a, spki, want, &ev)) != DSTACK_OK) {
        goto out;
    }
    struct x509_leaf_req leaf = {
        .subject = req->subject,
        .alt_names = req->alt_names,
        .n_alt_names = req->n_alt_names,
        .server_auth = req->usage_server_auth,
        .client_auth = req->usage_client_auth,
        .not_before = nb,
        .not_after = na,
        .usage = X509_USAGE_APP_CUSTOM,
        .app_info = ev.app_info,
        .app_info_len = ev.app_info_len,
        .attestation = ev.attestation,
        .attestation_len = ev.attestation_len,
    };
    e = x509_leaf_issue(ca, &leaf, key->point, &out->pem[0]);
    if (e != DSTACK_OK) {
        /* The context chain of issue_cert -> sign_csr -> CaCert::sign_csr. */
        err_wrap(e, TLS_SIGN_CONTEXT);
        goto out;
    }
    out->n = 1;
    if ((out->pem[1] = strdup(x509_ca_pem(ca))) == NULL) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    out->n = 2;
out:
    if (e != DSTACK_OK) {
        tls_chain_free(out);
    }
    tls_evidence_free(&ev);
    x509_ca_free(ca);
    return e;
}

dstack_err tls_issue(struct agent *a, const struct p256_key *key, const struct tls_request *req,
                     struct tls_chain *out)
{
    memset(out, 0, sizeof *out);
    if (a->keys == NULL || a->keys->ca_cert == NULL) {
        return err_set(DSTACK_EINVAL, "no keys file is loaded");
    }
    if (a->keys->provider == KEY_PROVIDER_KMS) {
        if (a->kms == NULL) {
            return err_set(DSTACK_EUNSUPPORTED,
                           "Failed to sign the CSR: the KMS client is not set up");
        }
        return kms_sign_cert(a, key, req, out);
    }
    return issue_local(a, key, req, out);
}

/* {"key": PKCS#8 PEM, "certificate_chain": [leaf, CA...]} (GetTlsKeyResponse), written as the
 * compact JSON json_dump makes of that object. The writer is a secret one: it never reallocs and
 * wipes what it gives up, and the server wipes the answer once sent (heap_wipe.h), so the key's
 * PEM is never left in a freed block. */
static dstack_err respond_chain(struct rpc_call *call, const struct p256_key *key,
                                const struct tls_request *req)
{
    struct tls_chain chain = {0};
    char pem[P256_PKCS8_PEM_MAX];
    struct json_out a = {.secret = true};

    dstack_err e = tls_issue(call->agent, key, req, &chain);
    if (e != DSTACK_OK) {
        return e; /* tls_issue's text */
    }
    p256_pkcs8_pem(key, pem);
    /* One allocation: a PEM line is 64 characters and a newline, written as the 2 bytes \n. */
    size_t need = 2 * sizeof pem + 64;
    for (size_t i = 0; i < chain.n; i++) {
        size_t n = strlen(chain.pem[i]);
        need += n + n / 64 + 8;
    }
    json_out_reserve(&a, need);
    json_out_cstr(&a, "{\"key\":");
    json_out_string(&a, pem, strlen(pem));
    json_out_cstr(&a, ",\"certificate_chain\":[");
    for (size_t i = 0; i < chain.n; i++) {
        json_out_cstr(&a, i > 0 ? "," : "");
        json_out_string(&a, chain.pem[i], strlen(chain.pem[i]));
    }
    json_out_cstr(&a, "]}");
    secret_wipe(pem, sizeof pem);
    tls_chain_free(&chain);
    call->result_text = json_out_take(&a, &call->result_text_len);
    return call->result_text != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

/* The certificate fields GetTlsKey and DeriveKey share. */
static dstack_err read_cert_args(struct rpc_call *call, struct tls_request *req, const char ***alt)
{
    dstack_err e;
    if ((e = rpc_arg_string(call, "subject", &req->subject)) != DSTACK_OK ||
        (e = rpc_arg_string_array(call, "alt_names", alt, &req->n_alt_names)) != DSTACK_OK ||
        (e = rpc_arg_bool(call, "usage_ra_tls", &req->usage_ra_tls)) != DSTACK_OK ||
        (e = rpc_arg_bool(call, "usage_server_auth", &req->usage_server_auth)) != DSTACK_OK) {
        return e;
    }
    return rpc_arg_bool(call, "usage_client_auth", &req->usage_client_auth);
}

dstack_err h_get_tls_key(struct rpc_call *call)
{
    struct tls_request req = {0};
    const char **alt = NULL;
    struct p256_key key;
    uint64_t nb, na;
    dstack_err rc;

    if (read_cert_args(call, &req, &alt) != DSTACK_OK ||
        rpc_arg_u64_opt(call, "not_before", &req.has_not_before, &req.not_before) != DSTACK_OK ||
        rpc_arg_u64_opt(call, "not_after", &req.has_not_after, &req.not_after) != DSTACK_OK ||
        rpc_arg_bool(call, "with_app_info", &req.with_app_info) != DSTACK_OK) {
        free(alt);
        return DSTACK_EINVAL;
    }
    req.alt_names = alt;
    /* validate_cert_validity runs before the key is made (rpc_service.rs:L274-286). */
    if (x509_validity(req.has_not_before, req.not_before, req.has_not_after, req.not_after,
                      (uint64_t)time(NULL), &nb, &na) != DSTACK_OK) {
        free(alt);
        return DSTACK_EINVAL; /* x509_validity's text */
    }
    if (p256_generate(&key) != DSTACK_OK) {
        free(alt);
        return err_set(DSTACK_EINVAL, "Failed to derive key");
    }
    rc = respond_chain(call, &key, &req);
    secret_wipe(&key, sizeof key);
    free(alt);
    return rc;
}

dstack_err h_derive_key(struct rpc_call *call)
{
    struct tls_request req = {0};
    const char **alt = NULL;
    const char *path = "";
    bool random_seed = false;
    struct p256_key key;
    struct secret32 seed = {0};
    dstack_err e;
    dstack_err rc;

    if (rpc_arg_string(call, "path", &path) != DSTACK_OK ||
        read_cert_args(call, &req, &alt) != DSTACK_OK ||
        rpc_arg_bool(call, "random_seed", &random_seed) != DSTACK_OK) {
        free(alt);
        return DSTACK_EINVAL;
    }
    req.alt_names = alt;
    if (call->agent->keys == NULL) {
        free(alt);
        return err_set(DSTACK_EINVAL, "no keys file is loaded");
    }
    /* ikm = 32 random bytes or the app key; info = path (rpc_service.rs:L507-521). */
    if (random_seed) {
        e = RAND_priv_bytes(seed.b, sizeof seed.b) == 1
                ? p256_derive(seed.b, sizeof seed.b, path, strlen(path), &key)
                : DSTACK_ECRYPTO;
    } else {
        e = p256_derive(call->agent->keys->k256_key, call->agent->keys->k256_key_len, path,
                        strlen(path), &key);
    }
    secret_wipe(&seed, sizeof seed);
    if (e != DSTACK_OK) {
        free(alt);
        return err_set(DSTACK_EINVAL, "Failed to derive key: failed to decode derived secret key");
    }
    rc = respond_chain(call, &key, &req);
    secret_wipe(&key, sizeof key);
    free(alt);
    return rc;
}

dstack_err tls_demo_cert(struct agent *a, char **pem)
{
    struct tls_request req = {
        .subject = "demo-cert", .usage_client_auth = true, .usage_ra_tls = true};
    struct tls_chain chain = {0};
    struct p256_key key;
    size_t n = 1;

    *pem = NULL;
    dstack_err e = p256_generate(&key);
    if (e != DSTACK_OK) {
        return err_set(e, "cannot make a key");
    }
    e = tls_issue(a, &key, &req, &chain);
    secret_wipe(&key, sizeof key);
    for (size_t i = 0; e == DSTACK_OK && i < chain.n; i++) {
        n += strlen(chain.pem[i]) + 1;
    }
    if (e == DSTACK_OK && (*pem = malloc(n)) == NULL) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (e == DSTACK_OK) {
        /* certificate_chain.join("\n") */
        size_t used = 0;
        for (size_t i = 0; i < chain.n; i++) {
            used +=
                (size_t)snprintf(*pem + used, n - used, "%s%s", i > 0 ? "\n" : "", chain.pem[i]);
        }
    }
    tls_chain_free(&chain);
    return e;
}
