/* vm_config as upstream's verifier reads it (dstack-types VmConfig, serde): a JSON object whose
 * known fields must have their types (a wrong type fails the whole config, as serde fails),
 * unknown fields ignored. Only what the OS-image check uses is kept (dstack_layer.h). */
#include "dstack_layer.h"

#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/hex.h"

enum kind { K_U32, K_U64, K_BOOL, K_OPT_BOOL, K_STR, K_OPT_STR, K_OPT_OBJ };

static const struct {
    const char *key;
    enum kind kind;
} fields[] = {
    {"cpu_count", K_U32},
    {"memory_size", K_U64},
    {"qemu_single_pass_add_pages", K_OPT_BOOL},
    {"pic", K_OPT_BOOL},
    {"qemu_version", K_OPT_STR},
    {"pci_hole64_size", K_U64},
    {"hugepages", K_BOOL},
    {"num_gpus", K_U32},
    {"num_nvswitches", K_U32},
    {"num_nics", K_U32},
    {"num_verity_volumes", K_U32},
    {"swtpm", K_BOOL},
    {"hotplug_off", K_BOOL},
    {"image", K_OPT_STR},
    {"host_share_mode", K_STR},
    {"ovmf_variant", K_OPT_STR},
    {"tdx_attestation_variant", K_STR},
    {"tdx_measurement", K_OPT_OBJ},
    {"os_image_hash", K_STR},
};

static const char *want_of(enum kind k)
{
    return k == K_U32                       ? "u32"
           : k == K_U64                     ? "u64"
           : k == K_BOOL || k == K_OPT_BOOL ? "a boolean"
           : k == K_OPT_OBJ                 ? "a map"
                                            : "a string";
}

static bool kind_ok(const cJSON *v, enum kind k)
{
    uint64_t n = 0;
    bool null_ok = k == K_OPT_BOOL || k == K_OPT_STR || k == K_OPT_OBJ;
    if (cJSON_IsNull(v)) {
        return null_ok;
    }
    switch (k) {
    case K_U32:
        return json_u64(v, &n) && n <= UINT32_MAX;
    case K_U64:
        return json_u64(v, &n);
    case K_BOOL:
    case K_OPT_BOOL:
        return cJSON_IsBool(v);
    case K_OPT_OBJ:
        return cJSON_IsObject(v);
    default:
        return cJSON_IsString(v);
    }
}

static dstack_err check_types(const cJSON *doc)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const cJSON *v = json_get(doc, fields[i].key);
        if (v != NULL && !kind_ok(v, fields[i].kind)) {
            return err_set(DSTACK_EFORMAT, "invalid type: %s, expected %s for `%s`", json_kind(v),
                           want_of(fields[i].kind), fields[i].key);
        }
    }
    return DSTACK_OK;
}

/* The enums' names (serde rename_all = "snake_case"). */
static dstack_err read_enums(const cJSON *doc, struct dl_vm_config *c)
{
    const char *variant = json_get_str(doc, "tdx_attestation_variant");
    const char *ovmf = json_get_str(doc, "ovmf_variant");
    if (variant != NULL && strcmp(variant, "lite") != 0 && strcmp(variant, "legacy") != 0) {
        return err_set(DSTACK_EFORMAT,
                       "unknown variant `%s`, expected `legacy` or `lite` for "
                       "`tdx_attestation_variant`",
                       variant);
    }
    if (ovmf != NULL && strcmp(ovmf, "pre202505") != 0) {
        return err_set(DSTACK_EFORMAT,
                       "unknown variant `%s`, expected `pre202505` for `ovmf_variant`", ovmf);
    }
    c->lite = variant != NULL && strcmp(variant, "lite") == 0;
    return DSTACK_OK;
}

/* tdx_measurement: {"checksum_file": base64, "measurement": base64}, both required. */
static dstack_err read_document(const cJSON *doc, struct dl_vm_config *c)
{
    const cJSON *m = json_get(doc, "tdx_measurement");
    if (m == NULL || cJSON_IsNull(m)) {
        return DSTACK_OK;
    }
    const cJSON *cf = json_get(m, "checksum_file"), *ms = json_get(m, "measurement");
    if (!cJSON_IsString(cf) || !cJSON_IsString(ms)) {
        return err_set(DSTACK_EFORMAT, "missing field `%s` in `tdx_measurement`",
                       !cJSON_IsString(cf) ? "checksum_file" : "measurement");
    }
    dstack_err err = base64_decode_alloc(json_str(cf), json_str_len(cf), &c->checksum_file,
                                         &c->checksum_file_len);
    if (err != DSTACK_OK) {
        return err_set(err, "tdx_measurement.checksum_file is not base64");
    }
    err = base64_decode_alloc(json_str(ms), json_str_len(ms), &c->measurement, &c->measurement_len);
    if (err != DSTACK_OK) {
        return err_set(err, "tdx_measurement.measurement is not base64");
    }
    c->has_document = true;
    return DSTACK_OK;
}

static dstack_err read_values(const cJSON *doc, struct dl_vm_config *c)
{
    const char *h = json_get_str(doc, "os_image_hash");
    const cJSON *sp = json_get(doc, "qemu_single_pass_add_pages");
    const char *qv = json_get_str(doc, "qemu_version");
    if (h != NULL && hex_decode(h, strlen(h), c->os_image_hash, sizeof c->os_image_hash,
                                &c->os_image_hash_len) != DSTACK_OK) {
        return err_set(DSTACK_EFORMAT, "`os_image_hash` is not hex of at most %zu bytes",
                       sizeof c->os_image_hash);
    }
    if (json_get(doc, "memory_size") != NULL) {
        json_u64(json_get(doc, "memory_size"), &c->memory_size);
    }
    c->qemu_single_pass_add_pages = cJSON_IsBool(sp) ? cJSON_IsTrue(sp) : -1;
    if (qv != NULL && (c->qemu_version = strdup(qv)) == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    return DSTACK_OK;
}

dstack_err dl_vm_config_parse(const char *text, size_t len, struct dl_vm_config *c)
{
    struct json_error jerr;
    memset(c, 0, sizeof *c);
    c->qemu_single_pass_add_pages = -1;
    if (text == NULL || len == 0) {
        text = "{}"; /* upstream: no config is the empty object */
        len = 2;
    }
    cJSON *doc = json_parse(text, len, 0, &jerr);
    dstack_err err = DSTACK_OK;
    if (doc == NULL || !cJSON_IsObject(doc)) {
        err = err_set(DSTACK_EFORMAT, "%s", doc == NULL ? jerr.text : "not a JSON object");
    }
    if (err == DSTACK_OK && (err = check_types(doc)) == DSTACK_OK &&
        (err = read_enums(doc, c)) == DSTACK_OK && (err = read_document(doc, c)) == DSTACK_OK) {
        err = read_values(doc, c);
    }
    json_free(doc);
    if (err != DSTACK_OK) {
        dl_vm_config_free(c);
        return err_wrap(err, "Failed to decode VM config: Failed to parse vm config");
    }
    return DSTACK_OK;
}

void dl_vm_config_free(struct dl_vm_config *c)
{
    free(c->checksum_file);
    free(c->measurement);
    free(c->qemu_version);
    memset(c, 0, sizeof *c);
}
