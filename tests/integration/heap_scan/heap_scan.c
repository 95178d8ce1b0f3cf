/* A test-only LD_PRELOAD library: every block the process frees (free, or realloc moving it) is
 * scanned, before it goes back to malloc, for key material, and each hit is written to a report
 * file with a backtrace. it_heap_wipe runs the simulator under it (docs/security.md, "Secrets on
 * the heap").
 *
 * What counts as key material:
 *  - each secret of DSTACK_HEAP_SCAN_SECRETS (comma-separated hex): its bytes, its lowercase hex
 *    (the wire's encoding) and its bytes reversed (an OpenSSL BIGNUM's limbs on little-endian);
 *  - any PEM private key ("PRIVATE KEY-----"), whatever its bytes: keys made at random
 *    (GetTlsKey, the KMS client) cannot be named in advance;
 *  - the DER of any P-256 private key: PKCS#8 (version 0, id-ecPublicKey, prime256v1, then the
 *    OCTET STRING) and SEC1 ECPrivateKey (version 1, a 32-byte OCTET STRING, then the curve).
 *
 * Inactive (plain free/realloc) unless DSTACK_HEAP_SCAN_REPORT names the report file. glibc's
 * __libc_free/__libc_realloc do the real work, so no dlsym is needed (it allocates). */
#include <execinfo.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void __libc_free(void *p);
extern void *__libc_realloc(void *p, size_t n);

#define SCAN_SECRETS_MAX 32
#define SCAN_SECRET_LEN 64
#define SCAN_PATTERNS_MAX (3 * SCAN_SECRETS_MAX + 4)
#define SCAN_REPORTS_MAX 200

struct pattern {
    char name[40];
    uint8_t b[2 * SCAN_SECRET_LEN];
    size_t len;
    /* SEC1: the curve OID must follow the scalar at this distance (0: no second part) */
    const uint8_t *tail;
    size_t tail_len, tail_at;
};

static struct pattern patterns[SCAN_PATTERNS_MAX];
static size_t n_patterns;
static int report_fd = -1;
static int n_reports;
static __thread bool busy; /* no scan of the frees our own reporting makes */

static const uint8_t pkcs8_p256[] = {0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
                                     0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
                                     0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04};
static const uint8_t sec1_head[] = {0x02, 0x01, 0x01, 0x04, 0x20};
static const uint8_t sec1_curve[] = {0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                     0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

static void add(const char *name, const void *b, size_t len)
{
    if (n_patterns < SCAN_PATTERNS_MAX && len <= sizeof patterns[0].b) {
        struct pattern *p = &patterns[n_patterns++];
        snprintf(p->name, sizeof p->name, "%s", name);
        memcpy(p->b, b, len);
        p->len = len;
    }
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One secret of the list: bytes, lowercase hex, reversed bytes. */
static void add_secret(const char *hex, size_t hex_len, size_t index)
{
    uint8_t raw[SCAN_SECRET_LEN], rev[SCAN_SECRET_LEN];
    char lower[2 * SCAN_SECRET_LEN], name[40];
    size_t n = hex_len / 2;
    if (hex_len % 2 != 0 || n == 0 || n > SCAN_SECRET_LEN) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return;
        }
        raw[i] = (uint8_t)(hi << 4 | lo);
        rev[n - 1 - i] = raw[i];
        lower[2 * i] = "0123456789abcdef"[hi];
        lower[2 * i + 1] = "0123456789abcdef"[lo];
    }
    snprintf(name, sizeof name, "secret %zu (bytes)", index);
    add(name, raw, n);
    snprintf(name, sizeof name, "secret %zu (hex)", index);
    add(name, lower, 2 * n);
    snprintf(name, sizeof name, "secret %zu (BIGNUM limbs)", index);
    add(name, rev, n);
}

__attribute__((constructor)) static void scan_init(void)
{
    const char *path = getenv("DSTACK_HEAP_SCAN_REPORT");
    const char *list = getenv("DSTACK_HEAP_SCAN_SECRETS");
    if (path == NULL || path[0] == '\0') {
        return;
    }
    busy = true;
    void *frames[4];
    backtrace(frames, 4); /* loads libgcc_s now, not inside a free */
    add("a PEM private key", "PRIVATE KEY-----", 16);
    add("a P-256 PKCS#8 key (DER)", pkcs8_p256, sizeof pkcs8_p256);
    add("a P-256 SEC1 key (DER)", sec1_head, sizeof sec1_head);
    struct pattern *sec1 = &patterns[n_patterns - 1];
    sec1->tail = sec1_curve;
    sec1->tail_len = sizeof sec1_curve;
    sec1->tail_at = sizeof sec1_head + 32;
    for (size_t i = 0; list != NULL && *list != '\0'; i++) {
        size_t len = strcspn(list, ",");
        add_secret(list, len, i);
        list += len + (list[len] == ',');
    }
    report_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    char line[120];
    int len = snprintf(line, sizeof line, "heap_scan: active in pid %d, %zu patterns\n",
                       (int)getpid(), n_patterns);
    if (report_fd >= 0 && len > 0 && write(report_fd, line, (size_t)len) < 0) {
        report_fd = -1;
    }
    busy = false;
}

static const struct pattern *find(const uint8_t *b, size_t n, size_t *at)
{
    for (size_t i = 0; i < n_patterns; i++) {
        const struct pattern *p = &patterns[i];
        const uint8_t *from = b;
        const uint8_t *hit;
        while ((hit = memmem(from, n - (size_t)(from - b), p->b, p->len)) != NULL) {
            size_t off = (size_t)(hit - b);
            if (p->tail == NULL || (off + p->tail_at + p->tail_len <= n &&
                                    memcmp(hit + p->tail_at, p->tail, p->tail_len) == 0)) {
                *at = off;
                return p;
            }
            from = hit + 1;
        }
    }
    return NULL;
}

static void report(const char *how, const struct pattern *p, size_t at, size_t size)
{
    if (report_fd < 0 || n_reports >= SCAN_REPORTS_MAX) {
        return;
    }
    n_reports++;
    char line[200];
    int len = snprintf(line, sizeof line, "LEAK: %s at offset %zu of a block of %zu bytes (%s)\n",
                       p->name, at, size, how);
    if (len > 0 && write(report_fd, line, (size_t)len) < 0) {
        return;
    }
    void *frames[24];
    int depth = backtrace(frames, 24);
    backtrace_symbols_fd(frames, depth, report_fd);
    if (write(report_fd, "\n", 1) < 0) {
        return;
    }
}

/* The hit in block p, if any, reported as `how`. */
static void scan(void *p, const char *how)
{
    size_t at = 0;
    size_t size = malloc_usable_size(p);
    const struct pattern *hit = find(p, size, &at);
    if (hit != NULL) {
        report(how, hit, at, size);
    }
}

void free(void *p)
{
    if (p != NULL && report_fd >= 0 && !busy) {
        busy = true;
        scan(p, "freed");
        busy = false;
    }
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    if (p == NULL || report_fd < 0 || busy) {
        return __libc_realloc(p, n);
    }
    busy = true;
    size_t at = 0, size = malloc_usable_size(p);
    const struct pattern *hit = find(p, size, &at);
    busy = false;
    void *q = __libc_realloc(p, n);
    /* Grown in place, the contents stay in the live block: only a move leaves them behind. */
    if (hit != NULL && q != p && (q != NULL || n == 0)) {
        busy = true;
        report("left behind by realloc", hit, at, size);
        busy = false;
    }
    return q;
}
