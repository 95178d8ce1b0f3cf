/* decode-quote, replay-rtmrs: offline decoders over include/dstack/quote.h and attest.h. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

int cmd_decode_quote(int argc, char **argv)
{
    struct cli_common co;
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("decode-quote", argc, argv, &co, pos, 1, &n_pos, 0, NULL, &rc);
    if (cmd == NULL) {
        return rc;
    }
    uint8_t *q = NULL;
    size_t len = 0;
    /* what verify-quote reads: binary, hex or a GetQuote answer, told by content */
    if ((rc = cli_quote_input(&co, n_pos ? pos[0] : NULL, &q, &len, NULL)) != 0) {
        return rc;
    }
    struct dstack_quote p;
    dstack_err err = dstack_quote_parse(q, len, &p);
    if (err != DSTACK_OK) {
        free(q);
        return cli_error(cmd->name, CLI_EXIT_USAGE, "not a TDX v4/v5 quote (%s)",
                         dstack_err_str(err));
    }
    cJSON *o = cJSON_CreateObject();
    json_set(o, "version", json_int_new(p.header.version));
    json_set(o, "tee_type", json_int_new(p.header.tee_type));
    json_set(o, "body_type", json_int_new(p.body_type));
    json_set(o, "td15", cJSON_CreateBool(p.report.td15));
    json_set_hex(o, "tee_tcb_svn", p.report.tee_tcb_svn, sizeof p.report.tee_tcb_svn);
    json_set_hex(o, "mr_seam", p.report.mr_seam, DSTACK_MR_LEN);
    json_set_hex(o, "mr_signer_seam", p.report.mr_signer_seam, DSTACK_MR_LEN);
    json_set_hex(o, "td_attributes", p.report.td_attributes, sizeof p.report.td_attributes);
    json_set_hex(o, "xfam", p.report.xfam, sizeof p.report.xfam);
    json_set_hex(o, "mr_td", p.report.mr_td, DSTACK_MR_LEN);
    json_set_hex(o, "mr_config_id", p.report.mr_config_id, DSTACK_MR_LEN);
    json_set_hex(o, "mr_owner", p.report.mr_owner, DSTACK_MR_LEN);
    json_set_hex(o, "mr_owner_config", p.report.mr_owner_config, DSTACK_MR_LEN);
    static const char *const rt[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    for (int i = 0; i < 4; i++) {
        json_set_hex(o, rt[i], p.report.rtmr[i], DSTACK_MR_LEN);
    }
    json_set_hex(o, "report_data", p.report.report_data, DSTACK_REPORT_DATA_LEN);
    free(q);
    return cli_print_json(o);
}

int cmd_replay_rtmrs(int argc, char **argv)
{
    struct cli_common co;
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("replay-rtmrs", argc, argv, &co, pos, 1, &n_pos, 0, NULL, &rc);
    if (cmd == NULL) {
        return rc;
    }
    char *text = NULL;
    size_t len = 0;
    if (co.file != NULL) {
        if ((rc = cli_read_file(co.file, &text, &len)) != 0) {
            return rc;
        }
    } else if (n_pos == 1) {
        text = strdup(pos[0]);
        len = text ? strlen(text) : 0;
    } else {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "missing event log (JSON or --file)");
    }
    if (text == NULL) {
        return cli_error(cmd->name, CLI_EXIT_FAIL, "out of memory");
    }
    /* Accept a GetQuote/Info answer too: take its event_log member. */
    cJSON *doc = json_parse(text, len, 0, NULL);
    const cJSON *ev = cJSON_IsObject(doc) ? json_get(doc, "event_log") : NULL;
    cJSON *tcb = NULL;
    if (ev == NULL && cJSON_IsObject(doc) && cJSON_IsString(json_get(doc, "tcb_info"))) {
        tcb = json_parse_str(json_str(json_get(doc, "tcb_info")), 0, NULL);
        ev = json_get(tcb, "event_log");
    } else if (ev == NULL && cJSON_IsObject(doc)) {
        ev = json_get(json_get(doc, "tcb_info"), "event_log");
    }
    char *log_text = NULL;
    if (cJSON_IsString(ev)) {
        log_text = strdup(json_str(ev));
    } else if (cJSON_IsArray(ev)) {
        log_text = json_dump(ev, 0, NULL);
    }
    json_free(tcb);
    json_free(doc);
    if (log_text != NULL) {
        free(text);
        text = log_text;
        len = strlen(text);
    }
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    dstack_err err = dstack_event_log_parse(text, len, &log);
    free(text);
    if (err != DSTACK_OK) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "%s", dstack_last_error());
    }
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    err = dstack_replay_rtmrs(&log, rtmr);
    size_t count = log.count;
    dstack_event_log_free(&log);
    if (err != DSTACK_OK) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "cannot replay: %s", dstack_err_str(err));
    }
    cJSON *o = cJSON_CreateObject();
    static const char *const rt[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    for (int i = 0; i < 4; i++) {
        json_set_hex(o, rt[i], rtmr[i], DSTACK_MR_LEN);
    }
    json_set(o, "events", json_int_new((int64_t)count));
    return cli_print_json(o);
}
