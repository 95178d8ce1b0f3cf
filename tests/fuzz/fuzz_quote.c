/* libFuzzer target: the TDX quote parser and verifier on arbitrary bytes (docs/attestation.md
 * docs/attestation.md). Build: clang -fsanitize=fuzzer,address,undefined with libdstack (see
 * tests/fuzz/README). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <dstack/quote.h>

#include "tee/sim_pck.h"
#include "util/error.h"

/* The simulator's root for seed 0x31*32, so verification runs past the root check. */
static char root_buf[4096];
static const char *root;
static size_t root_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    uint8_t seed[QUOTE_SEED_LEN];
    struct quote_pki *pki = NULL;
    memset(seed, 0x31, sizeof seed);
    if (quote_pki_new(seed, &pki) == DSTACK_OK) {
        root_len = strlen(quote_pki_root_pem(pki));
        if (root_len < sizeof root_buf) {
            memcpy(root_buf, quote_pki_root_pem(pki), root_len + 1);
            root = root_buf;
        }
    }
    quote_pki_free(pki);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dstack_quote q;
    size_t off;
    if (dstack_quote_parse(data, size, &q) == DSTACK_OK) {
        /* every borrowed pointer lies inside the input */
        if (q.pck_chain + q.pck_chain_len > data + size || q.end > size) {
            __builtin_trap();
        }
    }
    (void)dstack_quote_report_data_offset(data, size, &off);
    if (root != NULL) {
        (void)dstack_quote_verify(data, size, root, root_len);
    }
    return 0;
}
