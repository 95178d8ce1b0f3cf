/* libFuzzer target: certificates from a peer (include/dstack/ratls.h): one certificate as PEM or
 * DER, its dstack extensions and the attestation binding; then the same bytes as a PEM chain
 * against a fixed CA. Byte 0 picks the mode. */
#include <stdlib.h>
#include <string.h>

#include <dstack/ratls.h>

#include "tee/sim_pck.h"
#include "util/error.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *root;
static size_t root_len;
static struct quote_pki *pki; /* lives as long as the process */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    uint8_t seed[QUOTE_SEED_LEN];

    memset(seed, 0x31, sizeof seed);
    if (quote_pki_new(seed, &pki) == DSTACK_OK) {
        root = quote_pki_root_pem(pki); /* kept for the process lifetime */
        root_len = strlen(root);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    err_clear();
    if ((data[0] & 1) == 0) {
        struct dstack_ratls_cert *c = NULL;
        if (dstack_ratls_cert_parse(in, len, &c) != DSTACK_OK) {
            return 0;
        }
        size_t spki_len = 0;
        const uint8_t *spki = dstack_ratls_cert_spki(c, &spki_len);
        uint8_t rd[DSTACK_REPORT_DATA_LEN];
        if (spki != NULL) {
            (void)dstack_ratls_report_data(spki, spki_len, rd);
        }
        const uint8_t *p;
        size_t n;
        (void)dstack_ratls_cert_attestation(c, &p, &n);
        (void)dstack_ratls_cert_app_info(c, &p, &n);
        (void)dstack_ratls_cert_usage(c, &p, &n);
        if (root != NULL) {
            (void)dstack_ratls_check_binding(c, root, root_len);
        }
        dstack_ratls_cert_free(c);
    } else if (root != NULL) {
        /* The chain and the CA both come from the input: split at the first NUL. */
        const uint8_t *nul = memchr(in, 0, len);
        size_t chain_len = nul != NULL ? (size_t)(nul - in) : len;
        const char *ca = nul != NULL ? (const char *)nul + 1 : (const char *)in;
        size_t ca_len = nul != NULL ? len - chain_len - 1 : len;
        struct dstack_ratls_cert *leaf = NULL;
        if (dstack_ratls_verify_chain((const char *)in, chain_len, ca, ca_len, root, root_len,
                                      &leaf) == DSTACK_OK) {
            dstack_ratls_cert_free(leaf);
        } else if (leaf != NULL) {
            __builtin_trap();
        }
    }
    return 0;
}
