/* Every heap block the daemon's libraries free is wiped first (docs/security.md, "Secrets on the
 * heap"). Key material passes through heap blocks we do not own: cJSON trees of requests and of
 * the keys file, OpenSSL's decoders (the DER of every PEM key it parses), its BIO buffers and
 * TLS state, libcurl's buffers on the KMS path. Rather than chase each copy, the daemon installs
 * a free that wipes the whole block for cJSON, OpenSSL and libcurl before any of them allocates.
 * The block size comes from malloc_usable_size (glibc, ASan and valgrind all provide it), so no
 * size header is needed and blocks stay interchangeable with plain malloc/free. */
#ifndef DSTACK_AGENT_HEAP_WIPE_H
#define DSTACK_AGENT_HEAP_WIPE_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the wiping allocator into cJSON and OpenSSL. Call first thing in main, before any
 * OpenSSL allocation: OpenSSL accepts new memory functions only until its first allocation.
 * False when OpenSSL refused them (the caller logs it; cJSON's hooks are installed anyway). */
bool heap_wipe_install(void);

/* free() that wipes the whole block first; NULL ok. Also the free callback of the answers handed
 * to libmicrohttpd, and of any malloc'd buffer that held a secret. */
void heap_wipe_free(void *p);

/* realloc() that never leaves the old contents behind: a grown block is a new block, the old
 * one is wiped and freed. For libcurl (curl_global_init_mem). */
void *heap_wipe_realloc(void *p, size_t n);

#endif
