/* libFuzzer target: the DCAP collateral parsers (lib/verify, docs/verify.md) on arbitrary
 * bytes. Byte 0 picks the parser:
 *   0 dcap-qvl's collateral JSON (dstack_collateral_from_json), then a to_json round trip and a
 *     verification of a fixed quote against it;
 *   1 TCB info JSON (tcb_info_parse);
 *   2 QE identity JSON (qe_identity_parse);
 *   3 a PEM certificate chain (pki_pem_chain) and the same bytes as a DER CRL;
 *   4 a PCCS answer: the signed document cut out of it (pccs_json_raw_value). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/verify.h>

#include "verify/dcap.h"
#include "verify/pccs.h"

static void collateral(const uint8_t *d, size_t n)
{
    struct dstack_collateral *c = NULL;
    char *again = NULL;
    if (dstack_collateral_from_json((const char *)d, n, &c) != DSTACK_OK) {
        return;
    }
    if (dstack_collateral_to_json(c, &again) != DSTACK_OK) {
        __builtin_trap();
    }
    /* a quote-shaped buffer so that verification walks the collateral checks */
    static uint8_t quote[1200];
    quote[0] = 4;
    quote[2] = 2;
    quote[4] = 0x81;
    struct dstack_dcap_report rep;
    (void)dstack_dcap_verify(quote, sizeof quote, c, 1751328000, NULL, &rep);
    free(again);
    dstack_collateral_free(c);
}

static void pem_and_crl(const uint8_t *d, size_t n)
{
    STACK_OF(X509) *sk = NULL;
    if (pki_pem_chain((const char *)d, n, &sk) == DSTACK_OK) {
        sk_X509_pop_free(sk, X509_free);
    }
    X509_CRL *crl = der_cache_crl(d, n);
    X509_CRL_free(crl);
    uint8_t *der = NULL;
    size_t der_len = 0;
    if (dstack_cert_to_der((const char *)d, n, &der, &der_len) == DSTACK_OK) {
        free(der);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    char *text = malloc(n + 1); /* the document parsers take NUL-terminated text */
    if (text == NULL) {
        return 0;
    }
    memcpy(text, d, n);
    text[n] = '\0';
    switch (data[0] % 5) {
    case 0:
        collateral(d, n);
        break;
    case 1: {
        struct tcb_info t;
        if (tcb_info_parse(text, &t) == DSTACK_OK) {
            tcb_info_clear(&t);
        }
        break;
    }
    case 2: {
        struct qe_identity q;
        if (qe_identity_parse(text, &q) == DSTACK_OK) {
            qe_identity_clear(&q);
        }
        break;
    }
    case 3:
        pem_and_crl(d, n);
        break;
    default: {
        const char *at = NULL;
        size_t len = 0;
        if (pccs_json_raw_value(text, n, "tcbInfo", &at, &len) &&
            (at < text || at + len > text + n)) {
            __builtin_trap();
        }
        break;
    }
    }
    free(text);
    return 0;
}
