#include "crypto/hash.h"

#include <pthread.h>

static const char *const hash_names[HASH_ALG_COUNT] = {
    [HASH_SHA256] = "SHA2-256",   [HASH_SHA384] = "SHA2-384",   [HASH_SHA512] = "SHA2-512",
    [HASH_SHA3_256] = "SHA3-256", [HASH_SHA3_384] = "SHA3-384", [HASH_SHA3_512] = "SHA3-512",
};
static const size_t hash_lens[HASH_ALG_COUNT] = {
    [HASH_SHA256] = 32,   [HASH_SHA384] = 48,   [HASH_SHA512] = 64,
    [HASH_SHA3_256] = 32, [HASH_SHA3_384] = 48, [HASH_SHA3_512] = 64,
};

static EVP_MD *hash_mds[HASH_ALG_COUNT];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_fetch_all(void)
{
    for (int i = 0; i < HASH_ALG_COUNT; i++) {
        hash_mds[i] = EVP_MD_fetch(NULL, hash_names[i], NULL);
    }
}

const EVP_MD *hash_md(enum hash_alg alg)
{
    if ((unsigned)alg >= HASH_ALG_COUNT) {
        return NULL;
    }
    pthread_once(&hash_once, hash_fetch_all);
    return hash_mds[alg];
}

size_t hash_len(enum hash_alg alg)
{
    return (unsigned)alg < HASH_ALG_COUNT ? hash_lens[alg] : 0;
}

dstack_err hash_digest(enum hash_alg alg, const void *data, size_t len, uint8_t *out)
{
    const EVP_MD *md = hash_md(alg);
    if (md == NULL) {
        return DSTACK_ECRYPTO;
    }
    return EVP_Digest(data, len, out, NULL, md, NULL) == 1 ? DSTACK_OK : DSTACK_ECRYPTO;
}
