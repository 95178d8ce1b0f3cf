/* verify-quote: a TDX quote checked offline against a trusted root (include/dstack/quote.h
 * dstack_quote_verify: quote and QE report signatures, QE binding, PCK chain; see
 * docs/attestation.md for what is and is not checked). Optionally its report data, and for a
 * whole GetQuote answer its event log replayed to the quote's RTMRs (docs/attestation.md). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

static int verify_dcap(const char *name, const struct cli_common *co, const char *pos,
                       const struct cli_dcap_args *dcap)
{
    uint8_t *q = NULL;
    size_t qlen = 0;
    char *log_json = NULL;
    int rc = cli_quote_input(co, pos, &q, &qlen, &log_json);
    if (rc == 0) {
        rc = cli_verify_dcap(name, dcap, q, qlen);
    }
    free(log_json);
    free(q);
    return rc;
}

/* --report-data HEX into 64 bytes, zero-padded on the right as the agent pads. */
static int parse_report_data(const char *name, const char *hex,
                             uint8_t want[DSTACK_REPORT_DATA_LEN])
{
    uint8_t *b = NULL;
    size_t blen = 0;
    int rc = cli_hex_arg("--report-data", hex, &b, &blen);
    if (rc != 0) {
        return rc;
    }
    if (blen > DSTACK_REPORT_DATA_LEN) {
        free(b);
        return cli_error(name, CLI_EXIT_USAGE, "--report-data is over 64 bytes");
    }
    memset(want, 0, DSTACK_REPORT_DATA_LEN);
    memcpy(want, b, blen);
    free(b);
    return 0;
}

/* The verified quote's fields the command prints. */
static cJSON *describe_quote(const struct dstack_quote *p)
{
    static const char *const rt[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    cJSON *o = cJSON_CreateObject();
    json_set(o, "valid", cJSON_CreateTrue());
    json_set(o, "version", json_int_new(p->header.version));
    json_set_hex(o, "report_data", p->report.report_data, DSTACK_REPORT_DATA_LEN);
    json_set_hex(o, "mr_td", p->report.mr_td, DSTACK_MR_LEN);
    for (int i = 0; i < 4; i++) {
        json_set_hex(o, rt[i], p->report.rtmr[i], DSTACK_MR_LEN);
    }
    return o;
}

/* A GetQuote answer's event log must replay to the quote's RTMRs; adds the count to o. */
static int check_event_log(const char *name, const char *log_json, const struct dstack_quote *p,
                           cJSON *o)
{
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    dstack_err err = dstack_event_log_parse(log_json, strlen(log_json), &log);
    if (err == DSTACK_OK) {
        err = dstack_replay_rtmrs(&log, rtmr);
    }
    int rc = 0;
    if (err != DSTACK_OK || memcmp(rtmr, p->report.rtmr, sizeof rtmr) != 0) {
        rc = cli_error(name, CLI_EXIT_NEGATIVE, "invalid quote: %s",
                       err != DSTACK_OK ? dstack_last_error()
                                        : "the event log does not replay to the quote's RTMRs");
    } else {
        json_set(o, "event_log_replayed", cJSON_CreateTrue());
        json_set(o, "events", json_int_new((int64_t)log.count));
    }
    dstack_event_log_free(&log);
    return rc;
}

/* The --root mode: signatures and chain under a trusted root, the report data when asked
 * (want_rd not NULL), the event log when the input was a GetQuote answer. */
static int verify_with_root(const char *name, const struct cli_common *co, const char *pos,
                            const char *root_path, const uint8_t *want_rd)
{
    uint8_t *q = NULL;
    size_t qlen = 0, root_len = 0;
    char *log_json = NULL, *root = NULL;
    cJSON *o = NULL;
    struct dstack_quote p;
    int rc;
    if ((rc = cli_quote_input(co, pos, &q, &qlen, &log_json)) != 0 ||
        (rc = cli_read_file(root_path, &root, &root_len)) != 0) {
        goto out;
    }
    if (dstack_quote_verify(q, qlen, root, root_len) != DSTACK_OK) {
        rc = cli_error(name, CLI_EXIT_NEGATIVE, "invalid quote: %s", dstack_last_error());
    } else if (dstack_quote_parse(q, qlen, &p) != DSTACK_OK) { /* cannot happen after verify */
        rc = cli_error(name, CLI_EXIT_FAIL, "quote does not parse");
    } else if (want_rd != NULL &&
               memcmp(p.report.report_data, want_rd, DSTACK_REPORT_DATA_LEN) != 0) {
        rc = cli_error(name, CLI_EXIT_NEGATIVE,
                       "invalid quote: report data differs from --report-data");
    } else {
        o = describe_quote(&p);
        rc = log_json != NULL ? check_event_log(name, log_json, &p, o) : 0;
        if (rc == 0) {
            rc = cli_print_json(o); /* takes o */
            o = NULL;
        }
    }
out:
    json_free(o);
    free(root);
    free(log_json);
    free(q);
    return rc;
}

int cmd_verify_quote(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("verify-quote");
    struct cli_common co;
    const char *root_path = NULL, *want_rd_hex = NULL;
    struct cli_dcap_args dcap = {0};
    const struct cli_opt opts[] = {
        {.name = "root", .has_arg = true, .value = &root_path},
        {.name = "report-data", .has_arg = true, .value = &want_rd_hex},
        {.name = "collateral", .has_arg = true, .value = &dcap.collateral_path},
        {.name = "pccs-url", .has_arg = true, .value = &dcap.pccs_url},
        {.name = "cache-dir", .has_arg = true, .value = &dcap.cache_dir},
        {.name = "now", .has_arg = true, .value = &dcap.now_text},
        {.name = "pccs-timeout", .has_arg = true, .value = &dcap.timeout_text},
    };
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &rc) !=
        0) {
        return rc;
    }
    if (dcap.collateral_path != NULL || dcap.pccs_url != NULL) {
        if (want_rd_hex != NULL) {
            return cli_error(cmd->name, CLI_EXIT_USAGE,
                             "--report-data belongs to the --root mode; the DCAP mode prints the "
                             "report data");
        }
        dcap.root_path = root_path; /* the simulator's root instead of Intel's */
        return verify_dcap(cmd->name, &co, n_pos ? pos[0] : NULL, &dcap);
    }
    if (root_path == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE,
                         "--root FILE is required (the trusted root CA PEM, e.g. the "
                         "simulator's tdx-root-ca.pem)");
    }
    uint8_t want_rd[DSTACK_REPORT_DATA_LEN];
    if (want_rd_hex != NULL && (rc = parse_report_data(cmd->name, want_rd_hex, want_rd)) != 0) {
        return rc;
    }
    return verify_with_root(cmd->name, &co, n_pos ? pos[0] : NULL, root_path,
                            want_rd_hex != NULL ? want_rd : NULL);
}
