/* agent/heap_wipe.c: the wiping allocator the daemons install into cJSON, OpenSSL and libcurl.
 * That freed blocks hold no key is integration.it_heap_wipe's to show (reading a freed block
 * here would be undefined); this checks the allocator's contract: installed before OpenSSL's
 * first allocation, realloc keeps the contents and never hands back a block it freed, and the
 * libraries work through it. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

#include "check.h"
#include "heap_wipe.h"

static void test_realloc(void)
{
    static const size_t sizes[] = {1, 24, 100, 4096, 200000}; /* the last one is mmap'd */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *p = heap_wipe_realloc(NULL, sizes[i]);
        CHECK(p != NULL);
        if (p == NULL) {
            continue;
        }
        for (size_t j = 0; j < sizes[i]; j++) {
            p[j] = (uint8_t)(j * 7 + 1);
        }
        size_t usable = malloc_usable_size(p);
        uint8_t *same = heap_wipe_realloc(p, usable); /* fits: the block stays */
        CHECK(same == p);
        uint8_t *grown = heap_wipe_realloc(same, 2 * usable + 1);
        CHECK(grown != NULL);
        bool kept = grown != NULL;
        for (size_t j = 0; kept && j < sizes[i]; j++) {
            kept = grown[j] == (uint8_t)(j * 7 + 1);
        }
        CHECK(kept);
        CHECK(heap_wipe_realloc(grown, 0) == NULL); /* freed */
    }
    heap_wipe_free(NULL);
}

/* OpenSSL and cJSON through the hooks: a memory BIO grown past its first buffer (reallocs) and
 * a digest; a tree built, printed (cJSON grows its buffer by malloc + free then) and freed. */
static void test_libraries(void)
{
    BIO *b = BIO_new(BIO_s_mem());
    char line[100];
    memset(line, 'k', sizeof line);
    for (int i = 0; b != NULL && i < 200; i++) {
        CHECK(BIO_write(b, line, sizeof line) == (int)sizeof line);
    }
    char *data = NULL;
    CHECK(b != NULL && BIO_get_mem_data(b, &data) == 200 * (long)sizeof line);
    BIO_free(b);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    CHECK(EVP_Digest("abc", 3, md, &md_len, EVP_sha256(), NULL) == 1 && md_len == 32);
    CHECK_HEX(md, 4, "ba7816bf");

    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o != NULL && i < 100; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        cJSON_AddStringToObject(o, key, "0123456789abcdef0123456789abcdef");
    }
    char *text = cJSON_PrintUnformatted(o);
    CHECK(text != NULL && strlen(text) > 100 * 32);
    cJSON_free(text);
    cJSON_Delete(o);
}

int main(void)
{
    /* first, as in daemon_main: OpenSSL takes memory functions only before it allocates */
    CHECK(heap_wipe_install());
    test_realloc();
    test_libraries();
    return check_exit();
}
