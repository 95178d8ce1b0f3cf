/* get-quote, attest, emit-event. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "util/hex.h"

int cmd_get_quote(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("get-quote");
    struct cli_common co;
    bool replay = false;
    const struct cli_opt opts[] = {{.name = "replay", .flag = &replay}};
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 1, pos, 1, &n_pos, &rc) != 0) {
        return rc;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if ((rc = cli_data(&co, n_pos ? pos[0] : NULL, false, &data, &len)) != 0) {
        return rc;
    }
    if (len == 0) { /* allowed, as in the JS/Go SDKs, but worth a note */
        fprintf(stderr, "dstack get-quote: note: empty report data (64 zero bytes)\n");
    }
    struct dstack_client *c = NULL;
    struct dstack_get_quote_response *q = NULL;
    if ((rc = cli_client(&co, &c)) != 0) {
        goto out;
    }
    dstack_err err = dstack_get_quote(c, data, len, &q);
    if (err != DSTACK_OK) {
        rc = cli_fail(cmd->name, err);
        goto out;
    }
    cJSON *obj = json_parse(q->json, strlen(q->json), 0, NULL);
    if (replay && obj != NULL) {
        uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
        if ((err = dstack_get_quote_response_replay_rtmrs(q, rtmr)) != DSTACK_OK) {
            json_free(obj);
            rc = cli_fail(cmd->name, err);
            goto out;
        }
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < DSTACK_RTMR_COUNT; i++) {
            char hex[2 * DSTACK_MR_LEN + 1];
            hex_encode(rtmr[i], DSTACK_MR_LEN, hex);
            json_push(arr, cJSON_CreateString(hex));
        }
        json_set(obj, "replayed_rtmrs", arr);
    }
    rc = cli_print_json(obj);
out:
    dstack_get_quote_response_free(q);
    dstack_client_free(c);
    free(data);
    return rc;
}

int cmd_attest(int argc, char **argv)
{
    struct cli_common co;
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd = cli_start("attest", argc, argv, &co, pos, 1, &n_pos, 0, NULL, &rc);
    if (cmd == NULL) {
        return rc;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if ((rc = cli_data(&co, n_pos ? pos[0] : NULL, false, &data, &len)) != 0) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) == 0) {
        struct dstack_attest_response *a = NULL;
        dstack_err err = dstack_attest(c, data, len, &a);
        rc = err == DSTACK_OK ? cli_print_json_text(a->json) : cli_fail(cmd->name, err);
        dstack_attest_response_free(a);
        dstack_client_free(c);
    }
    free(data);
    return rc;
}

int cmd_emit_event(int argc, char **argv)
{
    struct cli_common co;
    char *pos[2];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("emit-event", argc, argv, &co, pos, 2, &n_pos, 1, "NAME", &rc);
    if (cmd == NULL) {
        return rc;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if ((rc = cli_data(&co, n_pos > 1 ? pos[1] : NULL, false, &data, &len)) != 0) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) == 0) {
        dstack_err err = dstack_emit_event(c, pos[0], data, len);
        rc = err == DSTACK_OK ? cli_print_json(cJSON_CreateObject()) : cli_fail(cmd->name, err);
        dstack_client_free(c);
    }
    free(data);
    return rc;
}
