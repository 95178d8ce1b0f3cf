/* Synthetic dstack boot for the simulator (see sim_boot.h). Event types and payload layouts
 * follow the TCG PC Client Platform Firmware Profile and UEFI structures as OVMF and the Linux
 * EFI stub write them on a dstack TDX guest (compare tests/fixtures/upstream/tdx/
 * ccel.expected.json and tdx-lite-getquote.json). Where the real digest covers data the
 * simulator does not have (firmware volume, kernel, initrd, ACPI tables) it is
 * sim_seed_hash(label); where the real digest covers the payload itself (EFI variables,
 * separators, actions, boot variables) it is computed the way firmware computes it. */
#include "tee/sim_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include <openssl/evp.h>

#include "util/error.h"
#include "util/hex.h"

/* TCG event types (PC Client PFP docs/api/README.md). */
#define EV_SEPARATOR 0x4u
#define EV_EVENT_TAG 0x6u
#define EV_PLATFORM_CONFIG_FLAGS 0xau
#define EV_EFI_VARIABLE_DRIVER_CONFIG 0x80000001u
#define EV_EFI_VARIABLE_BOOT 0x80000002u
#define EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u
#define EV_EFI_ACTION 0x80000007u
#define EV_EFI_PLATFORM_FIRMWARE_BLOB2 0x8000000au
#define EV_EFI_HANDOFF_TABLES2 0x8000000bu

/* Linux EFI stub tagged events (drivers/firmware/efi/libstub/efi-stub-helper.c). */
#define LINUX_LOAD_OPTIONS_TAG 0x8f3b22edu
#define LINUX_INITRD_TAG 0x8f3b22ecu

/* UEFI GUIDs in their on-disk (mixed-endian) byte order. */
static const uint8_t guid_efi_global[16] = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                            0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
static const uint8_t guid_image_security_db[16] = {0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                                   0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};
/* OVMF's TDX ACPI/HOB configuration table and QEMU's kernel-loader vendor media path. */
static const uint8_t guid_tdx_table[16] = {0xaf, 0x96, 0xbb, 0x93, 0xf2, 0xb9, 0xb8, 0x4e,
                                           0x94, 0x62, 0xe0, 0xba, 0x74, 0x56, 0x42, 0x36};
static const uint8_t guid_qemu_kernel_loader[16] = {0x72, 0xf7, 0x28, 0x14, 0x4a, 0xb6, 0x1e, 0x44,
                                                    0xb8, 0xc3, 0x9e, 0xbd, 0xd7, 0xf8, 0x93, 0xc7};
/* EDK2 DXE firmware volume and the UiApp file inside it (Boot0000). */
static const uint8_t guid_dxe_fv[16] = {0xc9, 0xbd, 0xb8, 0x7c, 0xeb, 0xf8, 0x34, 0x4f,
                                        0xaa, 0xea, 0x3e, 0xe4, 0xaf, 0x65, 0x16, 0xa1};
static const uint8_t guid_uiapp[16] = {0x21, 0xaa, 0x2c, 0x46, 0x14, 0x76, 0x03, 0x45,
                                       0x83, 0x6e, 0x8a, 0xb6, 0xf4, 0x66, 0x23, 0x31};

/* The kernel command line measured into RTMR2 (its digest only appears in the log). */
#define SIM_CMDLINE_HEAD                                                                           \
    "console=ttyS0 init=/init panic=1 net.ifnames=0 biosdevname=0 mce=off oops=panic "             \
    "pci=noearly pci=nommconf random.trust_cpu=y random.trust_bootloader=n tsc=reliable "          \
    "no-kvmclock dstack.rootfs_size=421728256 dstack.rootfs_hash="

void sim_seed_hash(const char *seed, const char *label, uint8_t out[SIM_HASH_LEN])
{
    static const char domain[] = "dstack-c simulator v1";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    /* Any failure leaves a fixed pattern rather than stack garbage; OpenSSL SHA-384 on memory
     * does not fail in practice. */
    memset(out, 0x5a, SIM_HASH_LEN);
    if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, domain, sizeof domain) == 1 &&
        EVP_DigestUpdate(ctx, label, strlen(label) + 1) == 1 &&
        EVP_DigestUpdate(ctx, seed, strlen(seed)) == 1) {
        EVP_DigestFinal_ex(ctx, out, &n);
    }
    EVP_MD_CTX_free(ctx);
}

/* A small byte builder for payloads (all fixed-size, far below the cap). */
struct bytes {
    uint8_t b[512];
    size_t n;
    bool overflow;
};

static void put(struct bytes *w, const void *p, size_t len)
{
    if (len == 0) {
        return; /* p may be NULL (empty EFI variable data) */
    }
    if (len > sizeof w->b - w->n) {
        w->overflow = true;
        return;
    }
    memcpy(w->b + w->n, p, len);
    w->n += len;
}

static void put_u8(struct bytes *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put_le(struct bytes *w, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++) {
        put_u8(w, (uint8_t)(v >> (8 * i)));
    }
}

/* ASCII as UTF-16LE, optionally with the terminating NUL. */
static void put_utf16(struct bytes *w, const char *s, bool nul)
{
    for (; *s != '\0'; s++) {
        put_le(w, (uint8_t)*s, 2);
    }
    if (nul) {
        put_le(w, 0, 2);
    }
}

static dstack_err sha384(const void *p, size_t len, uint8_t out[SIM_HASH_LEN])
{
    unsigned int n = 0;
    return EVP_Digest(p, len, out, &n, EVP_sha384(), NULL) == 1 ? DSTACK_OK : DSTACK_ECRYPTO;
}

static dstack_err push(struct dstack_event_log *log, uint32_t imr, uint32_t type,
                       const uint8_t digest[SIM_HASH_LEN], const char *name,
                       const struct bytes *payload)
{
    if (payload->overflow) {
        return DSTACK_EINVAL;
    }
    return dstack_event_log_push(log, imr, type, digest, name, payload->b, payload->n,
                                 DSTACK_EVENT_V1);
}

/* Boot event whose digest covers a blob the simulator does not have. */
static dstack_err push_blob(struct dstack_event_log *log, const char *seed, uint32_t imr,
                            uint32_t type, const char *label, const char *name,
                            const struct bytes *payload)
{
    uint8_t d[SIM_HASH_LEN];
    sim_seed_hash(seed, label, d);
    return push(log, imr, type, d, name, payload);
}

/* Boot event whose digest is SHA-384 of `measured` (often the payload itself). */
static dstack_err push_measured(struct dstack_event_log *log, uint32_t imr, uint32_t type,
                                const void *measured, size_t measured_len,
                                const struct bytes *payload)
{
    uint8_t d[SIM_HASH_LEN];
    dstack_err e = sha384(measured, measured_len, d);
    return e != DSTACK_OK ? e : push(log, imr, type, d, "", payload);
}

/* UEFI_VARIABLE_DATA (UEFI 2.x §32.4.1 / TCG PFP §10.2.6) with empty data: secure boot off. */
static void efi_variable(struct bytes *w, const uint8_t guid[16], const char *name,
                         const uint8_t *data, size_t data_len)
{
    put(w, guid, 16);
    put_le(w, strlen(name), 8);
    put_le(w, data_len, 8);
    put_utf16(w, name, false);
    put(w, data, data_len);
}

static dstack_err action(struct dstack_event_log *log, uint32_t imr, const char *text)
{
    struct bytes w = {0};
    put(&w, text, strlen(text));
    return push_measured(log, imr, EV_EFI_ACTION, w.b, w.n, &w);
}

static dstack_err separator(struct dstack_event_log *log, uint32_t imr)
{
    struct bytes w = {0};
    put_le(&w, 0, 4);
    return push_measured(log, imr, EV_SEPARATOR, w.b, w.n, &w);
}

static dstack_err linux_tagged(struct dstack_event_log *log, uint32_t tag, const char *desc,
                               const uint8_t digest[SIM_HASH_LEN])
{
    struct bytes w = {0};
    put_le(&w, tag, 4);
    put_le(&w, strlen(desc) + 1, 4);
    put(&w, desc, strlen(desc) + 1);
    return push(log, 2, EV_EVENT_TAG, digest, "", &w);
}

static dstack_err rtmr0_firmware(const char *seed, struct dstack_event_log *log)
{
    dstack_err e;
    struct bytes w = {0};

    /* TD HOB handed to the OS: UEFI_HANDOFF_TABLE_POINTERS2 "TdxTable", one table. */
    put_u8(&w, 9);
    put(&w, "TdxTable", 9);
    put_le(&w, 1, 8);
    put(&w, guid_tdx_table, 16);
    put_le(&w, 0x809000, 8);
    if ((e = push_blob(log, seed, 0, EV_EFI_HANDOFF_TABLES2, "td-hob", "", &w)) != DSTACK_OK) {
        return e;
    }
    /* The configuration firmware volume: UEFI_PLATFORM_FIRMWARE_BLOB2. */
    static const char fv[] = "Fv(XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)";
    w.n = 0;
    put_u8(&w, (uint8_t)sizeof fv);
    put(&w, fv, sizeof fv);
    put_le(&w, 0xffc00000u, 8);
    put_le(&w, 0x00084000u, 8);
    if ((e = push_blob(log, seed, 0, EV_EFI_PLATFORM_FIRMWARE_BLOB2, "cfv", "", &w)) != DSTACK_OK) {
        return e;
    }
    /* Secure-boot configuration, all empty (dstack boots with secure boot off). */
    static const struct {
        const uint8_t *guid;
        const char *name;
    } vars[] = {
        {guid_efi_global, "SecureBoot"}, {guid_efi_global, "PK"},         {guid_efi_global, "KEK"},
        {guid_image_security_db, "db"},  {guid_image_security_db, "dbx"},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        w.n = 0;
        efi_variable(&w, vars[i].guid, vars[i].name, NULL, 0);
        if ((e = push_measured(log, 0, EV_EFI_VARIABLE_DRIVER_CONFIG, w.b, w.n, &w)) != DSTACK_OK) {
            return e;
        }
    }
    if ((e = separator(log, 0)) != DSTACK_OK) {
        return e;
    }
    /* OVMF's three ACPI measurements; the guest labels them (cc-eventlog tdx.rs:L201-228). */
    static const char *const acpi[] = {"acpi-loader", "acpi-rsdp", "acpi-tables"};
    for (size_t i = 0; i < 3; i++) {
        w.n = 0;
        put(&w, "ACPI DATA", 9);
        if ((e = push_blob(log, seed, 0, EV_PLATFORM_CONFIG_FLAGS, acpi[i], acpi[i], &w)) !=
            DSTACK_OK) {
            return e;
        }
    }
    return DSTACK_OK;
}

/* The kernel loaded from QEMU's -kernel: UEFI_IMAGE_LOAD_EVENT with a vendor-media + file
 * device path (PFP §10.2.3). Its digest is the Authenticode hash of the (patched) bzImage. */
static dstack_err rtmr1_kernel(const char *seed, struct dstack_event_log *log)
{
    struct bytes dp = {0}, w = {0};
    put_u8(&dp, 0x04); /* media device path */
    put_u8(&dp, 0x03); /* vendor-defined */
    put_le(&dp, 20, 2);
    put(&dp, guid_qemu_kernel_loader, 16);
    put_u8(&dp, 0x04);
    put_u8(&dp, 0x04); /* file path */
    put_le(&dp, 4 + 2 * (strlen("kernel") + 1), 2);
    put_utf16(&dp, "kernel", true);
    put_u8(&dp, 0x7f); /* end of device path */
    put_u8(&dp, 0xff);
    put_le(&dp, 4, 2);

    put_le(&w, 0x3cd94018u, 8); /* image location */
    put_le(&w, 0x502400u, 8);   /* image length */
    put_le(&w, 0, 8);           /* link-time address */
    put_le(&w, dp.n, 8);
    put(&w, dp.b, dp.n);
    return push_blob(log, seed, 1, EV_EFI_BOOT_SERVICES_APPLICATION, "kernel-authenticode", "", &w);
}

/* BootOrder = {0000} and Boot0000 = UiApp; the digest covers the variable data only. */
static dstack_err rtmr0_boot_variables(struct dstack_event_log *log)
{
    dstack_err e;
    struct bytes w = {0}, opt = {0};
    static const uint8_t boot_order[2] = {0, 0};
    efi_variable(&w, guid_efi_global, "BootOrder", boot_order, sizeof boot_order);
    if ((e = push_measured(log, 0, EV_EFI_VARIABLE_BOOT, boot_order, sizeof boot_order, &w)) !=
        DSTACK_OK) {
        return e;
    }
    /* EFI_LOAD_OPTION: attributes ACTIVE|HIDDEN|CATEGORY_APP, UiApp in the DXE volume. */
    put_le(&opt, 0x109, 4);
    put_le(&opt, 44, 2);
    put_utf16(&opt, "UiApp", true);
    put_u8(&opt, 0x04);
    put_u8(&opt, 0x07); /* PIWG firmware volume */
    put_le(&opt, 20, 2);
    put(&opt, guid_dxe_fv, 16);
    put_u8(&opt, 0x04);
    put_u8(&opt, 0x06); /* PIWG firmware file */
    put_le(&opt, 20, 2);
    put(&opt, guid_uiapp, 16);
    put_u8(&opt, 0x7f);
    put_u8(&opt, 0xff);
    put_le(&opt, 4, 2);
    w.n = 0;
    efi_variable(&w, guid_efi_global, "Boot0000", opt.b, opt.n);
    return push_measured(log, 0, EV_EFI_VARIABLE_BOOT, opt.b, opt.n, &w);
}

/* RTMR2: the kernel command line (UTF-16LE with its NUL, as the EFI stub measures
 * LoadOptions) and the initrd. */
static dstack_err rtmr2_linux(const char *seed, struct dstack_event_log *log)
{
    uint8_t rootfs[SIM_HASH_LEN], d[SIM_HASH_LEN];
    char cmdline[sizeof SIM_CMDLINE_HEAD + 2 * DSTACK_SHA256_LEN];
    struct bytes u = {0};
    dstack_err e;

    sim_seed_hash(seed, "rootfs", rootfs);
    memcpy(cmdline, SIM_CMDLINE_HEAD, sizeof SIM_CMDLINE_HEAD - 1);
    hex_encode(rootfs, DSTACK_SHA256_LEN, cmdline + sizeof SIM_CMDLINE_HEAD - 1);
    /* The UTF-16 form is twice the length: hash it in two halves through a context. */
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) == 1;
    for (const char *p = cmdline; ok && *p != '\0'; p += u.n / 2) {
        size_t chunk = strlen(p) < 200 ? strlen(p) : 200;
        u.n = 0;
        for (size_t i = 0; i < chunk; i++) {
            put_le(&u, (uint8_t)p[i], 2);
        }
        ok = EVP_DigestUpdate(ctx, u.b, u.n) == 1;
    }
    static const uint8_t nul16[2] = {0, 0};
    ok = ok && EVP_DigestUpdate(ctx, nul16, 2) == 1 && EVP_DigestFinal_ex(ctx, d, &n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return DSTACK_ECRYPTO;
    }
    if ((e = linux_tagged(log, LINUX_LOAD_OPTIONS_TAG, "LOADED_IMAGE::LoadOptions", d)) !=
        DSTACK_OK) {
        return e;
    }
    sim_seed_hash(seed, "initrd", d);
    return linux_tagged(log, LINUX_INITRD_TAG, "Linux initrd", d);
}

dstack_err sim_boot_firmware_events(const char *seed, struct dstack_event_log *log,
                                    uint8_t mrtd[DSTACK_MR_LEN])
{
    dstack_err e;
    sim_seed_hash(seed, "mrtd", mrtd);
    /* Order as in a real dstack CCEL (tdx-lite-getquote.json): RTMR0 firmware, the kernel load
     * (RTMR1), boot variables (RTMR0), then the EFI stub's actions and Linux measurements. */
    if ((e = rtmr0_firmware(seed, log)) != DSTACK_OK ||
        (e = rtmr1_kernel(seed, log)) != DSTACK_OK ||
        (e = rtmr0_boot_variables(log)) != DSTACK_OK ||
        (e = action(log, 1, "Calling EFI Application from Boot Option")) != DSTACK_OK ||
        (e = separator(log, 1)) != DSTACK_OK || (e = rtmr2_linux(seed, log)) != DSTACK_OK ||
        (e = action(log, 1, "Exit Boot Services Invocation")) != DSTACK_OK ||
        (e = action(log, 1, "Exit Boot Services Returned with Success")) != DSTACK_OK) {
        return e;
    }
    return DSTACK_OK;
}

dstack_err sim_compose_parse(const uint8_t *compose, size_t len, struct sim_compose_info *out)
{
    struct json_error jerr;
    dstack_err e = DSTACK_EFORMAT;
    cJSON *doc = json_parse((const char *)compose, len, 0, &jerr);
    const cJSON *v;

    memset(out, 0, sizeof *out);
    out->event_log_version = DSTACK_EVENT_V1;
    snprintf(out->storage_fs, sizeof out->storage_fs, "zfs");
    if (!cJSON_IsObject(doc)) {
        err_set(DSTACK_EFORMAT, "not a JSON object (%s)", doc == NULL ? jerr.text : "wrong type");
        goto out;
    }
    if ((v = json_get(doc, "event_log_version")) != NULL) {
        uint64_t n = 0;
        if (!json_u64(v, &n) || (n != 1 && n != 2)) {
            err_set(DSTACK_EFORMAT, "\"event_log_version\" must be 1 or 2");
            goto out;
        }
        out->event_log_version = (unsigned)n;
    }
    if ((v = json_get(doc, "no_instance_id")) != NULL) {
        if (!cJSON_IsBool(v)) {
            err_set(DSTACK_EFORMAT, "\"no_instance_id\" must be a boolean");
            goto out;
        }
        out->no_instance_id = cJSON_IsTrue(v);
    }
    if ((v = json_get(doc, "storage_fs")) != NULL && !cJSON_IsNull(v)) {
        const char *fs = json_str(v);
        /* dstack-util accepts zfs and ext4 (FsType). */
        if (fs == NULL || (strcmp(fs, "zfs") != 0 && strcmp(fs, "ext4") != 0)) {
            err_set(DSTACK_EFORMAT, "\"storage_fs\" must be \"zfs\" or \"ext4\"");
            goto out;
        }
        snprintf(out->storage_fs, sizeof out->storage_fs, "%s", fs);
    }
    e = DSTACK_OK;
out:
    json_free(doc);
    return e;
}

/* init_script: a string or an array of strings (AppCompose's lenient deserializer). */
static dstack_err push_init_scripts(const uint8_t *compose, size_t len, unsigned version,
                                    struct dstack_event_log *log)
{
    cJSON *doc = json_parse((const char *)compose, len, 0, NULL);
    const cJSON *s = json_get(doc, "init_script");
    dstack_err e = DSTACK_OK;
    const cJSON *item = cJSON_IsArray(s) ? s->child : s;
    for (; item != NULL && e == DSTACK_OK; item = cJSON_IsArray(s) ? item->next : NULL) {
        uint8_t h[DSTACK_SHA256_LEN];
        unsigned int hl = 0;
        if (!cJSON_IsString(item)) {
            continue;
        }
        if (EVP_Digest(json_str(item), json_str_len(item), h, &hl, EVP_sha256(), NULL) != 1) {
            e = DSTACK_ECRYPTO;
            break;
        }
        e = dstack_event_log_push_runtime(log, "init-script-hash", h, sizeof h, version);
    }
    json_free(doc);
    return e;
}

/* os_image_hash of the vm_config string: 32 bytes of hex, or none. */
static size_t vm_os_image_hash(const char *vm_config, uint8_t out[DSTACK_SHA256_LEN])
{
    size_t n = 0;
    cJSON *vm = vm_config != NULL ? json_parse(vm_config, strlen(vm_config), 0, NULL) : NULL;
    const char *h = json_str(json_get(vm, "os_image_hash"));
    if (h == NULL || hex_decode(h, strlen(h), out, DSTACK_SHA256_LEN, &n) != DSTACK_OK) {
        n = 0;
    }
    json_free(vm);
    return n;
}

dstack_err sim_boot_identity(const char *seed, const uint8_t *compose, size_t compose_len,
                             uint8_t compose_hash[DSTACK_SHA256_LEN],
                             uint8_t instance_id[DSTACK_APP_ID_LEN])
{
    uint8_t seed20[SIM_HASH_LEN], id_in[2 * DSTACK_APP_ID_LEN], id[DSTACK_SHA256_LEN];
    unsigned int hl = 0;
    if (EVP_Digest(compose, compose_len, compose_hash, &hl, EVP_sha256(), NULL) != 1) {
        return DSTACK_ECRYPTO;
    }
    sim_seed_hash(seed, "instance-id-seed", seed20);
    memcpy(id_in, seed20, DSTACK_APP_ID_LEN);
    memcpy(id_in + DSTACK_APP_ID_LEN, compose_hash, DSTACK_APP_ID_LEN);
    if (EVP_Digest(id_in, sizeof id_in, id, &hl, EVP_sha256(), NULL) != 1) {
        return DSTACK_ECRYPTO;
    }
    memcpy(instance_id, id, DSTACK_APP_ID_LEN);
    return DSTACK_OK;
}

dstack_err sim_boot_runtime_events(const struct sim_boot_inputs *in, struct dstack_event_log *log)
{
    struct sim_compose_info ci;
    uint8_t compose_hash[DSTACK_SHA256_LEN], id[DSTACK_APP_ID_LEN];
    uint8_t os_hash[DSTACK_SHA256_LEN];
    dstack_err e;

    if ((e = sim_compose_parse(in->compose, in->compose_len, &ci)) != DSTACK_OK) {
        return e;
    }
    unsigned v = ci.event_log_version;
    if ((e = sim_boot_identity(in->seed, in->compose, in->compose_len, compose_hash, id)) !=
        DSTACK_OK) {
        return err_set(e, "deriving the app identity: %s", dstack_err_str(e));
    }
    const uint8_t *app_id = compose_hash;

    /* key-provider: {"name":"kms","id":"<hex SPKI>"} as serde_json writes KeyProviderInfo; the
     * simulator's CA key plays the KMS root (as in upstream's simulator fixture). */
    char *kp = NULL;
    if (in->ca_spki != NULL && in->ca_spki_len > 0) {
        struct json_out o = {0};
        json_out_cstr(&o, "{\"name\":\"kms\",\"id\":");
        json_out_hex(&o, in->ca_spki, in->ca_spki_len);
        json_out_cstr(&o, "}");
        kp = json_out_take(&o, NULL);
    } else {
        kp = strdup("{\"name\":\"none\",\"id\":\"\"}");
    }
    if (kp == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    size_t os_len = vm_os_image_hash(in->vm_config, os_hash);

    /* system_setup.rs:L2699-2718, L2150, L739-744, L2810, L2826. */
    if ((e = dstack_event_log_push_runtime(log, "system-preparing", NULL, 0, v)) != DSTACK_OK ||
        (e = dstack_event_log_push_runtime(log, "app-id", app_id, DSTACK_APP_ID_LEN, v)) !=
            DSTACK_OK ||
        (e = dstack_event_log_push_runtime(log, "compose-hash", compose_hash, sizeof compose_hash,
                                           v)) != DSTACK_OK ||
        (e = push_init_scripts(in->compose, in->compose_len, v, log)) != DSTACK_OK ||
        (e = dstack_event_log_push_runtime(
             log, "instance-id", id, ci.no_instance_id ? 0 : DSTACK_APP_ID_LEN, v)) != DSTACK_OK ||
        (e = dstack_event_log_push_runtime(log, "boot-mr-done", NULL, 0, v)) != DSTACK_OK) {
        goto out;
    }
    if (os_len > 0 && (e = dstack_event_log_push_runtime(log, "os-image-hash", os_hash, os_len,
                                                         v)) != DSTACK_OK) {
        goto out;
    }
    if ((e = dstack_event_log_push_runtime(log, "key-provider", (const uint8_t *)kp, strlen(kp),
                                           v)) != DSTACK_OK ||
        (e = dstack_event_log_push_runtime(log, "storage-fs", (const uint8_t *)ci.storage_fs,
                                           strlen(ci.storage_fs), v)) != DSTACK_OK ||
        (e = dstack_event_log_push_runtime(log, "system-ready", NULL, 0, v)) != DSTACK_OK) {
        goto out;
    }
out:
    free(kp);
    return e == DSTACK_OK
               ? e
               : err_set(e, "recording the boot's runtime events: %s", dstack_err_str(e));
}
