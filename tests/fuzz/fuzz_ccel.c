/* libFuzzer target: the CCEL ACPI table (include/dstack/ccel.h, docs/tdx.md), boot
 * event log bytes from firmware the guest does not trust. A parsed log gets upstream's ACPI
 * labels and must replay (every record carries its SHA-384 digest). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/ccel.h>

#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    err_clear();
    if (dstack_ccel_parse(data, size, &log) == DSTACK_OK) {
        (void)dstack_event_log_label_acpi(&log);
        uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
        bool beyond = false; /* MR indexes pass through as upstream's (tcg.rs), even past RTMR3 */
        for (size_t i = 0; i < log.count; i++) {
            if (!log.events[i].has_digest) {
                __builtin_trap(); /* the parser promised one SHA-384 digest per record */
            }
            beyond |= log.events[i].imr >= DSTACK_RTMR_COUNT;
        }
        if ((dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK) == beyond) {
            __builtin_trap(); /* replay refuses exactly the logs naming a register past RTMR3 */
        }
    } else if (log.count != 0 || err_text()[0] == '\0') {
        __builtin_trap(); /* a refusal leaves the log as it was and says where */
    }
    dstack_event_log_free(&log);
    return 0;
}
