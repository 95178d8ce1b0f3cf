/* Step 2 of dstack_verify_attestation, the OS image (upstream dstack/verifier/src/verification.rs
 * verify_os_image_hash, DstackTdx arm): the declared tdx_attestation_variant alone picks the path.
 *   lite:   vm_config.tdx_measurement must be the image's (sha256(sha256sum.txt) = os_image_hash,
 *           and sha256sum.txt lists measurement.tdx.cbor's hash), then MRTD and RTMR0-2
 *           recomputed from it must equal the quote's (tdx_lite.c);
 *   legacy: upstream downloads the image and recomputes everything from its files; dstack-c
 *           does not, and says so (the only case reported "not checked").
 * ACPI table contents are not checked in lite mode, by upstream either (acpi_tables_verified). */
#include "dstack_layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "tdx_lite.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/utf8.h"

#define MEASUREMENT_FILE "measurement.tdx.cbor"

static void hex_of(const uint8_t *b, size_t n, char *out, size_t cap)
{
    char *h = hex_encode_alloc(b, n);
    snprintf(out, cap, "%s", h != NULL ? h : "?");
    free(h);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The hash sha256sum.txt gives a file (dstack-types sha256sum_entry_hash): lines of
 * "<hex> <name>", blank lines skipped, exactly one line for the name. */
static dstack_err checksum_entry(const uint8_t *text, size_t len, const char *name,
                                 uint8_t out[static 32])
{
    size_t found = 0, line_no = 0;
    if (!utf8_valid(text, len)) {
        return err_set(DSTACK_EVERIFY, "sha256sum.txt is not valid UTF-8");
    }
    for (size_t pos = 0; pos < len; line_no++) {
        const char *line = (const char *)text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - line) : len - pos, i = 0;
        pos += n + (nl != NULL);
        const char *hash = NULL, *file = NULL;
        size_t hash_len = 0, file_len = 0;
        for (int field = 0; field < 2; field++) {
            while (i < n && is_space(line[i])) {
                i++;
            }
            size_t start = i;
            while (i < n && !is_space(line[i])) {
                i++;
            }
            if (field == 0) {
                hash = line + start, hash_len = i - start;
            } else {
                file = line + start, file_len = i - start;
            }
        }
        if (hash_len == 0) {
            continue;
        }
        if (file_len == 0) {
            return err_set(DSTACK_EVERIFY, "sha256sum.txt line %zu is missing filename",
                           line_no + 1);
        }
        if (file_len != strlen(name) || memcmp(file, name, file_len) != 0) {
            continue;
        }
        size_t got = 0;
        if (found++ != 0) {
            return err_set(DSTACK_EVERIFY, "sha256sum.txt contains duplicate %s entries", name);
        }
        if (hex_decode(hash, hash_len, out, 32, &got) != DSTACK_OK || got != 32) {
            return err_set(DSTACK_EVERIFY, "sha256sum.txt %s hash is not 32 bytes of hex", name);
        }
    }
    return found == 1 ? DSTACK_OK : err_set(DSTACK_EVERIFY, "sha256sum.txt is missing %s", name);
}

/* dstack-types verify_measurement_material. */
static dstack_err check_material(const struct dl_vm_config *c)
{
    uint8_t image[32], listed[32], actual[32];
    char a[80], b[80];
    SHA256(c->checksum_file, c->checksum_file_len, image);
    if (c->os_image_hash_len != 32 || memcmp(image, c->os_image_hash, 32) != 0) {
        hex_of(c->os_image_hash, c->os_image_hash_len, a, sizeof a);
        hex_of(image, 32, b, sizeof b);
        return err_set(DSTACK_EVERIFY,
                       "os_image_hash mismatch: expected sha256(sha256sum.txt)=%s, actual=%s", a,
                       b);
    }
    dstack_err err =
        checksum_entry(c->checksum_file, c->checksum_file_len, MEASUREMENT_FILE, listed);
    if (err != DSTACK_OK) {
        return err;
    }
    SHA256(c->measurement, c->measurement_len, actual);
    if (memcmp(listed, actual, 32) != 0) {
        hex_of(listed, 32, a, sizeof a);
        hex_of(actual, 32, b, sizeof b);
        return err_set(DSTACK_EVERIFY,
                       MEASUREMENT_FILE " hash mismatch: sha256sum.txt=%s, actual=%s", a, b);
    }
    return DSTACK_OK;
}

/* Expected against quoted, in upstream's order (verification.rs Mrs::assert_eq). */
static dstack_err compare_mrs(const struct tdx_lite_mrs *want, const struct dstack_td_report *td)
{
    static const char *const names[4] = {"MRTD", "RTMR0", "RTMR1", "RTMR2"};
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = i == 0 ? want->mrtd : want->rtmr[i - 1];
        const uint8_t *q = i == 0 ? td->mr_td : td->rtmr[i - 1];
        if (memcmp(e, q, DSTACK_MR_LEN) != 0) {
            char a[2 * DSTACK_MR_LEN + 1], b[2 * DSTACK_MR_LEN + 1];
            hex_of(e, DSTACK_MR_LEN, a, sizeof a);
            hex_of(q, DSTACK_MR_LEN, b, sizeof b);
            return err_set(DSTACK_EVERIFY, "MRs do not match: %s mismatch: expected=%s, actual=%s",
                           names[i], a, b);
        }
    }
    return DSTACK_OK;
}

static dstack_err check_lite(const struct dl_input *d, const struct dl_vm_config *c,
                             const struct dstack_td_report *td)
{
    struct tdx_lite_measurement m;
    struct tdx_lite_mrs want;
    struct tdx_lite_vm vm = {c->memory_size, c->qemu_version, c->qemu_single_pass_add_pages};
    dstack_err err;
    if (!c->has_document) {
        return err_set(DSTACK_EVERIFY, "tdx lite attestation requires vm_config.tdx_measurement");
    }
    if ((err = check_material(c)) != DSTACK_OK) {
        return err_wrap(err, "tdx lite measurement material does not match os_image_hash");
    }
    if ((err = tdx_lite_decode(c->measurement, c->measurement_len, &m)) != DSTACK_OK) {
        return err_wrap(err, "failed to decode vm_config.tdx_measurement CBOR");
    }
    /* vm_config.ovmf_variant and the document's can only both be pre202505 (the one layout
     * upstream's OvmfVariant has; vm_config.c and tdx_lite_cbor.c refuse any other). */
    if ((err = tdx_lite_expected(&m, &vm, &d->log, &want)) != DSTACK_OK) {
        return err;
    }
    return compare_mrs(&want, td);
}

dstack_err dl_check_os_image(const struct dl_input *d, struct dstack_attestation_result *out)
{
    struct dl_vm_config c;
    const char *text = d->vm_config;
    dstack_err err = dl_vm_config_parse(text, text != NULL ? strlen(text) : 0, &c);
    if (err == DSTACK_OK && c.lite) {
        err = check_lite(d, &c, &out->dcap.td);
    }
    if (err == DSTACK_ENOMEM) {
        dl_vm_config_free(&c);
        return err;
    }
    if (err != DSTACK_OK) {
        snprintf(out->reason, sizeof out->reason, "OS image hash verification failed: %s",
                 err_text());
    } else if (c.lite) {
        out->os_image_hash_verified = true;
        snprintf(out->os_image_note, sizeof out->os_image_note,
                 "verified: lite mode, MRTD and RTMR0-2 recomputed from vm_config.tdx_measurement; "
                 "ACPI table contents not checked (as upstream's lite mode)");
    } else {
        snprintf(out->os_image_note, sizeof out->os_image_note,
                 "not checked: legacy mode recomputes MRTD and RTMR0-2 from the OS image files, "
                 "which dstack-c does not download");
    }
    if (err == DSTACK_OK && c.os_image_hash_len != 0 && out->app.os_image_hash_len == 0) {
        memcpy(out->app.os_image_hash, c.os_image_hash, c.os_image_hash_len);
        out->app.os_image_hash_len = c.os_image_hash_len;
    }
    dl_vm_config_free(&c);
    return DSTACK_OK;
}
