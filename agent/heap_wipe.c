/* The wiping allocator of the daemons (see heap_wipe.h). */
#include "heap_wipe.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

void heap_wipe_free(void *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

void *heap_wipe_realloc(void *p, size_t n)
{
    if (p == NULL) {
        return malloc(n);
    }
    if (n == 0) {
        heap_wipe_free(p);
        return NULL;
    }
    size_t have = malloc_usable_size(p);
    if (n <= have) { /* shrinking keeps the block: nothing is left behind */
        return p;
    }
    void *q = malloc(n);
    if (q != NULL) {
        memcpy(q, p, have);
        heap_wipe_free(p);
    }
    return q;
}

/* OpenSSL's signatures carry the caller's file and line (CRYPTO_set_mem_functions). */
static void *ossl_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return heap_wipe_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    heap_wipe_free(p);
}

bool heap_wipe_install(void)
{
    cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = heap_wipe_free};
    cJSON_InitHooks(&hooks);
    return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
}
