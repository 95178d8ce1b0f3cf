#include "util/secret.h"

#include <openssl/crypto.h>
#include <sys/mman.h>

void secret_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        OPENSSL_cleanse(p, len);
    }
}

void *secret_alloc(size_t len)
{
    /* Whole pages so that madvise/mlock cover exactly this allocation. */
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    (void)madvise(p, len, MADV_DONTDUMP);
    (void)mlock(p, len); /* best effort: RLIMIT_MEMLOCK may be small for unprivileged users */
    return p;
}

void secret_free(void *p, size_t len)
{
    if (p == NULL) {
        return;
    }
    secret_wipe(p, len);
    (void)munlock(p, len);
    (void)munmap(p, len);
}

int secret_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
