/* The PCCS / PCS client (pccs.h): which collateral a quote needs, the five GETs of PCS API v4
 * (pckcrl, rootcacrl, tcb, qe/identity; as dcap-qvl src/collateral.rs), and the cache. */
#include "pccs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcap.h"
#include "pccs_cache.h"
#include "pccs_http.h"
#include "util/hex.h"

#define INTEL_PCS_HOST "https://api.trustedservices.intel.com"
/* The root CA's CRL distribution point (the Intel SGX Root CA certificate's CDP extension). */
#define INTEL_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"

dstack_err pccs_key_for_quote(const uint8_t *q, size_t len, struct pccs_key *k)
{
    struct dcap_quote dq;
    STACK_OF(X509) *chain = NULL;
    struct pck_ext ext;
    dstack_err err = dcap_quote_parse(q, len, &dq);
    if (err != DSTACK_OK) {
        return err;
    }
    if (dq.cert_type != DSTACK_QUOTE_CERT_PCK_CHAIN) {
        return err_set(DSTACK_EUNSUPPORTED,
                       "the quote carries no PCK chain (certification data type %u)", dq.cert_type);
    }
    if (pki_pem_chain((const char *)dq.cert_data, dq.cert_len, &chain) != DSTACK_OK ||
        sk_X509_num(chain) < 1) {
        sk_X509_pop_free(chain, X509_free);
        return err_set(DSTACK_EFORMAT, "the quote's PCK chain does not parse");
    }
    X509 *leaf = sk_X509_value(chain, 0);
    if ((err = pck_ext_parse(leaf, &ext)) == DSTACK_OK) {
        char issuer[512] = "";
        X509_NAME_oneline(X509_get_issuer_name(leaf), issuer, sizeof issuer);
        k->sgx = dq.tee_type == DCAP_TEE_SGX;
        for (size_t i = 0; i < DSTACK_FMSPC_LEN; i++) {
            snprintf(k->fmspc + 2 * i, 3, "%02X", ext.fmspc[i]);
        }
        k->ca = strstr(issuer, "Platform") != NULL ? "platform" : "processor";
    }
    sk_X509_pop_free(chain, X509_free);
    return err;
}

/* A CRL body: DER (Intel PCS, encoding=der) or hex text (PCCS). */
static dstack_err crl_body(struct pccs_answer *a, uint8_t **out, size_t *len)
{
    size_t n = a->body_len;
    while (n > 0 && isspace((unsigned char)a->body[n - 1])) {
        n--;
    }
    bool is_hex = n > 0 && n % 2 == 0;
    for (size_t i = 0; is_hex && i < n; i++) {
        is_hex = isxdigit((unsigned char)a->body[i]) != 0;
    }
    if (is_hex) {
        return hex_decode_alloc(a->body, n, out, len);
    }
    if ((*out = malloc(a->body_len ? a->body_len : 1)) == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    memcpy(*out, a->body, a->body_len);
    *len = a->body_len;
    return DSTACK_OK;
}

/* {"<key>": {...signed...}, "signature": "hex"}: the signed text and its signature. */
static dstack_err signed_doc(struct pccs_answer *a, const char *key, char **doc, uint8_t **sig,
                             size_t *sig_len)
{
    const char *at = NULL;
    size_t n = 0;
    char sig_hex[300];
    struct cJSON *j = vjson_parse(a->body, a->body_len);
    bool ok = j != NULL && vjson_str(j, "signature", sig_hex, sizeof sig_hex) &&
              pccs_json_raw_value(a->body, a->body_len, key, &at, &n) && at[0] == '{';
    vjson_free(j);
    if (!ok || hex_decode_alloc(sig_hex, strlen(sig_hex), sig, sig_len) != DSTACK_OK) {
        return err_set(DSTACK_EPROTO, "no \"%s\" object and \"signature\" hex", key);
    }
    *doc = strndup(at, n);
    return *doc != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

static void base_url(const char *url, char *out, size_t cap)
{
    size_t n = strlen(url);
    static const char *const suffixes[] = {"/sgx/certification/v4", "/tdx/certification/v4", "/"};
    snprintf(out, cap, "%s", url);
    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n >= sl && strcmp(out + n - sl, suffixes[i]) == 0) {
            out[n - sl] = '\0';
            n -= sl;
        }
    }
}

struct fetch {
    const struct pccs_options *o;
    char base[1024];
    char url[1200];
    struct dstack_collateral *c;
};

static dstack_err get(struct fetch *f, const char *tee, const char *path, const char *header,
                      struct pccs_answer *a)
{
    snprintf(f->url, sizeof f->url, "%s/%s/certification/v4/%s", f->base, tee, path);
    return pccs_http_get(f->url, header, f->o->timeout_ms, a);
}

static dstack_err fetch_crls(struct fetch *f, const struct pccs_key *k)
{
    struct pccs_answer a;
    char path[64];
    snprintf(path, sizeof path, "pckcrl?ca=%s&encoding=der", k->ca);
    dstack_err err = get(f, "sgx", path, "SGX-PCK-CRL-Issuer-Chain", &a);
    if (err == DSTACK_OK) {
        f->c->pck_crl_issuer_chain = a.header_value;
        a.header_value = NULL;
        err = crl_body(&a, &f->c->pck_crl, &f->c->pck_crl_len);
        pccs_answer_clear(&a);
    }
    if (err != DSTACK_OK) {
        return err;
    }
    if (strncmp(f->base, INTEL_PCS_HOST, strlen(INTEL_PCS_HOST)) == 0) {
        err = pccs_http_get(INTEL_ROOT_CRL_URL, NULL, f->o->timeout_ms, &a);
    } else {
        err = get(f, "sgx", "rootcacrl", NULL, &a);
    }
    if (err == DSTACK_OK) {
        err = crl_body(&a, &f->c->root_ca_crl, &f->c->root_ca_crl_len);
        pccs_answer_clear(&a);
    }
    return err;
}

static dstack_err fetch_docs(struct fetch *f, const struct pccs_key *k)
{
    struct pccs_answer a;
    char path[64];
    const char *tee = k->sgx ? "sgx" : "tdx";
    snprintf(path, sizeof path, "tcb?fmspc=%s", k->fmspc);
    dstack_err err = get(f, tee, path, "TCB-Info-Issuer-Chain", &a);
    if (err == DSTACK_OK) {
        f->c->tcb_info_issuer_chain = a.header_value;
        a.header_value = NULL;
        err = signed_doc(&a, "tcbInfo", &f->c->tcb_info, &f->c->tcb_info_signature,
                         &f->c->tcb_info_signature_len);
        pccs_answer_clear(&a);
        if (err != DSTACK_OK) {
            return err_set(err, "%s: not a signed TCB info", f->url);
        }
    }
    if (err == DSTACK_OK) {
        err = get(f, tee, "qe/identity?update=standard", "SGX-Enclave-Identity-Issuer-Chain", &a);
    }
    if (err == DSTACK_OK) {
        f->c->qe_identity_issuer_chain = a.header_value;
        a.header_value = NULL;
        err = signed_doc(&a, "enclaveIdentity", &f->c->qe_identity, &f->c->qe_identity_signature,
                         &f->c->qe_identity_signature_len);
        pccs_answer_clear(&a);
        if (err != DSTACK_OK) {
            err = err_set(err, "%s: not a signed QE identity", f->url);
        }
    }
    return err;
}

dstack_err pccs_fetch(const struct pccs_options *o, const struct pccs_key *k,
                      struct dstack_collateral **out)
{
    struct fetch f = {.o = o};
    if (o == NULL || o->url == NULL || k == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "pccs_fetch: no URL, key or output");
    }
    if (o->cache_dir != NULL && pccs_cache_load(o->cache_dir, k, o->now, out) == DSTACK_OK) {
        return DSTACK_OK;
    }
    base_url(o->url, f.base, sizeof f.base);
    if ((f.c = calloc(1, sizeof *f.c)) == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err err = fetch_crls(&f, k);
    if (err == DSTACK_OK) {
        err = fetch_docs(&f, k);
    }
    if (err != DSTACK_OK) {
        dstack_collateral_free(f.c);
        return err;
    }
    if (o->cache_dir != NULL) {
        pccs_cache_store(o->cache_dir, k, f.c); /* best effort: a read-only cache still works */
    }
    *out = f.c;
    return DSTACK_OK;
}

dstack_err pccs_fetch_for_quote(const struct pccs_options *o, const uint8_t *q, size_t len,
                                struct dstack_collateral **out)
{
    struct pccs_key k;
    dstack_err err = pccs_key_for_quote(q, len, &k);
    return err == DSTACK_OK ? pccs_fetch(o, &k, out) : err;
}
