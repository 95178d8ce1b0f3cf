/* The TD report of a TDX quote body (TDREPORT10, or TDREPORT15 with TEE_TCB_SVN2 and
 * MRSERVICETD after it; offsets in include/dstack/quote.h, docs/attestation.md). Decoded in one
 * place for the quote parser (lib/attest/quote.c) and DCAP verification (lib/verify), which
 * read the same bytes. Internal header: not installed. */
#ifndef DSTACK_ATTEST_TD_REPORT_H
#define DSTACK_ATTEST_TD_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <dstack/quote.h>

/* b holds DSTACK_TD_REPORT15_LEN bytes when td15, else DSTACK_TD_REPORT10_LEN (the callers have
 * checked the length). Every field of *t is set: the TD 1.5 ones are zero for a TD 1.0 report. */
void td_report_decode(const uint8_t *b, bool td15, struct dstack_td_report *t);

#endif
