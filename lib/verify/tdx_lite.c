/* Expected MRTD and RTMR0-2 of a TDX "lite" boot (tdx_lite.h), as upstream's dstack-mr
 * src/tdx.rs tdx_measurements_from_measurement_document and src/tdvf.rs
 * rtmr0_log_from_td_hob_hash_with_acpi_hashes compute them. Each RTMR is the fold
 * mr = SHA-384(mr || event digest) from 48 zero bytes (dstack-mr src/util.rs measure_log). */
#include "tdx_lite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "util/error.h"

#define COMPAT_2G_MEMORY 0x80000000ull  /* dstack-mr src/kernel.rs */
#define STABLE_MIN_MEMORY 0xB0000000ull /* TDX_KERNEL_HASH_STABLE_MIN_MEMORY */
#define ACPI_DATA_EVENT_TYPE 10u        /* EV_PLATFORM_CONFIG_FLAGS: cc-eventlog src/tdx.rs */
#define ACPI_DATA_PAYLOAD "ACPI DATA"
#define RTMR0_EVENTS 13

static void measure_log(const uint8_t (*log)[DSTACK_SHA384_LEN], size_t n,
                        uint8_t mr[static DSTACK_MR_LEN])
{
    memset(mr, 0, DSTACK_MR_LEN);
    for (size_t i = 0; i < n; i++) {
        dstack_rtmr_extend(mr, log[i]);
    }
}

static void sha384_text(const char *s, uint8_t out[static DSTACK_SHA384_LEN])
{
    SHA384((const uint8_t *)s, strlen(s), out);
}

/* An EFI variable event as OVMF measures it with no data: the vendor GUID (first three groups
 * little-endian), the name length in characters, a zero data length, the UTF-16LE name (UEFI
 * spec, UEFI_VARIABLE_DATA). The GUIDs are EFI_GLOBAL_VARIABLE and EFI_IMAGE_SECURITY_DATABASE. */
static void efi_variable_digest(const uint8_t guid[16], const char *name,
                                uint8_t out[static DSTACK_SHA384_LEN])
{
    uint8_t buf[16 + 8 + 8 + 2 * 16] = {0};
    size_t n = strlen(name);
    memcpy(buf, guid, 16);
    for (size_t i = 0; i < 8; i++) {
        buf[16 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    for (size_t i = 0; i < n; i++) {
        buf[32 + 2 * i] = (uint8_t)name[i];
    }
    SHA384(buf, 32 + 2 * n, out);
}

/* The digest of the RTMR0 ACPI DATA event called name: exactly one, exactly three in all
 * (upstream verification.rs tdx_acpi_hashes_from_event_log). */
static dstack_err acpi_digests(const struct dstack_event_log *log,
                               uint8_t out[3][DSTACK_SHA384_LEN])
{
    static const char *const names[3] = {"acpi-loader", "acpi-rsdp", "acpi-tables"};
    size_t rtmr0 = 0, acpi = 0, found[3] = {0};
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        if (e->imr != 0) {
            continue;
        }
        rtmr0++;
        if (e->event_type != ACPI_DATA_EVENT_TYPE || e->payload_len != strlen(ACPI_DATA_PAYLOAD) ||
            memcmp(e->payload, ACPI_DATA_PAYLOAD, e->payload_len) != 0) {
            continue;
        }
        acpi++;
        for (size_t k = 0; k < 3; k++) {
            if (strcmp(e->event, names[k]) == 0 && found[k]++ == 0) {
                if (!e->has_digest) {
                    return err_set(DSTACK_EVERIFY,
                                   "TDX RTMR0 ACPI DATA event %s has invalid digest length 0, "
                                   "expected 48",
                                   names[k]);
                }
                memcpy(out[k], e->digest, DSTACK_SHA384_LEN);
            }
        }
    }
    if (acpi != 3) {
        return err_set(DSTACK_EVERIFY,
                       "TDX lite attestation requires exactly 3 RTMR0 ACPI DATA events; found %zu "
                       "candidates and %zu RTMR0 events",
                       acpi, rtmr0);
    }
    for (size_t k = 0; k < 3; k++) {
        if (found[k] != 1) {
            return err_set(DSTACK_EVERIFY,
                           "TDX lite attestation requires exactly one RTMR0 ACPI DATA event named "
                           "%s; found %zu",
                           names[k], found[k]);
        }
    }
    return DSTACK_OK;
}

static dstack_err rtmr0(const struct tdx_lite_measurement *m, uint64_t memory_size,
                        const uint8_t acpi[3][DSTACK_SHA384_LEN], uint8_t mr[static DSTACK_MR_LEN])
{
    /* EFI_GLOBAL_VARIABLE 8BE4DF61-93CA-11D2-AA0D-00E098032B8C and EFI_IMAGE_SECURITY_DATABASE
     * D719B2CB-3D3A-4596-A3BC-DAD00E67656F, first three groups byte-swapped. */
    static const uint8_t global[16] = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                       0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
    static const uint8_t secdb[16] = {0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                      0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};
    /* The OVMF configuration volume and Boot0000 (UiApp) of pre-202505 firmware: constants
     * upstream measures as given (dstack-mr src/tdvf.rs). */
    static const uint8_t cfv[DSTACK_SHA384_LEN] = {
        0x34, 0x4b, 0xc5, 0x1c, 0x98, 0x0b, 0xa6, 0x21, 0xaa, 0xa0, 0x0d, 0xa3,
        0xed, 0x74, 0x36, 0xf7, 0xd6, 0xe5, 0x49, 0x19, 0x7d, 0xfe, 0x69, 0x95,
        0x15, 0xdf, 0xa2, 0xc6, 0x58, 0x3d, 0x95, 0xe6, 0x41, 0x2a, 0xf2, 0x1c,
        0x09, 0x7d, 0x47, 0x31, 0x55, 0x87, 0x5f, 0xfd, 0x56, 0x1d, 0x67, 0x90};
    static const uint8_t boot0000[DSTACK_SHA384_LEN] = {
        0x23, 0xad, 0xa0, 0x7f, 0x52, 0x61, 0xf1, 0x2f, 0x34, 0xa0, 0xbd, 0x8e,
        0x46, 0x76, 0x09, 0x62, 0xd6, 0xb4, 0xd5, 0x76, 0xa4, 0x16, 0xf1, 0xfe,
        0xa1, 0xc6, 0x4b, 0xc6, 0x56, 0xb1, 0xd2, 0x8e, 0xac, 0xf7, 0x04, 0x7a,
        0xe6, 0xe9, 0x67, 0xc5, 0x8f, 0xd2, 0xa9, 0x8b, 0xfa, 0x74, 0xc2, 0x98};
    static const uint8_t sep[4] = {0}, boot_order[2] = {0};
    uint8_t log[RTMR0_EVENTS][DSTACK_SHA384_LEN];
    dstack_err err =
        tdx_lite_td_hob_hash(m->td_hob_witness, m->td_hob_witness_len, memory_size, log[0]);
    if (err != DSTACK_OK) {
        return err_wrap(err, "failed to measure TD HOB from witness");
    }
    memcpy(log[1], cfv, sizeof cfv);
    efi_variable_digest(global, "SecureBoot", log[2]);
    efi_variable_digest(global, "PK", log[3]);
    efi_variable_digest(global, "KEK", log[4]);
    efi_variable_digest(secdb, "db", log[5]);
    efi_variable_digest(secdb, "dbx", log[6]);
    SHA384(sep, sizeof sep, log[7]);
    memcpy(log[8], acpi[0], DSTACK_SHA384_LEN);
    memcpy(log[9], acpi[1], DSTACK_SHA384_LEN);
    memcpy(log[10], acpi[2], DSTACK_SHA384_LEN);
    SHA384(boot_order, sizeof boot_order, log[11]);
    memcpy(log[12], boot0000, sizeof boot0000);
    measure_log((const uint8_t(*)[DSTACK_SHA384_LEN])log, RTMR0_EVENTS, mr);
    return DSTACK_OK;
}

/* "major.minor.patch", each a u32 (dstack-mr src/machine.rs parse_version_tuple). */
static bool qemu_version(const char *text, unsigned long v[3])
{
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end = NULL;
        if (*p < '0' || *p > '9') {
            return false;
        }
        errno = 0;
        v[i] = strtoul(p, &end, 10);
        if (errno != 0 || v[i] > UINT32_MAX || *end != (i < 2 ? '.' : '\0')) {
            return false;
        }
        p = end + 1;
    }
    return true;
}

/* MRTD: the document's candidate for the page-add order QEMU used. The order defaults by QEMU
 * version (two passes on 8.x) unless vm_config says; upstream hands
 * vm_config.qemu_single_pass_add_pages to the two-pass option as it is (dstack-mr src/tdx.rs
 * select_mrtd), which we follow so that both verifiers agree on the same vm_config. */
static dstack_err select_mrtd(const struct tdx_lite_measurement *m, const struct tdx_lite_vm *vm,
                              uint8_t mrtd[static DSTACK_MR_LEN])
{
    unsigned long v[3] = {9, 1, 0};
    if (vm->qemu_version != NULL && !qemu_version(vm->qemu_version, v)) {
        return err_set(DSTACK_EVERIFY,
                       "failed to resolve QEMU measurement options: Failed to parse QEMU version: "
                       "%s is not major.minor.patch",
                       vm->qemu_version);
    }
    if (v[0] < 8) {
        return err_set(DSTACK_EVERIFY,
                       "failed to resolve QEMU measurement options: Unsupported QEMU version: "
                       "(%lu, %lu, %lu)",
                       v[0], v[1], v[2]);
    }
    bool two_pass =
        vm->qemu_single_pass_add_pages >= 0 ? vm->qemu_single_pass_add_pages != 0 : v[0] == 8;
    memcpy(mrtd, two_pass ? m->mrtd_two_pass : m->mrtd_single_pass, DSTACK_MR_LEN);
    return DSTACK_OK;
}

dstack_err tdx_lite_expected(const struct tdx_lite_measurement *m, const struct tdx_lite_vm *vm,
                             const struct dstack_event_log *log, struct tdx_lite_mrs *out)
{
    uint8_t acpi[3][DSTACK_SHA384_LEN];
    uint8_t rtmr1_log[5][DSTACK_SHA384_LEN], rtmr2_log[2][DSTACK_SHA384_LEN];
    static const uint8_t sep[4] = {0};
    dstack_err err = acpi_digests(log, acpi);
    if (err != DSTACK_OK) {
        return err_wrap(err, "TDX lite attestation is missing named RTMR0 ACPI DATA digests");
    }
    /* QEMU patches the kernel by the guest's RAM; the document holds the hash for RAM of 2 GiB
     * exactly or at least 2.75 GiB (dstack-mr src/kernel.rs). */
    if (vm->memory_size != COMPAT_2G_MEMORY && vm->memory_size < STABLE_MIN_MEMORY) {
        return err_set(DSTACK_EVERIFY,
                       "Failed to compute TDX expected measurements without image download: TDX "
                       "lite attestation without image download requires memory_size == %llu "
                       "bytes (%llu MiB) or >= %llu bytes (%llu MiB); got %llu bytes",
                       COMPAT_2G_MEMORY, COMPAT_2G_MEMORY >> 20, STABLE_MIN_MEMORY,
                       STABLE_MIN_MEMORY >> 20, (unsigned long long)vm->memory_size);
    }
    if ((err = select_mrtd(m, vm, out->mrtd)) != DSTACK_OK ||
        (err = rtmr0(m, vm->memory_size, (const uint8_t(*)[DSTACK_SHA384_LEN])acpi,
                     out->rtmr[0])) != DSTACK_OK) {
        return err_wrap(err, "Failed to compute TDX expected measurements without image download");
    }
    memcpy(rtmr1_log[0], m->kernel_authenticode, DSTACK_SHA384_LEN);
    sha384_text("Calling EFI Application from Boot Option", rtmr1_log[1]);
    SHA384(sep, sizeof sep, rtmr1_log[2]);
    sha384_text("Exit Boot Services Invocation", rtmr1_log[3]);
    sha384_text("Exit Boot Services Returned with Success", rtmr1_log[4]);
    measure_log((const uint8_t(*)[DSTACK_SHA384_LEN])rtmr1_log, 5, out->rtmr[1]);
    memcpy(rtmr2_log[0], m->cmdline_sha384, DSTACK_SHA384_LEN);
    memcpy(rtmr2_log[1], m->initrd_sha384, DSTACK_SHA384_LEN);
    measure_log((const uint8_t(*)[DSTACK_SHA384_LEN])rtmr2_log, 2, out->rtmr[2]);
    return DSTACK_OK;
}
