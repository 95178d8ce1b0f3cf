/* The GetQuote answer encoder and its cache: the request-independent half of an answer, encoded
 * once per measurement state, and the attestation spliced per request.
 *
 * A GetQuote response is {quote, event_log, report_data, vm_config, attestation}. Only the quote
 * and the report data change per request; the event log text (a ~25 KB JSON string full of
 * escaped quotes), vm_config and most of the VersionedAttestation depend only on the event log
 * the quote was taken against. struct quote_answer_log holds those parts already encoded, and
 * struct quote_answer_cache keeps the latest one keyed by the registers of the quote (MRTD,
 * RTMR0-3): the runtime log only grows and RTMR3 is the replay of its prefix, so two quotes with
 * the same registers were taken against the same log prefix. An entry is cached only when its log
 * was cut to exactly the quote's RTMR3 (rpc_quote.c trim_to_quote); a log that does not replay to
 * the register (a fixture, a TDX measurement mismatch) is rebuilt per request as before.
 *
 * Entries are immutable once built and reference-counted, so a request keeps using its entry
 * while an EmitEvent makes the cache move on. */
#ifndef DSTACK_AGENT_QUOTE_ANSWER_H
#define DSTACK_AGENT_QUOTE_ANSWER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>
#include <dstack/common.h>

#define QUOTE_ANSWER_KEY_LEN (5 * DSTACK_MR_LEN) /* MRTD ‖ RTMR0-3 */

struct quote_answer_log {
    atomic_uint refs;
    uint8_t key[QUOTE_ANSWER_KEY_LEN];
    struct dstack_event_log log; /* cut to the quote, V2 pre-images filled */
    char *log_json;              /* the compact event log text as a JSON string literal "..." */
    size_t log_json_len;
    char *vm_config;      /* the config string the attestation carries */
    char *vm_config_json; /* vm_config as a JSON string literal */
    size_t vm_config_json_len;
    /* V0 attestation = 0x00 ‖ variant ‖ Vec<u8> quote ‖ mid ‖ [u8;64] report_data ‖ cfg
     * (attest/versioned.h). When att_v0, mid and cfg are kept in hex and a request only adds
     * the quote and report data; otherwise (a V2 runtime event needs V1 msgpack) the
     * attestation is encoded per request from log. */
    bool att_v0;
    char *att_mid_hex; /* hex of Vec<TdxEvent> ‖ Vec<RuntimeEvent> */
    size_t att_mid_hex_len;
    char *att_cfg_hex; /* hex of the SCALE String config */
    size_t att_cfg_hex_len;
};

/* Takes the log (moved: *log is left empty) and encodes its parts. vm_config NULL = "".
 * DSTACK_ENOMEM when out of memory, DSTACK_EFORMAT when the log text or vm_config is not
 * valid UTF-8 (refused, as the old response builder did). One reference. */
dstack_err quote_answer_log_new(struct dstack_event_log *log, const char *vm_config,
                                struct quote_answer_log **out);
void quote_answer_log_ref(struct quote_answer_log *ev);
void quote_answer_log_unref(struct quote_answer_log *ev); /* NULL ok */

/* text as a JSON string literal ("..."), escaped by json_out_string exactly as json_dump
 * escapes it inside an object (the server's encoding of these responses before the cache).
 * *out malloc'd. DSTACK_EFORMAT when text is not UTF-8. */
dstack_err quote_answer_literal(const char *text, char **out, size_t *out_len);

struct dstack_td_report;
/* The cache key of a quote, from its parsed report: MRTD and RTMR0-3. */
void quote_answer_key(const struct dstack_td_report *report, uint8_t key[QUOTE_ANSWER_KEY_LEN]);

struct quote_answer_cache;

dstack_err quote_answer_cache_new(struct quote_answer_cache **out);
void quote_answer_cache_free(struct quote_answer_cache *c); /* NULL ok */

/* The entry for key with a new reference, or NULL. c may be NULL (no cache). */
struct quote_answer_log *quote_answer_cache_get(struct quote_answer_cache *c,
                                                const uint8_t key[QUOTE_ANSWER_KEY_LEN]);
/* Makes ev (whose key is set) the cached entry; the cache takes its own reference. */
void quote_answer_cache_put(struct quote_answer_cache *c, struct quote_answer_log *ev);

/* The VersionedAttestation of (quote, report data) over ev, whole (docs/wire.md): V0
 * SCALE when every runtime event is V1, else V1 msgpack with V2 pre-images (into_versioned,
 * attestation.rs L2411-2429; backend.rs L55-62). *out malloc'd. */
dstack_err quote_answer_att_encode(const struct quote_answer_log *ev, const uint8_t *quote,
                                   size_t quote_len, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                                   uint8_t **out, size_t *out_len);

/* Hex of the V0 attestation of (quote, report data) over ev (only when ev->att_v0), written
 * straight into a response: plan gives the length, write copies the parts. */
struct quote_answer_att_plan {
    char head_hex[32]; /* 0x00 ‖ variant ‖ compact(quote_len) */
    size_t head_hex_len;
    size_t hex_len; /* the whole attestation in hex */
};
dstack_err quote_answer_att_plan(const struct quote_answer_log *ev, size_t quote_len,
                                 struct quote_answer_att_plan *plan);
/* Writes plan->hex_len digits at out (no NUL) and returns the end. quote_hex: the quote already
 * in hex (copied), or NULL to encode quote here. */
char *quote_answer_att_write(const struct quote_answer_log *ev,
                             const struct quote_answer_att_plan *plan, const uint8_t *quote,
                             size_t quote_len, const char *quote_hex, const char *rd_hex,
                             char *out);

/* ---- the answer text ----------------------------------------------------------------------
 * GetQuote-family answers are objects of strings. Writing them directly (rpc_call result_text)
 * spares a ~60 KB json_dump that re-escapes the event log on every request
 * (docs/performance.md); the string literals come from lib/json (quote_answer_literal), so the
 * bytes are what json_dump (compact) makes of the same object (tests/unit/test_rpc_quote.c
 * compares them). */

struct quote_answer_field {
    const char *key; /* plain ASCII, no escaping needed */
    const char *lit; /* a JSON literal, as is ("..." included) */
    size_t lit_len;
    const uint8_t *hex;                      /* or bytes written as a hex string */
    size_t hex_len;                          /* bytes */
    const struct quote_answer_att_plan *att; /* or the spliced V0 attestation */
};

/* {"k":v,...} of the n fields into a malloc'd buffer (NULL when out of memory), through the
 * shared capped writer (lib/json json_out) reserved at the exact size. An attestation field
 * copies the quote's hex from a field whose hex is `quote` when one was written before it. */
char *quote_answer_write(const struct quote_answer_field *f, size_t n,
                         const struct quote_answer_log *ev, const uint8_t *quote, size_t quote_len,
                         const char *rd_hex, size_t *out_len);

/* The "attestation" field: the spliced V0 form (plan) when the log allows it, else the whole
 * encoding per request into *bytes (the caller frees it). false, with the reason in *why, when
 * it cannot be encoded. */
bool quote_answer_attestation(const struct quote_answer_log *ev, const uint8_t *quote,
                              size_t quote_len, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                              struct quote_answer_att_plan *plan, uint8_t **bytes,
                              struct quote_answer_field *f, dstack_err *why);

#endif
