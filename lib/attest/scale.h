/* SCALE codec pieces used by dstack's legacy (V0) attestation format and its CSR encoding
 * (parity-scale-codec; docs/wire.md, docs/api/GetTlsKey.md, upstream dstack/ra-tls/src/cert.rs).
 *
 * Reading: struct scale_rd walks a borrowed buffer and never reads past its end.
 * Writing: struct scale_buf grows on the heap up to SCALE_BUF_MAX; after the first failure
 * (allocation or cap) every later put is a no-op and scale_buf_finish reports the error, so
 * encoders can put a whole structure and check once. */
#ifndef DSTACK_ATTEST_SCALE_H
#define DSTACK_ATTEST_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

/* VersionedAttestation::from_bytes refuses inputs over 10 MiB (attestation.rs L742-772). */
#define SCALE_BUF_MAX (10u * 1024u * 1024u)

struct scale_rd {
    const uint8_t *p;
    size_t len;
    size_t pos;
};

/* Compact integer (all four modes; big-integer mode up to 8 bytes). DSTACK_EFORMAT when
 * truncated or not in its shortest form (parity-scale-codec rejects those as "out of range"). */
dstack_err scale_read_compact(struct scale_rd *r, uint64_t *out);
dstack_err scale_read_u8(struct scale_rd *r, uint8_t *out);
dstack_err scale_read_u32(struct scale_rd *r, uint32_t *out);
/* n raw bytes, borrowed. */
dstack_err scale_read_raw(struct scale_rd *r, size_t n, const uint8_t **out);
/* Vec<u8> / String: compact length then the bytes, borrowed. */
dstack_err scale_read_bytes(struct scale_rd *r, const uint8_t **out, size_t *out_len);

struct scale_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    dstack_err err;
};

void scale_put_raw(struct scale_buf *b, const void *data, size_t n);
void scale_put_u8(struct scale_buf *b, uint8_t v);
void scale_put_u32(struct scale_buf *b, uint32_t v);
void scale_put_compact(struct scale_buf *b, uint64_t v);
void scale_put_bytes(struct scale_buf *b, const void *data, size_t n); /* compact(n) ‖ data */
/* On success hands the bytes to *out (malloc'd, caller frees; never NULL, even when empty);
 * on failure frees them and returns the first error. */
dstack_err scale_buf_finish(struct scale_buf *b, uint8_t **out, size_t *out_len);

#endif
