/* Event logs, runtime-event digests and RTMR replay (docs/attestation.md, docs/api/EmitEvent.md,
 * docs/api/Info.md).
 *
 * An event log is what upstream calls Vec<TdxEvent> (dstack/cc-eventlog/src/tdx.rs:L35-66):
 * boot events for IMR 0-2 (from the CCEL table, or synthetic in the simulator) followed by the
 * dstack runtime events of IMR 3. Logs come from outside (an agent's GetQuote answer, a file), so
 * the parser checks every field and reports the first problem with its position.
 *
 * Ownership: a struct dstack_event_log owns its events and every buffer they point to; release it
 * with dstack_event_log_free. Strings returned through `char **` are malloc'd (free()). */
#ifndef DSTACK_ATTEST_H
#define DSTACK_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* dstack runtime events (runtime_events.rs:L23); V1 and V2 share it. */
#define DSTACK_RUNTIME_EVENT_TYPE 0x08000001u
/* TCG EV_PLATFORM_CONFIG_FLAGS, used by OVMF's three "ACPI DATA" events (tdx.rs:L16-25). */
#define DSTACK_EV_PLATFORM_CONFIG_FLAGS 10u
#define DSTACK_RTMR_COUNT 4
/* Upper bound on one event log we accept from outside (events, not bytes). */
#define DSTACK_EVENT_LOG_MAX_EVENTS 100000u

/* Runtime-event digest versions (dstack-types EventLogVersion). */
#define DSTACK_EVENT_V1 1u /* sha384(le32(type) ":" name ":" payload) */
#define DSTACK_EVENT_V2 2u /* sha384(JCS {"name","payload"(hex),"type"}) */

struct dstack_event {
    uint32_t imr;        /* 0-based RTMR index */
    uint32_t event_type; /* TCG event type, DSTACK_RUNTIME_EVENT_TYPE for runtime events */
    bool has_digest;     /* false when the JSON digest was "" or absent (stripped logs) */
    uint8_t digest[DSTACK_SHA384_LEN];
    char *event;      /* NUL-terminated UTF-8 name ("" for firmware events) */
    uint8_t *payload; /* NULL when empty */
    size_t payload_len;
    unsigned version;  /* DSTACK_EVENT_V1 or DSTACK_EVENT_V2 */
    uint8_t *preimage; /* digest pre-image, only when has_preimage */
    size_t preimage_len;
    bool has_preimage;
};

struct dstack_event_log {
    struct dstack_event *events;
    size_t count;
    size_t cap;
};

/* An empty log (equivalent to zero-initialising the struct). */
DSTACK_API void dstack_event_log_init(struct dstack_event_log *log);
/* Frees every event; the log is empty afterwards. NULL ok. */
DSTACK_API void dstack_event_log_free(struct dstack_event_log *log);

/* Appends a copy of one event. digest may be NULL (none). For runtime events the digest is
 * whatever the caller passes; use dstack_event_log_push_runtime to compute it.
 * DSTACK_EINVAL: name not valid UTF-8, version not 1/2, or the log is full. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_event_log_push(
    struct dstack_event_log *log, uint32_t imr, uint32_t event_type, const uint8_t *digest,
    const char *name, const uint8_t *payload, size_t payload_len, unsigned version);

/* Appends a dstack runtime event (IMR 3, DSTACK_RUNTIME_EVENT_TYPE) with its digest computed. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_event_log_push_runtime(struct dstack_event_log *log,
                                                                      const char *name,
                                                                      const uint8_t *payload,
                                                                      size_t payload_len,
                                                                      unsigned version);

/* Decodes a JSON array of TdxEvent objects (docs/wire.md). Every field is checked:
 * imr/event_type are u32 numbers, digest ("" or absent allowed) is 48 bytes of hex, event is a
 * string, event_payload is hex, version is 1 or 2, preimage is hex; unknown keys are ignored as
 * serde does; duplicate keys are refused. On failure *out is left empty and dstack_last_error()
 * names the first bad element, e.g. "event_log[3].digest: invalid hex". DSTACK_EFORMAT for
 * malformed input. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_event_log_parse(const char *json, size_t len,
                                                               struct dstack_event_log *out);

#define DSTACK_EVLOG_JSON_COMPACT 0u /* serde_json::to_string (GetQuote event_log) */
#define DSTACK_EVLOG_JSON_PRETTY 1u  /* serde_json::to_string_pretty, 2-space indent */

/* Encodes the log as upstream serialises Vec<TdxEvent>: keys imr, event_type, digest, event,
 * event_payload, then version only when 2 and preimage only when set. *out is malloc'd. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_event_log_format(const struct dstack_event_log *log,
                                                                unsigned flags, char **out);

/* The exact bytes hashed into a runtime event's digest (runtime_events.rs:L128-162):
 * V1 le32(0x08000001) ":" name ":" payload; V2 RFC 8785 JSON {"name":..,"payload":"<hex>",
 * "type":134217729}. *out is malloc'd. */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_runtime_event_preimage(unsigned version, const char *name, const uint8_t *payload,
                              size_t payload_len, uint8_t **out, size_t *out_len);
/* SHA-384 of that pre-image. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_runtime_event_digest(unsigned version,
                                                                    const char *name,
                                                                    const uint8_t *payload,
                                                                    size_t payload_len,
                                                                    uint8_t out[DSTACK_SHA384_LEN]);

/* The digest replay uses for one event: recomputed from name and payload for runtime events
 * (tdx.rs:L121-126 TdxEvent::digest, never the JSON digest, which real GetQuote strips), the
 * recorded digest otherwise. DSTACK_EFORMAT when a boot event carries no digest. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_event_digest(const struct dstack_event *e,
                                                            uint8_t out[DSTACK_SHA384_LEN]);

/* mr = SHA-384(mr || digest). */
DSTACK_API void dstack_rtmr_extend(uint8_t mr[DSTACK_MR_LEN],
                                   const uint8_t digest[DSTACK_SHA384_LEN]);

/* RTMR0-3 from the log (docs/attestation.md): each register starts at 48 zero bytes and is
 * extended with every event of its IMR in log order. Unlike the published SDKs' replay_rtmrs,
 * runtime-event digests are recomputed, so stripped logs (digest "") replay correctly.
 * DSTACK_EFORMAT for an IMR above 3 or a boot event without a digest. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_replay_rtmrs(
    const struct dstack_event_log *log, uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN]);

/* Sets `preimage` on every V2 runtime event that lacks one (tdx.rs fill_v2_preimages). */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_event_log_fill_v2_preimages(struct dstack_event_log *log);

/* The first runtime event called `name` before "system-ready", as upstream's app-info decoder
 * scans (attestation.rs decode_app_info); NULL when there is none. */
DSTACK_API const struct dstack_event *
dstack_event_log_find_runtime(const struct dstack_event_log *log, const char *name);

/* mr_aggregated = SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3 [|| MRCONFIGID || MROWNER ||
 * MROWNERCONFIG when any of the three is non-zero]) (attestation.rs:L1751-1793). The three
 * optional registers may be NULL (zero). Pass the *replayed* RTMR3. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_mr_aggregated(
    const uint8_t mrtd[DSTACK_MR_LEN], const uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN],
    const uint8_t *mr_config_id, const uint8_t *mr_owner, const uint8_t *mr_owner_config,
    uint8_t out[DSTACK_SHA256_LEN]);

/* mr_system = SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2 || mr_key_provider), where
 * mr_key_provider = SHA-256(key_provider_info) or 32 zero bytes when it is empty. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_mr_system(
    const uint8_t mrtd[DSTACK_MR_LEN], const uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN],
    const uint8_t *key_provider_info, size_t kp_len, uint8_t out[DSTACK_SHA256_LEN]);

#ifdef __cplusplus
}
#endif
#endif
