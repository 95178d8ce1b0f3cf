/* libFuzzer target: event logs from outside (a GetQuote answer's event_log, docs/attestation.md
 * docs/wire.md) and the runtime-event log file the agent reloads at start-up (docs/tdx.md). A
 * parsed log must replay, re-encode and parse back to the same replay; byte 0 picks the parser.
 * The same bytes also go through the base64 codec the runtime log's payloads use. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>

#include "attest/runtime_log.h"
#include "util/base64.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_log(struct dstack_event_log *log)
{
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    dstack_err replayed = dstack_replay_rtmrs(log, rtmr);
    (void)dstack_event_log_find_runtime(log, "app-id");
    (void)dstack_event_log_fill_v2_preimages(log);
    for (unsigned flags = 0; flags <= DSTACK_EVLOG_JSON_PRETTY; flags++) {
        char *text = NULL;
        if (dstack_event_log_format(log, flags, &text) != DSTACK_OK) {
            continue;
        }
        struct dstack_event_log again;
        err_clear();
        if (dstack_event_log_parse(text, strlen(text), &again) != DSTACK_OK) {
            __builtin_trap(); /* our own encoding must parse */
        }
        uint8_t rtmr2[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
        if (again.count != log->count || dstack_replay_rtmrs(&again, rtmr2) != replayed ||
            (replayed == DSTACK_OK && memcmp(rtmr, rtmr2, sizeof rtmr) != 0)) {
            __builtin_trap(); /* a round trip changes nothing the verifier sees */
        }
        dstack_event_log_free(&again);
        free(text);
    }
}

/* The strict decoder accepts only canonical text, so what it accepts is the encoding of what it
 * decodes to; and any bytes, encoded, decode back. */
static void check_base64(const char *text, size_t len)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (base64_decode_alloc(text, len, &bytes, &n) == DSTACK_OK) {
        char *again = base64_encode_alloc(bytes, n, false);
        if (again == NULL || strlen(again) != len || memcmp(again, text, len) != 0) {
            __builtin_trap();
        }
        free(again);
        free(bytes);
    }
    char *enc = base64_encode_alloc((const uint8_t *)text, len, false);
    if (enc == NULL || base64_decode_alloc(enc, strlen(enc), &bytes, &n) != DSTACK_OK || n != len ||
        (len != 0 && memcmp(bytes, text, len) != 0)) {
        __builtin_trap();
    }
    free(bytes);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    check_base64(text, len);
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    err_clear();
    if ((data[0] & 1) == 0) {
        if (dstack_event_log_parse(text, len, &log) == DSTACK_OK) {
            check_log(&log);
        } else if (log.count != 0) {
            __builtin_trap(); /* refused logs are left empty */
        }
    } else {
        size_t valid = 0;
        dstack_err e = runtime_log_parse(text, len, &log, &valid);
        if (e == DSTACK_OK) {
            if (valid > len) {
                __builtin_trap();
            }
            for (size_t i = 0; i < log.count; i++) {
                if (log.events[i].imr != 3) {
                    __builtin_trap();
                }
            }
            check_log(&log);
        }
    }
    dstack_event_log_free(&log);
    return 0;
}
