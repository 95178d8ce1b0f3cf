/* VersionedAttestation, legacy V0 (SCALE) form: decode, encode, strip, patch report data
 * (docs/wire.md, docs/api/GetTlsKey.md).
 *
 *   V0 bytes = 0x00 ‖ AttestationQuote ‖ Vec<RuntimeEvent> ‖ [u8;64] report_data ‖ String config
 *   AttestationQuote = u8 variant (0 = DstackTdx) ‖ Vec<u8> quote ‖ Vec<TdxEvent> event_log
 *   TdxEvent = u32 imr ‖ u32 event_type ‖ Vec<u8> digest ‖ String event ‖ Vec<u8> payload
 *   RuntimeEvent = String event ‖ Vec<u8> payload
 *
 * Only the DstackTdx variant is handled (the one a TDX guest and our simulator produce).
 * V1 (msgpack, first byte 0x80..0x8f, 0xde, 0xdf) is recognised and reported as
 * DSTACK_EUNSUPPORTED by the decoder.
 *
 * For RA-TLS (docs/api/GetTlsKey.md) call versioned_encode_v0_stripped: it is the byte string that
 * goes into the certificate extension 1.3.6.1.4.1.62397.1.8 (DER OCTET STRING content). */
#ifndef DSTACK_ATTEST_VERSIONED_H
#define DSTACK_ATTEST_VERSIONED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#include <dstack/common.h>

#define VERSIONED_V0 0x00u
#define VERSIONED_QUOTE_DSTACK_TDX 0u
#define VERSIONED_RUNTIME_EVENT_TYPE 0x08000001u /* DSTACK_RUNTIME_EVENT_TYPE */
#define VERSIONED_ACPI_DATA_EVENT_TYPE 10u       /* EV_PLATFORM_CONFIG_FLAGS */

struct versioned_event { /* TdxEvent */
    uint32_t imr;
    uint32_t event_type;
    uint8_t *digest; /* usually 48 bytes; 0 when stripped */
    size_t digest_len;
    char *event; /* NUL-terminated; event_len excludes the NUL */
    size_t event_len;
    uint8_t *payload;
    size_t payload_len;
    /* V1 msgpack only (V0 cannot carry them; the V0 decoder leaves them 0/NULL): */
    unsigned version; /* 2 for V2 runtime events, else 0 or 1 (= V1) */
    char *preimage;   /* hex text of the digest pre-image, NULL when unset */
};

struct versioned_runtime_event {
    char *event;
    size_t event_len;
    uint8_t *payload;
    size_t payload_len;
    unsigned version; /* as above */
};

/* Owns every pointer; release with versioned_free. */
struct versioned_attestation {
    uint8_t quote_kind; /* VERSIONED_QUOTE_DSTACK_TDX */
    uint8_t *quote;
    size_t quote_len;
    struct versioned_event *events;
    size_t n_events;
    struct versioned_runtime_event *runtime;
    size_t n_runtime;
    uint8_t report_data[DSTACK_REPORT_DATA_LEN];
    char *config; /* NUL-terminated */
    size_t config_len;
};

/* Decodes V0 bytes (whole buffer; trailing bytes are an error, as upstream). DSTACK_EFORMAT for
 * malformed or truncated input, DSTACK_EUNSUPPORTED for V1 msgpack or another quote variant,
 * DSTACK_EINVAL for more than SCALE_BUF_MAX bytes. *out is zeroed on failure. */
dstack_err versioned_decode(const uint8_t *bytes, size_t len, struct versioned_attestation *out);

/* Encodes V0 bytes (malloc'd into *out). */
dstack_err versioned_encode_v0(const struct versioned_attestation *a, uint8_t **out,
                               size_t *out_len);

/* Encodes V0 bytes of the stripped attestation (v1.rs into_stripped / strip_tdx_lite_event_log):
 * event log reduced to the RTMR0 "ACPI DATA" events (digest kept, payload "ACPI DATA") and the
 * IMR 3 events (runtime events: digest emptied, payload kept; others: payload emptied).
 * Runtime events, report data and config are kept. */
dstack_err versioned_encode_v0_stripped(const struct versioned_attestation *a, uint8_t **out,
                                        size_t *out_len);

/* Encodes V1 bytes: rmp_serde::to_vec_named of AttestationV1 (dstack-attest v1.rs L65-300,
 * docs/wire.md): {"version":1,"platform":{"kind":"tdx","data":{"quote":[u8...],
 * "event_log":[TdxEvent...]}},"stack":{"kind":"dstack","data":{"report_data":[u8...],
 * "runtime_events":[{"event","payload"(bin)[,"version":2]}],"config":str}}}. Plain Vec<u8>
 * fields are msgpack arrays of integers, serde-human-bytes fields msgpack bin, integers in their
 * shortest form. Used when a runtime event is V2 (V0 cannot say so). */
dstack_err versioned_encode_v1(const struct versioned_attestation *a, uint8_t **out,
                               size_t *out_len);

/* True when every runtime event is V1, i.e. the V0 encoding loses nothing (upstream's
 * into_versioned picks V0 exactly then, attestation.rs L2411-2429). */
bool versioned_v0_ok(const struct versioned_attestation *a);

/* Writes report data into the quote at its version-correct offset (568 v4, 574 v5) and into
 * the report_data field, as upstream's with_report_data (v1.rs L327-384). DSTACK_EFORMAT when
 * the quote is not a TDX v4/v5 quote holding a whole TD report. */
dstack_err versioned_set_report_data(struct versioned_attestation *a,
                                     const uint8_t rd[DSTACK_REPORT_DATA_LEN]);

/* A deep copy (for serving a loaded fixture to concurrent callers). */
dstack_err versioned_copy(const struct versioned_attestation *src,
                          struct versioned_attestation *dst);

/* The event log as a JSON array of upstream TdxEvent objects
 * {"imr","event_type","digest","event","event_payload"} (docs/wire.md). New reference
 * or NULL on allocation failure. */
cJSON *versioned_event_log_json(const struct versioned_attestation *a);

struct dstack_event_log;
/* Appends the event log to *out as structured events (a V0 event's version 0 is V1). On failure
 * (a digest neither empty nor 48 bytes, a name that is not UTF-8, out of memory) the text is set
 * (util/error.h) and *out is emptied. */
dstack_err versioned_event_log(const struct versioned_attestation *a, struct dstack_event_log *out);

void versioned_free(struct versioned_attestation *a); /* NULL ok; leaves *a zeroed */

#endif
