/* Upstream's TDX "lite" OS-image verification (dstack/verifier/src/verification.rs
 * verify_os_image_hash_for_dstack_tdx_lite; dstack-mr src/tdx.rs
 * tdx_measurements_from_measurement_document): MRTD and RTMR0-2 recomputed from the image's
 * measurement.tdx.cbor, the VM's memory and QEMU version, and the three ACPI digests of RTMR0,
 * without the image files. Errors set the thread's text (util/error.h). */
#ifndef DSTACK_VERIFY_TDX_LITE_H
#define DSTACK_VERIFY_TDX_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>
#include <dstack/common.h>

#define TDX_LITE_HOB_WITNESS_MAX 512 /* upstream's are ~12 bytes (TdHobWitnessV1) */

/* measurement.tdx.cbor, version 3 (dstack-types CborTdxOsImageMeasurement). */
struct tdx_lite_measurement {
    uint8_t cmdline_sha384[DSTACK_SHA384_LEN];
    uint8_t kernel_authenticode[DSTACK_SHA384_LEN];
    uint8_t initrd_sha384[DSTACK_SHA384_LEN];
    uint8_t mrtd_single_pass[DSTACK_SHA384_LEN];
    uint8_t mrtd_two_pass[DSTACK_SHA384_LEN];
    uint8_t td_hob_witness[TDX_LITE_HOB_WITNESS_MAX];
    size_t td_hob_witness_len;
    char ovmf_variant[16]; /* "pre202505", the only layout upstream knows */
};

/* What of vm_config the recomputation reads (dstack-types VmConfig). */
struct tdx_lite_vm {
    uint64_t memory_size;
    const char *qemu_version;       /* NULL: upstream's default 9.1.0 */
    int qemu_single_pass_add_pages; /* -1 absent, else 0/1 */
};

struct tdx_lite_mrs {
    uint8_t mrtd[DSTACK_MR_LEN];
    uint8_t rtmr[3][DSTACK_MR_LEN]; /* RTMR0-2 */
};

/* DSTACK_EFORMAT with "TdxOsImageMeasurement: ..." when the CBOR is not a version 3 document. */
dstack_err tdx_lite_decode(const uint8_t *cbor, size_t len, struct tdx_lite_measurement *out);

/* The expected MRTD and RTMR0-2 (DSTACK_EVERIFY with upstream's reason when the memory size,
 * QEMU version, TD HOB witness or the event log's RTMR0 ACPI events do not allow it). */
dstack_err tdx_lite_expected(const struct tdx_lite_measurement *m, const struct tdx_lite_vm *vm,
                             const struct dstack_event_log *log, struct tdx_lite_mrs *out);

/* The TD HOB digest from its witness (dstack-mr measure_td_hob_from_witness_data). */
dstack_err tdx_lite_td_hob_hash(const uint8_t *witness, size_t len, uint64_t memory_size,
                                uint8_t out[static DSTACK_SHA384_LEN]);

#endif
