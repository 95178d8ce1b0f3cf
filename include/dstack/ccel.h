/* The CCEL ACPI table: the TDX boot event log of RTMR0-2 (docs/tdx.md).
 *
 * The table's data (/sys/firmware/acpi/tables/data/CCEL in a TDX guest) is a TCG PC Client
 * crypto-agile event log: one legacy TCG_PCClientPCREvent carrying the "Spec ID Event03"
 * header, then TCG_PCR_EVENT2 records up to a 0xFFFFFFFF sentinel, then 0xFF padding to the
 * end of the log area. The bytes come from firmware we do not trust to be well formed, so the
 * parser checks every length against the buffer and fails with the offset of the first bad
 * field instead of guessing. */
#ifndef DSTACK_CCEL_H
#define DSTACK_CCEL_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>
#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Upstream's default path and override variable (cc-eventlog/src/tcg.rs:L12-14). */
#define DSTACK_CCEL_FILE "/sys/firmware/acpi/tables/data/CCEL"
#define DSTACK_CCEL_FILE_ENV "DSTACK_CCEL_FILE"
/* Largest CCEL we read (the log area is 64 KiB on OVMF; Linux caps ACPI tables far below). */
#define DSTACK_CCEL_MAX_LEN (16u << 20)

/* TCG algorithm ids (TPM_ALG_*) a record may carry; tcg.rs:L251-281. */
#define DSTACK_TPM_ALG_SHA1 0x0004u
#define DSTACK_TPM_ALG_SHA256 0x000Bu
#define DSTACK_TPM_ALG_SHA384 0x000Cu
#define DSTACK_TPM_ALG_SHA512 0x000Du

/* Decodes a CCEL log and appends its events to out as upstream's TcgEventLog::to_cc_event_log
 * yields them (cc-eventlog/src/tcg.rs): imr = MR index - 1, event_type, the one SHA-384 digest,
 * event "", payload = event data. ACPI labelling is a separate step
 * (dstack_event_log_label_acpi).
 *
 * As tolerant as upstream: the header record must be EV_NO_ACTION with a "Spec ID Event03"
 * structure that fits its event data, but its algorithm table is not held against the records
 * (each digest is sized by its algorithm id). Records of MR index 0 (GCP fills some) may carry
 * any number of SHA-1, SHA-256, SHA-384 and SHA-512 digests and are dropped. Every other record
 * carries exactly one digest, and it must be SHA-384 (upstream would keep another algorithm's
 * digest, which cannot replay into a TDX RTMR). Every length is checked against the buffer;
 * parsing stops at the sentinel or exactly at the end of the buffer. On failure *out is
 * unchanged and dstack_last_error() says what and where, e.g. "CCEL record 7 at offset 0x3a4:
 * event data runs past the end of the log". DSTACK_EFORMAT for malformed input. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_ccel_parse(const uint8_t *data, size_t len,
                                                          struct dstack_event_log *out);

/* Names OVMF's three RTMR0 "ACPI DATA" events (imr 0, EV_PLATFORM_CONFIG_FLAGS, payload
 * "ACPI DATA") acpi-loader, acpi-rsdp and acpi-tables in log order, as upstream's
 * label_tdx_acpi_data_events does (cc-eventlog/src/tdx.rs:L201-217); further such events keep
 * their name. The names do not enter the digests. DSTACK_ENOMEM leaves earlier renames done. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_event_log_label_acpi(struct dstack_event_log *log);

#ifdef __cplusplus
}
#endif
#endif
