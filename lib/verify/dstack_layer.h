/* The dstack layer of verification (dstack_verify.c, dstack_report.c): inputs decoded into one
 * event log + quote + report data, then the checks of upstream's /verify. */
#ifndef DSTACK_VERIFY_DSTACK_LAYER_H
#define DSTACK_VERIFY_DSTACK_LAYER_H

#include <dstack/attest.h>
#include <dstack/verify.h>

/* What a request carries, decoded: the quote, the whole event log, the claimed report data
 * (attestation mode) and vm_config text. Owned; dl_input_free. */
struct dl_input {
    uint8_t *quote;
    size_t quote_len;
    struct dstack_event_log log;
    bool has_claimed_rd;
    uint8_t claimed_rd[DSTACK_REPORT_DATA_LEN];
    char *vm_config;
};

/* vm_config's fields the OS-image check reads (vm_config.c). Owned; dl_vm_config_free. */
struct dl_vm_config {
    uint8_t os_image_hash[DSTACK_IDENTITY_FIELD_MAX];
    size_t os_image_hash_len;
    uint64_t memory_size;
    char *qemu_version;             /* NULL when absent */
    int qemu_single_pass_add_pages; /* -1 absent, else 0/1 */
    bool lite;                      /* tdx_attestation_variant == "lite" */
    bool has_document;              /* tdx_measurement given */
    uint8_t *checksum_file;         /* sha256sum.txt bytes */
    size_t checksum_file_len;
    uint8_t *measurement; /* measurement.tdx.cbor bytes */
    size_t measurement_len;
};

/* Parses vm_config text (NULL or "" = "{}"). DSTACK_EFORMAT, with "Failed to decode VM config:
 * Failed to parse vm config: <why>" as the error text, when it is not a VmConfig. */
dstack_err dl_vm_config_parse(const char *text, size_t len, struct dl_vm_config *c);
void dl_vm_config_free(struct dl_vm_config *c);

dstack_err dl_input_decode(const struct dstack_attestation_input *in, struct dl_input *out);
void dl_input_free(struct dl_input *d);

/* Step 3 of dstack_verify_attestation on its own (tests run it on upstream's real capture, whose
 * quote has no collateral here): out->dcap.td and out->dcap.ppid must hold the quote's report;
 * fills out->app, event_log_verified, or out->reason. */
dstack_err dl_check_event_log(const struct dl_input *d, struct dstack_attestation_result *out);

/* Step 2 on its own (os_image.c), upstream's verify_os_image_hash for DstackTdx: out->dcap.td
 * must hold the quote's report. Lite mode recomputes MRTD and RTMR0-2 from
 * vm_config.tdx_measurement and sets os_image_hash_verified; legacy mode needs the image files
 * and says so in os_image_note. A bad vm_config or a mismatch fills out->reason ("OS image hash
 * verification failed: ..."). DSTACK_ENOMEM only. */
dstack_err dl_check_os_image(const struct dl_input *d, struct dstack_attestation_result *out);

#endif
