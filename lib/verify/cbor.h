/* A minimal CBOR reader (RFC 8949) for the one CBOR document the verifier reads, upstream's
 * measurement.tdx.cbor (dstack-types TdxOsImageMeasurement, written by ciborium). Definite
 * lengths only; nesting capped; every read bounded by the buffer. */
#ifndef DSTACK_VERIFY_CBOR_H
#define DSTACK_VERIFY_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cbor_major {
    CBOR_UINT = 0,
    CBOR_NINT = 1,
    CBOR_BYTES = 2,
    CBOR_TEXT = 3,
    CBOR_ARRAY = 4,
    CBOR_MAP = 5,
    CBOR_TAG = 6,
    CBOR_SIMPLE = 7,
};

struct cbor {
    const uint8_t *p;
    size_t len;
    size_t pos;
};

/* One item's head: its major type and argument (the value, a length or a count). False on a
 * truncated head, an indefinite length or a reserved additional-information value. */
bool cbor_head(struct cbor *c, enum cbor_major *major, uint64_t *arg);

/* A byte or text string of major type `want`: its content, in place. */
bool cbor_string(struct cbor *c, enum cbor_major want, const uint8_t **s, size_t *len);

/* Steps over one whole item (nested at most 16 deep). */
bool cbor_skip(struct cbor *c);

#endif
