/* KMS issuance: the client identity and SignCert (see kms_client.h). */
#include "kms/kms_client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "appkeys.h"
#include "json/json.h"
#include "kms/kms_csr.h"
#include "log.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/error.h"

/* generate_ra_cert's subject (ra-tls/src/cert.rs:L567-571). */
#define KMS_CLIENT_SUBJECT "RA-TLS TEMP Cert"

struct kms_client {
    pthread_mutex_t lock; /* guards the one-time identity set-up */
    bool ready;
    atomic_bool cancel;
    char *cert_pem; /* the client RA-TLS certificate */
    char *key_pem;  /* its key: P256_PKCS8_PEM_MAX bytes of locked memory */
    size_t key_pem_len;
};

dstack_err kms_client_new(struct kms_client **out)
{
    struct kms_client *kc = calloc(1, sizeof *kc);
    *out = NULL;
    if (kc == NULL) {
        return DSTACK_ENOMEM;
    }
    kc->key_pem = secret_alloc(P256_PKCS8_PEM_MAX);
    if (kc->key_pem == NULL || pthread_mutex_init(&kc->lock, NULL) != 0) {
        secret_free(kc->key_pem, P256_PKCS8_PEM_MAX);
        free(kc);
        return DSTACK_ENOMEM;
    }
    *out = kc;
    return DSTACK_OK;
}

void kms_client_cancel(struct kms_client *kc)
{
    if (kc != NULL) {
        atomic_store(&kc->cancel, true);
    }
}

void kms_client_free(struct kms_client *kc)
{
    if (kc == NULL) {
        return;
    }
    pthread_mutex_destroy(&kc->lock);
    secret_free(kc->key_pem, P256_PKCS8_PEM_MAX);
    free(kc->cert_pem);
    free(kc);
}

/* The client certificate for `key` under the keys file's temporary CA. */
static dstack_err issue_client_cert(struct agent *a, const struct p256_key *key, char **pem)
{
    struct app_keys *k = a->keys;
    struct x509_ca *ca = NULL;
    struct tls_evidence ev = {0};
    uint8_t spki[P256_SPKI_LEN];
    uint64_t nb = 0, na = 0;
    dstack_err e;

    p256_spki(key->point, spki);
    if ((e = tls_cert_evidence(a, spki, TLS_EVIDENCE_QUOTE, &ev)) != DSTACK_OK) {
        goto out;
    }
    e = x509_ca_load(k->tmp_ca_cert, strlen(k->tmp_ca_cert), k->tmp_ca_key, strlen(k->tmp_ca_key),
                     &ca);
    if (e != DSTACK_OK) {
        err_wrap(e, "the keys file's tmp_ca_cert/tmp_ca_key");
        goto out;
    }
    (void)x509_validity(false, 0, false, 0, (uint64_t)time(NULL), &nb, &na);
    struct x509_leaf_req req = {
        .subject = KMS_CLIENT_SUBJECT,
        .not_before = nb,
        .not_after = na,
        .attestation = ev.attestation,
        .attestation_len = ev.attestation_len,
    };
    e = x509_leaf_issue(ca, &req, key->point, pem);
out:
    tls_evidence_free(&ev);
    x509_ca_free(ca); /* wipes its copy of the temporary CA key */
    return e;
}

/* Makes the identity on first use; the temporary CA key is wiped once it has served. */
static dstack_err ensure_identity(struct agent *a, struct kms_client *kc)
{
    struct p256_key key;
    dstack_err e = DSTACK_OK;

    pthread_mutex_lock(&kc->lock);
    if (kc->ready) {
        goto out;
    }
    if (a->keys->tmp_ca_key == NULL || a->keys->tmp_ca_cert == NULL) {
        e = err_set(DSTACK_EINVAL, "the keys file has no temporary CA");
        goto out;
    }
    if ((e = p256_generate(&key)) != DSTACK_OK) {
        err_set(e, "cannot make a key");
        goto out;
    }
    if ((e = issue_client_cert(a, &key, &kc->cert_pem)) == DSTACK_OK) {
        p256_pkcs8_pem(&key, kc->key_pem);
        kc->key_pem_len = strlen(kc->key_pem);
        struct app_keys *k = a->keys;
        secret_wipe((char *)k->tmp_ca_key, strlen(k->tmp_ca_key));
        k->tmp_ca_key = NULL;
        kc->ready = true;
        log_info("KMS client certificate ready; the temporary CA key is wiped");
    }
    secret_wipe(&key, sizeof key);
out:
    pthread_mutex_unlock(&kc->lock);
    return e;
}

/* {"api_version":2,"csr":hex,"signature":hex,"vm_config":...}: prpc's JSON, bytes as hex. */
static char *sign_cert_body(const uint8_t *csr, size_t csr_len, const uint8_t *sig, size_t sig_len,
                            const char *vm_config)
{
    struct json_out o = {0};
    const char *vm = vm_config != NULL ? vm_config : "";
    json_out_cstr(&o, "{\"api_version\":2,\"csr\":");
    json_out_hex(&o, csr, csr_len);
    json_out_cstr(&o, ",\"signature\":");
    json_out_hex(&o, sig, sig_len);
    json_out_cstr(&o, ",\"vm_config\":");
    json_out_string(&o, vm, strlen(vm));
    json_out_cstr(&o, "}");
    return json_out_take(&o, NULL);
}

static void endpoint_of(const struct agent *a, const struct kms_client *kc, struct kms_endpoint *ep)
{
    ep->url = a->keys->kms_url;
    ep->ca_pem = a->keys->ca_cert;
    ep->cert_pem = kc->cert_pem;
    ep->key_pem = kc->key_pem;
    ep->key_pem_len = kc->key_pem_len;
    ep->connect_timeout_ms = a->cfg->kms.connect_timeout_ms;
    ep->timeout_ms = a->cfg->kms.timeout_ms;
    ep->cancel = &kc->cancel;
}

/* CSR + signature + SignCert + checks; the error text gives the cause. */
static dstack_err sign_cert(struct agent *a, const struct p256_key *key,
                            const struct tls_request *req, const struct tls_evidence *ev,
                            struct tls_chain *out)
{
    struct kms_endpoint ep;
    uint8_t spki[P256_SPKI_LEN], sig[KMS_CSR_SIG_MAX];
    uint8_t *csr = NULL;
    size_t csr_len = 0, sig_len = 0, reply_len = 0;
    char *body = NULL, *reply = NULL;
    dstack_err e;

    p256_spki(key->point, spki);
    if ((e = kms_csr_encode(req, spki, sizeof spki, ev->full, ev->full_len, &csr, &csr_len)) !=
            DSTACK_OK ||
        (e = kms_csr_sign(key, csr, csr_len, sig, &sig_len)) != DSTACK_OK) {
        err_set(e, "cannot encode or sign the CSR");
        goto out;
    }
    body = sign_cert_body(csr, csr_len, sig, sig_len, a->vm_config);
    if (body == NULL) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    endpoint_of(a, a->kms, &ep);
    if ((e = kms_http_post(&ep, "SignCert", body, &reply, &reply_len)) != DSTACK_OK) {
        goto out;
    }
    if ((e = kms_chain_check(reply, reply_len, spki, sizeof spki, a->keys->ca_cert, out)) !=
        DSTACK_OK) {
        char shown[600];
        kms_url_for_log(a->keys->kms_url, shown, sizeof shown);
        err_wrap(e, "KMS %.200s SignCert", shown);
    }
out:
    secret_wipe(sig, sizeof sig); /* the signature is not secret, but it proves possession */
    free(csr);
    free(body);
    free(reply);
    return e;
}

dstack_err kms_sign_cert(struct agent *a, const struct p256_key *key, const struct tls_request *req,
                         struct tls_chain *out)
{
    struct tls_evidence ev = {0};
    uint8_t spki[P256_SPKI_LEN];
    dstack_err e;

    memset(out, 0, sizeof *out);
    if ((e = ensure_identity(a, a->kms)) != DSTACK_OK) {
        char shown[600];
        kms_url_for_log(a->keys->kms_url, shown, sizeof shown);
        err_wrap(e, "Failed to sign the CSR: KMS %.200s: no client certificate", shown);
        goto out;
    }
    /* Upstream quotes for every certificate, ext_quote or not: the KMS checks the CSR's
     * attestation in every case (rpc_service.rs issue_cert, main_service.rs sign_cert). */
    p256_spki(key->point, spki);
    if ((e = tls_cert_evidence(a, spki, TLS_EVIDENCE_FULL, &ev)) != DSTACK_OK) {
        goto out;
    }
    if ((e = sign_cert(a, key, req, &ev, out)) != DSTACK_OK) {
        err_wrap(e, "Failed to sign the CSR");
    }
out:
    if (e != DSTACK_OK) {
        log_warn("KMS certificate issuance failed: %s", err_text());
    }
    tls_evidence_free(&ev);
    return e;
}
