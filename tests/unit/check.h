/* Minimal test harness: CHECK* record failures and keep going; check_exit() reports. */
#ifndef DSTACK_TEST_CHECK_H
#define DSTACK_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/hex.h"

/* unused where only the helpers below are wanted (the integration harness) */
static int check_failed __attribute__((unused));
static int check_total __attribute__((unused));

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_total++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *check_g_ = (got), *check_w_ = (want);                                          \
        check_total++;                                                                             \
        if (check_g_ == NULL || strcmp(check_g_, check_w_) != 0) {                                 \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #got,       \
                    check_g_ ? check_g_ : "(null)", check_w_);                                     \
        }                                                                                          \
    } while (0)

/* Compare a byte buffer with an expected lowercase hex string. */
#define CHECK_HEX(buf, len, want_hex)                                                              \
    do {                                                                                           \
        const unsigned char *check_b_ = (const unsigned char *)(buf);                              \
        size_t check_l_ = (len);                                                                   \
        char *check_h_ = malloc(2 * check_l_ + 1);                                                 \
        for (size_t check_i_ = 0; check_i_ < check_l_; check_i_++) {                               \
            snprintf(check_h_ + 2 * check_i_, 3, "%02x", check_b_[check_i_]);                      \
        }                                                                                          \
        check_h_[2 * check_l_] = '\0';                                                             \
        CHECK_STR(check_h_, want_hex);                                                             \
        free(check_h_);                                                                            \
    } while (0)

/* Hex test data into out; a malformed constant is a bug in the test itself (exit 2). */
static inline size_t check_unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (hex_decode(h, strlen(h), out, cap, &n) != DSTACK_OK) {
        fprintf(stderr, "bad test hex %s\n", h);
        exit(2);
    }
    return n;
}

/* A whole file, NUL-terminated (the NUL is not counted in *len); NULL when unreadable. */
static inline char *check_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    *len = 0;
    if (f == NULL) {
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, (cap = cap ? 2 * cap : 65536) + 1);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0) {
            break;
        }
        n += r;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* check_read_file for text whose length the caller does not need. */
static inline char *check_read_text(const char *path)
{
    size_t len;
    return check_read_file(path, &len);
}

static inline int check_exit(void)
{
    printf("%d checks, %d failed\n", check_total, check_failed);
    return check_failed == 0 ? 0 : 1;
}

/* Path of a data file under tests/fixtures (rel like "upstream/tdx/ccel.bin"). A missing file
 * is a broken checkout, not a reason to skip: the test fails with the path it wanted. */
static inline const char *check_fixture(const char *rel)
{
    static char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", DSTACK_FIXTURE_DIR, rel);
    if (stat(path, &st) != 0) {
        printf("FAIL: fixture %s is missing (tests/fixtures/PROVENANCE.md says where it comes "
               "from)\n",
               path);
        exit(1);
    }
    return path;
}

#endif
