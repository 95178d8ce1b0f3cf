/* A small DER writer for the certificates of upstream dstack/ra-tls/src/cert.rs (rcgen 0.13.2
 * byte-exact).
 *
 * The writer appends into one growable buffer with a hard cap. Errors are sticky: every call
 * after a failure is a no-op, and der_finish reports the first error, so callers write the
 * structure straight down and check once. Constructed values are opened with der_begin and
 * closed with der_end, which slides the contents right to make room for the definite length. */
#ifndef DSTACK_X509_DER_H
#define DSTACK_X509_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

/* Universal tags (X.690 §8) and the class/constructed bits. */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTF8_STRING 0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_T61_STRING 0x14
#define DER_IA5_STRING 0x16
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_UNIVERSAL_STRING 0x1c
#define DER_BMP_STRING 0x1e
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CONTEXT 0x80     /* context-specific class */
#define DER_CONSTRUCTED 0x20 /* constructed encoding */

#define DER_MAX_DEPTH 16
/* The largest document a writer may build unless told otherwise (der_init's cap). */
#define DER_DEFAULT_MAX (16u * 1024u * 1024u)

/* The last second rcgen (time crate, no "large-dates") can encode: 9999-12-31T23:59:59Z. */
#define DER_TIME_MAX 253402300799ull

struct der_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    size_t max;                 /* hard cap on len */
    size_t open[DER_MAX_DEPTH]; /* start offset of each open constructed value */
    uint8_t open_tag[DER_MAX_DEPTH];
    size_t depth;
    dstack_err err; /* first error; DSTACK_OK while healthy */
};

/* Starts an empty writer whose output may not exceed max bytes (0 = DER_DEFAULT_MAX). */
void der_init(struct der_writer *w, size_t max);
/* Wipes and frees the buffer (the output may hold key material). NULL-safe. */
void der_free(struct der_writer *w);
/* Hands the finished bytes to the caller (malloc'd, free with free()) and resets the writer.
 * Returns the first error (then *out is NULL), or DSTACK_EINVAL if a value is still open. */
dstack_err der_finish(struct der_writer *w, uint8_t **out, size_t *out_len);

/* Bytes copied verbatim (an already-encoded element). */
void der_raw(struct der_writer *w, const void *bytes, size_t len);
/* One primitive TLV with a single-byte tag. */
void der_tlv(struct der_writer *w, uint8_t tag, const void *value, size_t len);
/* Opens a constructed value (SEQUENCE, SET, [n] EXPLICIT, OCTET STRING wrapper...). */
void der_begin(struct der_writer *w, uint8_t tag);
/* Closes the innermost open value. */
void der_end(struct der_writer *w);

void der_bool(struct der_writer *w, bool v);
void der_uint(struct der_writer *w, uint64_t v);
/* A non-negative INTEGER from big-endian magnitude bytes: leading zero bytes are dropped and a
 * 0x00 is prepended when the top bit is set (yasna write_bigint_bytes, writer/mod.rs:L472-510). */
void der_uint_bytes(struct der_writer *w, const uint8_t *be, size_t len);
/* BIT STRING with `unused` padding bits in the last byte (0..7). */
void der_bit_string(struct der_writer *w, uint8_t unused, const uint8_t *bytes, size_t len);
/* OBJECT IDENTIFIER from its arcs (first two arcs per X.690 §8.19.4). */
void der_oid(struct der_writer *w, const uint32_t *arcs, size_t n);
/* UTCTime if 1950 <= year < 2050, else GeneralizedTime (rcgen lib.rs:L536-569, RFC 5280
 * §4.1.2.5). Seconds beyond DER_TIME_MAX fail with DSTACK_EINVAL. */
void der_time(struct der_writer *w, uint64_t unix_secs);

/* Civil UTC date of unix seconds (proleptic Gregorian). Pure; for tests and callers. */
void der_civil_time(uint64_t unix_secs, unsigned *year, unsigned *month, unsigned *day,
                    unsigned *hour, unsigned *minute, unsigned *second);

/* Length of a DER header (tag + length octets) for `len` content bytes and a 1-byte tag. */
size_t der_header_len(size_t len);

#endif
