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
#include "tls.h"

/* issue_cert, cert-client sign_csr and CaCert::sign_csr each add a context. */
#define TLS_SIGN_PREFIX                                                                            \
    "Failed to sign the CSR: Failed to sign certificate: Failed to sign certificate: "

dstack_err tls_issue(struct agent *a, const struct p256_key *key, const struct tls_request *req,
                     char **leaf_pem, char **ca_pem, char err[X509_ERR_MAX])
{
    struct x509_ca *ca = NULL;
    struct tls_evidence ev = {0};
    uint8_t spki[P256_SPKI_LEN];
    char why[X509_ERR_MAX] = "";
    dstack_err e;

    *leaf_pem = NULL;
    *ca_pem = NULL;
    if (a->keys == NULL || a->keys->ca_cert == NULL) {
        snprintf(err, X509_ERR_MAX, "no keys file is loaded");
        return DSTACK_EINVAL;
    }
    if (a->keys->provider == KEY_PROVIDER_KMS || a->keys->ca_key == NULL) {
        /* Upstream sends the CSR to KMS.SignCert here; not implemented in this agent. */
        snprintf(err, X509_ERR_MAX,
                 "Failed to sign the CSR: KMS certificate issuance is not "
                 "supported by this agent");
        return DSTACK_EUNSUPPORTED;
    }
    uint64_t nb = 0, na = 0;
    e = x509_validity(req->has_not_before, req->not_before, req->has_not_after, req->not_after,
                      (uint64_t)time(NULL), &nb, &na, err);
    if (e != DSTACK_OK) {
        return e;
    }
    e = x509_ca_load(a->keys->ca_cert, strlen(a->keys->ca_cert), a->keys->ca_key,
                     strlen(a->keys->ca_key), &ca, why);
    if (e != DSTACK_OK) {
        snprintf(err, X509_ERR_MAX, "Failed to create CA: %.200s", why);
        goto out;
    }
    p256_spki(key->point, spki);
    e = tls_cert_evidence(a, spki, req->usage_ra_tls, req->with_app_info, &ev, err);
    if (e != DSTACK_OK) {
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
    e = x509_leaf_issue(ca, &leaf, key->point, leaf_pem, why);
    if (e != DSTACK_OK) {
        /* The context chain of issue_cert -> sign_csr -> CaCert::sign_csr. */
        snprintf(err, X509_ERR_MAX, TLS_SIGN_PREFIX "%.170s", why);
        goto out;
    }
    *ca_pem = strdup(x509_ca_pem(ca));
    if (*ca_pem == NULL) {
        free(*leaf_pem);
        *leaf_pem = NULL;
        e = DSTACK_ENOMEM;
        snprintf(err, X509_ERR_MAX, "out of memory");
    }
out:
    tls_evidence_free(&ev);
    x509_ca_free(ca);
    return e;
}

/* {"key": PKCS#8 PEM, "certificate_chain": [leaf, CA]} (GetTlsKeyResponse). */
static bool respond_chain(struct rpc_call *call, const struct p256_key *key,
                          const struct tls_request *req)
{
    char *leaf = NULL, *ca = NULL;
    char err[X509_ERR_MAX] = "";
    char pem[P256_PKCS8_PEM_MAX];

    if (tls_issue(call->agent, key, req, &leaf, &ca, err) != DSTACK_OK) {
        return rpc_fail(call, "%s", err);
    }
    p256_pkcs8_pem(key, pem);
    json_t *chain = json_array();
    json_t *res = json_object();
    bool ok = chain != NULL && res != NULL &&
              json_array_append_new(chain, json_string(leaf)) == 0 &&
              json_array_append_new(chain, json_string(ca)) == 0 &&
              json_object_set_new(res, "key", json_string(pem)) == 0 &&
              json_object_set(res, "certificate_chain", chain) == 0;
    secret_wipe(pem, sizeof pem);
    json_decref(chain);
    free(leaf);
    free(ca);
    if (!ok) {
        json_decref(res);
        return rpc_fail(call, "out of memory");
    }
    call->result = res;
    return true;
}

/* The certificate fields GetTlsKey and DeriveKey share. */
static bool read_cert_args(struct rpc_call *call, struct tls_request *req, const char ***alt)
{
    return rpc_arg_string(call, "subject", &req->subject) &&
           rpc_arg_string_array(call, "alt_names", alt, &req->n_alt_names) &&
           rpc_arg_bool(call, "usage_ra_tls", &req->usage_ra_tls) &&
           rpc_arg_bool(call, "usage_server_auth", &req->usage_server_auth) &&
           rpc_arg_bool(call, "usage_client_auth", &req->usage_client_auth);
}

bool h_get_tls_key(struct rpc_call *call)
{
    struct tls_request req = {0};
    const char **alt = NULL;
    struct p256_key key;
    char err[X509_ERR_MAX] = "";
    uint64_t nb, na;
    bool ok = false;

    if (!read_cert_args(call, &req, &alt) ||
        !rpc_arg_u64_opt(call, "not_before", &req.has_not_before, &req.not_before) ||
        !rpc_arg_u64_opt(call, "not_after", &req.has_not_after, &req.not_after) ||
        !rpc_arg_bool(call, "with_app_info", &req.with_app_info)) {
        free(alt);
        return false;
    }
    req.alt_names = alt;
    /* validate_cert_validity runs before the key is made (rpc_service.rs:L274-286). */
    if (x509_validity(req.has_not_before, req.not_before, req.has_not_after, req.not_after,
                      (uint64_t)time(NULL), &nb, &na, err) != DSTACK_OK) {
        free(alt);
        return rpc_fail(call, "%s", err);
    }
    if (p256_generate(&key) != DSTACK_OK) {
        free(alt);
        return rpc_fail(call, "Failed to derive key");
    }
    ok = respond_chain(call, &key, &req);
    secret_wipe(&key, sizeof key);
    free(alt);
    return ok;
}

bool h_derive_key(struct rpc_call *call)
{
    struct tls_request req = {0};
    const char **alt = NULL;
    const char *path = "";
    bool random_seed = false;
    struct p256_key key;
    struct secret32 seed = {0};
    dstack_err e;
    bool ok = false;

    if (!rpc_arg_string(call, "path", &path) || !read_cert_args(call, &req, &alt) ||
        !rpc_arg_bool(call, "random_seed", &random_seed)) {
        free(alt);
        return false;
    }
    req.alt_names = alt;
    if (call->agent->keys == NULL) {
        free(alt);
        return rpc_fail(call, "no keys file is loaded");
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
        return rpc_fail(call, "Failed to derive key: failed to decode derived secret key");
    }
    ok = respond_chain(call, &key, &req);
    secret_wipe(&key, sizeof key);
    free(alt);
    return ok;
}

dstack_err tls_demo_cert(struct agent *a, char **pem)
{
    struct tls_request req = {
        .subject = "demo-cert", .usage_client_auth = true, .usage_ra_tls = true};
    struct p256_key key;
    char *leaf = NULL, *ca = NULL;
    char err[X509_ERR_MAX] = "";

    *pem = NULL;
    dstack_err e = p256_generate(&key);
    if (e == DSTACK_OK) {
        e = tls_issue(a, &key, &req, &leaf, &ca, err);
    }
    secret_wipe(&key, sizeof key);
    if (e == DSTACK_OK) {
        size_t n = strlen(leaf) + 1 + strlen(ca) + 1;
        *pem = malloc(n);
        if (*pem == NULL) {
            e = DSTACK_ENOMEM;
        } else {
            snprintf(*pem, n, "%s\n%s", leaf, ca);
        }
    }
    free(leaf);
    free(ca);
    return e;
}
