/* verify-ra-tls: an RA-TLS certificate chain (GetTlsKey / tappd DeriveKey output, or a peer's
 * chain saved as PEM) checked offline: the chain up to a trusted CA, the attestation extension
 * binding the leaf key (report data = SHA-512("ratls-cert:" || SPKI)), and with --quote-root the
 * quote inside it (include/dstack/ratls.h, upstream dstack/ra-tls/src/cert.rs). Prints the app
 * info. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <dstack/quote.h>
#include <dstack/ratls.h>

#include "attest/versioned.h"
#include "x509/appinfo_ext.h"

static bool starts_json(const char *text, size_t len)
{
    size_t skip = strspn(text, " \t\r\n");
    return skip < len && text[skip] == '{';
}

/* PEM text of a file, or of a JSON member: `array_key` (an array of PEM strings, joined) or
 * `string_key` (one PEM string). Lets GetTlsKey answers and appkeys.json be passed directly. */
static int load_pem(const char *name, const char *path, const char *array_key,
                    const char *string_key, char **out, size_t *out_len)
{
    char *text = NULL;
    size_t len = 0;
    int rc = cli_read_file(path, &text, &len);
    if (rc != 0 || !starts_json(text, len)) {
        *out = text;
        *out_len = len;
        return rc;
    }
    cJSON *doc = json_parse(text, len, 0, NULL);
    free(text);
    const cJSON *arr = array_key ? json_get(doc, array_key) : NULL;
    const char *one = string_key ? json_str(json_get(doc, string_key)) : NULL;
    size_t total = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        total += json_str_len(v) + 1;
    }
    if (one != NULL) {
        total += strlen(one) + 1;
    }
    char *pem = total > 0 ? malloc(total + 1) : NULL;
    size_t n = 0;
    if (pem != NULL) {
        cJSON_ArrayForEach(v, arr)
        {
            if (cJSON_IsString(v)) {
                memcpy(pem + n, json_str(v), json_str_len(v));
                n += json_str_len(v);
                pem[n++] = '\n';
            }
        }
        if (one != NULL) {
            memcpy(pem + n, one, strlen(one));
            n += strlen(one);
            pem[n++] = '\n';
        }
        pem[n] = '\0';
    }
    json_free(doc);
    if (pem == NULL) {
        return cli_error(name, CLI_EXIT_USAGE, "%s: no certificate found in the JSON (%s%s%s)",
                         path, array_key ? array_key : "", array_key && string_key ? ", " : "",
                         string_key ? string_key : "");
    }
    *out = pem;
    *out_len = n;
    return 0;
}

/* The decoded app-info extension (upstream dstack/ra-tls/src/cert.rs) as JSON; NULL when it does
 * not decode. */
static cJSON *app_info_json(const uint8_t *b, size_t len)
{
    struct appinfo *ai = calloc(1, sizeof *ai); /* ~4 KiB: keep it off the stack */
    cJSON *o = NULL;
    if (ai != NULL && appinfo_decode(b, len, ai) == DSTACK_OK) {
        o = cJSON_CreateObject();
        json_set_hex(o, "app_id", ai->app_id.p, ai->app_id.len);
        json_set_hex(o, "compose_hash", ai->compose_hash.p, ai->compose_hash.len);
        json_set_hex(o, "instance_id", ai->instance_id.p, ai->instance_id.len);
        json_set_hex(o, "device_id", ai->device_id.p, ai->device_id.len);
        json_set_hex(o, "mr_system", ai->mr_system, sizeof ai->mr_system);
        json_set_hex(o, "mr_aggregated", ai->mr_aggregated, sizeof ai->mr_aggregated);
        json_set_hex(o, "os_image_hash", ai->os_image_hash.p, ai->os_image_hash.len);
        json_set(o, "key_provider_info",
                 json_string_len((const char *)ai->key_provider_info.p, ai->key_provider_info.len));
    }
    free(ai);
    return o;
}

/* What the verified leaf says: usage, the quote's measurements, app info. */
static cJSON *describe(const struct dstack_ratls_cert *leaf, bool quote_verified)
{
    cJSON *o = cJSON_CreateObject();
    const uint8_t *b = NULL;
    size_t len = 0;
    json_set(o, "valid", cJSON_CreateTrue());
    json_set(o, "quote_verified", cJSON_CreateBool(quote_verified));
    if (dstack_ratls_cert_usage(leaf, &b, &len) == DSTACK_OK) {
        json_set(o, "usage", json_string_len((const char *)b, len));
    }
    struct versioned_attestation a = {0};
    if (dstack_ratls_cert_attestation(leaf, &b, &len) == DSTACK_OK &&
        versioned_decode(b, len, &a) == DSTACK_OK) {
        struct dstack_quote p;
        json_set_hex(o, "report_data", a.report_data, sizeof a.report_data);
        if (dstack_quote_parse(a.quote, a.quote_len, &p) == DSTACK_OK) {
            json_set_hex(o, "mr_td", p.report.mr_td, DSTACK_MR_LEN);
            static const char *const rt[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
            for (int i = 0; i < 4; i++) {
                json_set_hex(o, rt[i], p.report.rtmr[i], DSTACK_MR_LEN);
            }
        }
    }
    versioned_free(&a);
    if (dstack_ratls_cert_app_info(leaf, &b, &len) == DSTACK_OK) {
        cJSON *ai = app_info_json(b, len);
        json_set(o, "app_info", ai ? ai : cJSON_CreateNull());
    }
    return o;
}

int cmd_verify_ra_tls(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("verify-ra-tls");
    struct cli_common co;
    const char *ca_path = NULL, *root_path = NULL;
    const struct cli_opt opts[] = {
        {.name = "ca", .has_arg = true, .value = &ca_path},
        {.name = "quote-root", .has_arg = true, .value = &root_path},
    };
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 1, &n_pos, &rc) != 0) {
        return rc;
    }
    const char *chain_path = n_pos ? pos[0] : co.file;
    if (chain_path == NULL || (n_pos && co.file != NULL)) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "give one chain: FILE or --file F");
    }
    if (ca_path == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE,
                         "--ca FILE is required (the app CA PEM, or an appkeys.json)");
    }
    char *chain = NULL, *ca = NULL, *root = NULL;
    size_t chain_len = 0, ca_len = 0, root_len = 0;
    struct dstack_ratls_cert *leaf = NULL;
    if ((rc = load_pem(cmd->name, chain_path, "certificate_chain", NULL, &chain, &chain_len)) !=
            0 ||
        (rc = load_pem(cmd->name, ca_path, NULL, "ca_cert", &ca, &ca_len)) != 0 ||
        (root_path != NULL && (rc = cli_read_file(root_path, &root, &root_len)) != 0)) {
        goto out;
    }
    dstack_err err = dstack_ratls_verify_chain(chain, chain_len, ca, ca_len, root, root_len, &leaf);
    if (err != DSTACK_OK) {
        rc = cli_error(cmd->name, CLI_EXIT_NEGATIVE, "invalid RA-TLS certificate: %s",
                       dstack_last_error());
        goto out;
    }
    rc = cli_print_json(describe(leaf, root != NULL));
out:
    dstack_ratls_cert_free(leaf);
    free(root);
    free(ca);
    free(chain);
    return rc;
}
