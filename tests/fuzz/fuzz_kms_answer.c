/* libFuzzer target: the KMS's SignCert answer (agent/kms/kms_chain.c kms_chain_check), the one
 * input of the KMS client that comes from the network after TLS: JSON, then three PEM
 * certificates, the leaf key compared, the chain verified to a fixed CA. */
#include <stdlib.h>
#include <string.h>

#include "tee/sim_pck.h"
#include "kms/kms_client.h"
#include "x509/p256.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ca;
static struct quote_pki *pki; /* lives as long as the process */
static uint8_t spki[P256_SPKI_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    uint8_t seed[QUOTE_SEED_LEN];
    struct p256_key key;

    memset(seed, 0x4b, sizeof seed);
    if (quote_pki_new(seed, &pki) == DSTACK_OK) {
        ca = quote_pki_root_pem(pki);
    }
    if (p256_generate(&key) == DSTACK_OK) {
        p256_spki(key.point, spki);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_chain chain;
    if (ca == NULL) {
        return 0;
    }
    if (kms_chain_check((const char *)data, size, spki, sizeof spki, ca, &chain) == DSTACK_OK) {
        tls_chain_free(&chain);
    }
    return 0;
}
