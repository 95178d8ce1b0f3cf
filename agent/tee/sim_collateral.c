/* Collateral for the simulated PKI (sim_pck.h quote_pki_collateral): what Intel's PCS would
 * serve for the simulator's platform, signed under the simulator's root, so its quotes verify
 * with dstack_dcap_verify end to end (docs/simulator.md). The platform is the one the quotes
 * describe: FMSPC 000000000000, PCE ID 0000, CPUSVN/PCESVN/TEE_TCB_SVN all zero, a QE with
 * MRSIGNER 0x44*32, ISVPRODID 1, ISVSVN 1 (mock-attestation's values). Validity as the
 * certificates: 2020-01-01 to 2100-01-01, so the bundle never expires under a simulator. */
#include "tee/sim_pck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#define SIM_ISSUE "2020-01-01T00:00:00Z"
#define SIM_NEXT "2100-01-01T00:00:00Z"

static char *zero_svns(void)
{
    static const char one[] = "{\"svn\":0}";
    char *s = malloc(16 * sizeof one + 4);
    size_t n = 0;
    if (s == NULL) {
        return NULL;
    }
    s[n++] = '[';
    for (int i = 0; i < 16; i++) {
        if (i) {
            s[n++] = ',';
        }
        memcpy(s + n, one, sizeof one - 1);
        n += sizeof one - 1;
    }
    s[n++] = ']';
    s[n] = '\0';
    return s;
}

/* Intel's TCB info v3 for TDX (PCS API v4 shape), one UpToDate level at zero. */
static char *tcb_info_text(void)
{
    char *svns = zero_svns();
    char *out = malloc(2048);
    if (svns == NULL || out == NULL) {
        free(svns);
        free(out);
        return NULL;
    }
    snprintf(out, 2048,
             "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
             "\"fmspc\":\"000000000000\",\"pceId\":\"0000\",\"tcbType\":0,"
             "\"tcbEvaluationDataNumber\":1,\"tdxModule\":{\"mrsigner\":\"%096d\","
             "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
             "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":%s,\"pcesvn\":0,"
             "\"tdxtcbcomponents\":%s},\"tcbDate\":\"%s\",\"tcbStatus\":\"UpToDate\"}]}",
             SIM_ISSUE, SIM_NEXT, 0, svns, svns, SIM_ISSUE);
    free(svns);
    return out;
}

static char *qe_identity_text(void)
{
    char *out = malloc(1024);
    if (out != NULL) {
        snprintf(out, 1024,
                 "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                 "\"tcbEvaluationDataNumber\":1,\"miscselect\":\"00000000\","
                 "\"miscselectMask\":\"FFFFFFFF\",\"attributes\":"
                 "\"00000000000000000000000000000000\",\"attributesMask\":"
                 "\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":"
                 "\"4444444444444444444444444444444444444444444444444444444444444444\","
                 "\"isvprodid\":1,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":1},\"tcbDate\":\"%s\","
                 "\"tcbStatus\":\"UpToDate\"}]}",
                 SIM_ISSUE, SIM_NEXT, SIM_ISSUE);
    }
    return out;
}

/* An empty CRL of issuer, signed by key, valid with the certificates. */
static dstack_err empty_crl(X509 *issuer, EVP_PKEY *key, uint8_t **der, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)QUOTE_PKI_NOT_BEFORE);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)QUOTE_PKI_NOT_AFTER);
    unsigned char *out = NULL;
    int n = -1;
    if (crl != NULL && tu != NULL && nu != NULL && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
        X509_CRL_set1_lastUpdate(crl, tu) && X509_CRL_set1_nextUpdate(crl, nu) &&
        X509_CRL_sign(crl, key, EVP_sha256()) > 0) {
        n = i2d_X509_CRL(crl, &out);
    }
    X509_CRL_free(crl);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    if (n <= 0 || (*der = malloc((size_t)n)) == NULL) {
        OPENSSL_free(out);
        return DSTACK_ECRYPTO;
    }
    memcpy(*der, out, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(out);
    return DSTACK_OK;
}

static dstack_err sign_doc(EVP_PKEY *key, const char *doc, uint8_t **sig, size_t *len)
{
    if ((*sig = malloc(DSTACK_QUOTE_SIG_LEN)) == NULL) {
        return DSTACK_ENOMEM;
    }
    *len = DSTACK_QUOTE_SIG_LEN;
    return quote_sign_raw(key, (const uint8_t *)doc, strlen(doc), *sig);
}

dstack_err quote_pki_collateral(const struct quote_pki *pki, struct dstack_collateral **out)
{
    struct quote_pki_parts p;
    struct dstack_collateral *c = calloc(1, sizeof *c);
    dstack_err err = DSTACK_ENOMEM;
    if (c == NULL) {
        return DSTACK_ENOMEM;
    }
    quote_pki_parts(pki, &p);
    c->pck_crl_issuer_chain = strdup(p.ca_chain_pem);
    c->tcb_info_issuer_chain = strdup(p.tcb_chain_pem);
    c->qe_identity_issuer_chain = strdup(p.tcb_chain_pem);
    c->tcb_info = tcb_info_text();
    c->qe_identity = qe_identity_text();
    if (c->pck_crl_issuer_chain == NULL || c->tcb_info_issuer_chain == NULL ||
        c->qe_identity_issuer_chain == NULL || c->tcb_info == NULL || c->qe_identity == NULL) {
        goto out;
    }
    if ((err = empty_crl(p.root, p.root_key, &c->root_ca_crl, &c->root_ca_crl_len)) != DSTACK_OK ||
        (err = empty_crl(p.pck_ca, p.pck_ca_key, &c->pck_crl, &c->pck_crl_len)) != DSTACK_OK ||
        (err = sign_doc(p.tcb_key, c->tcb_info, &c->tcb_info_signature,
                        &c->tcb_info_signature_len)) != DSTACK_OK ||
        (err = sign_doc(p.tcb_key, c->qe_identity, &c->qe_identity_signature,
                        &c->qe_identity_signature_len)) != DSTACK_OK) {
        goto out;
    }
    *out = c;
    return DSTACK_OK;
out:
    dstack_collateral_free(c);
    return err;
}
