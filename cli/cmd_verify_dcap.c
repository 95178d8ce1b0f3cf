/* verify-quote --collateral FILE | --pccs-url URL: full DCAP verification of an SGX or TDX quote
 * with Intel collateral (include/dstack/verify.h, docs/verify.md). Exit codes (dstack(1)):
 *   0  verified, whatever the TCB status; the report as JSON on stdout;
 *   1  the quote or the collateral does not verify, with the reason: bad signatures, expired or
 *      revoked pieces, a Revoked platform, and data that is not a quote or not collateral (a
 *      collateral file whose JSON does not parse fails like one whose signature does not);
 *   2  usage: a missing or malformed option, a --root that is not a certificate;
 *   3  a file that cannot be read, a PCCS that cannot be reached or answers garbage. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dstack/verify.h>

#include "verify/pccs.h"

static int parse_now(const char *name, const char *text, uint64_t *now)
{
    char *end = NULL;
    if (text == NULL) {
        *now = (uint64_t)time(NULL);
        return 0;
    }
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > INT64_MAX) {
        return cli_error(name, CLI_EXIT_USAGE, "--now: not a UNIX time in seconds: %s", text);
    }
    *now = (uint64_t)v;
    return 0;
}

static int load_collateral(const char *name, const struct cli_dcap_args *a, const uint8_t *q,
                           size_t qlen, struct dstack_collateral **col)
{
    char *text = NULL;
    size_t len = 0;
    int rc;
    if (a->collateral_path != NULL) {
        if ((rc = cli_read_file(a->collateral_path, &text, &len)) != 0) {
            return rc;
        }
        dstack_err err = dstack_collateral_from_json(text, len, col);
        free(text);
        if (err == DSTACK_ENOMEM) {
            return cli_error(name, CLI_EXIT_FAIL, "out of memory");
        }
        return err == DSTACK_OK ? 0
                                : cli_error(name, CLI_EXIT_NEGATIVE, "invalid collateral: %s: %s",
                                            a->collateral_path, dstack_last_error());
    }
    struct pccs_options po = {
        .url = a->pccs_url, .cache_dir = a->cache_dir, .now = a->now, .timeout_ms = a->timeout_ms};
    dstack_err err = pccs_fetch_for_quote(&po, q, qlen, col);
    return err == DSTACK_OK ? 0
                            : cli_error(name, CLI_EXIT_FAIL, "collateral from %s: %s", a->pccs_url,
                                        dstack_last_error());
}

static int load_root(const char *name, const char *path, struct dstack_dcap_options *opts)
{
    char *text = NULL;
    size_t len = 0;
    uint8_t *der = NULL;
    int rc = cli_read_file(path, &text, &len);
    if (rc != 0) {
        return rc;
    }
    dstack_err err = dstack_cert_to_der(text, len, &der, &opts->root_ca_der_len);
    free(text);
    if (err != DSTACK_OK) {
        return cli_error(name, CLI_EXIT_USAGE, "--root %s: not a certificate (PEM or DER)", path);
    }
    opts->root_ca_der = der;
    return 0;
}

int cli_verify_dcap(const char *name, const struct cli_dcap_args *args, const uint8_t *q,
                    size_t qlen)
{
    struct cli_dcap_args a = *args;
    struct dstack_collateral *col = NULL;
    struct dstack_dcap_report *rep = calloc(1, sizeof *rep);
    char *json = NULL;
    int rc;
    if (rep == NULL) {
        return cli_error(name, CLI_EXIT_FAIL, "out of memory");
    }
    if (a.timeout_text != NULL) {
        char *end = NULL;
        unsigned long ms = strtoul(a.timeout_text, &end, 10);
        if (end == a.timeout_text || *end != '\0' || ms == 0 || ms > 600000) {
            free(rep);
            return cli_error(name, CLI_EXIT_USAGE, "--pccs-timeout wants milliseconds (1..600000)");
        }
        a.timeout_ms = (unsigned)ms;
    }
    if ((rc = parse_now(name, a.now_text, &a.now)) != 0 ||
        (rc = load_collateral(name, &a, q, qlen, &col)) != 0) {
        goto out;
    }
    struct dstack_dcap_options opts = {0};
    if (a.root_path != NULL && (rc = load_root(name, a.root_path, &opts)) != 0) {
        goto out;
    }
    dstack_err err = dstack_dcap_verify(q, qlen, col, a.now, opts.root_ca_der ? &opts : NULL, rep);
    free((void *)opts.root_ca_der);
    if (err != DSTACK_OK) {
        rc = cli_error(name, CLI_EXIT_NEGATIVE, "invalid quote: %s", dstack_last_error());
        goto out;
    }
    if (dstack_dcap_report_to_json(rep, &json) != DSTACK_OK) {
        rc = cli_error(name, CLI_EXIT_FAIL, "out of memory");
        goto out;
    }
    printf("%s\n", json);
    rc = fflush(stdout) == 0 ? 0 : CLI_EXIT_FAIL;
out:
    free(json);
    free(rep);
    dstack_collateral_free(col);
    return rc;
}
