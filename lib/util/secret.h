/* Fixed-size secrets and wiping. Secrets never travel as char *. */
#ifndef DSTACK_UTIL_SECRET_H
#define DSTACK_UTIL_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

struct secret32 {
    uint8_t b[DSTACK_KEY_LEN];
};

/* A wipe the compiler cannot drop (OPENSSL_cleanse). */
void secret_wipe(void *p, size_t len);

/* Allocates len bytes that are locked in RAM (mlock, best effort) and excluded from core dumps
 * (MADV_DONTDUMP). Returns NULL on failure. Free with secret_free, which wipes first. */
void *secret_alloc(size_t len);
void secret_free(void *p, size_t len);

/* Constant-time equality of two buffers of the same length. */
int secret_equal(const void *a, const void *b, size_t len);

#endif
