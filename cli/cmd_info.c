/* info, version, gpu-info, is-reachable, call. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Commands without arguments that print the agent's answer. */
static int simple_call(const char *name, const char *method, int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find(name);
    struct cli_common co;
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, NULL, 0, NULL, 0, &n_pos, &rc) != 0) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) != 0) {
        return rc;
    }
    char *resp = NULL;
    dstack_err err = dstack_call(c, method, NULL, &resp);
    dstack_client_free(c);
    if (err != DSTACK_OK) {
        return cli_fail(name, err);
    }
    cJSON *obj = json_parse(resp, strlen(resp), 0, NULL);
    free(resp);
    /* Info: show tcb_info as the object it encodes (as the JS SDK's info() returns it). */
    const cJSON *tcb = json_get(obj, "tcb_info");
    if (cJSON_IsString(tcb) && json_str_len(tcb) > 0) {
        cJSON *parsed = json_parse(json_str(tcb), strlen(json_str(tcb)), 0, NULL);
        if (parsed != NULL) {
            json_set(obj, "tcb_info", parsed);
        }
    }
    return cli_print_json(obj);
}

int cmd_info(int argc, char **argv)
{
    return simple_call("info", "Info", argc, argv);
}

int cmd_version(int argc, char **argv)
{
    return simple_call("version", "Version", argc, argv);
}

int cmd_gpu_info(int argc, char **argv)
{
    return simple_call("gpu-info", "GpuInfo", argc, argv);
}

int cmd_is_reachable(int argc, char **argv)
{
    struct cli_common co;
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("is-reachable", argc, argv, &co, NULL, 0, &n_pos, 0, NULL, &rc);
    if (cmd == NULL) {
        return rc;
    }
    struct dstack_client_options o = {.timeout_ms = co.timeout_ms};
    struct dstack_client *c = NULL;
    bool ok = dstack_client_new(co.endpoint, &o, &c) == DSTACK_OK && dstack_is_reachable(c);
    dstack_client_free(c);
    cli_print_json(json_object_of_bool("reachable", ok));
    return ok ? 0 : CLI_EXIT_NEGATIVE;
}

int cmd_call(int argc, char **argv)
{
    struct cli_common co;
    char *pos[2];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("call", argc, argv, &co, pos, 2, &n_pos, 1, "METHOD", &rc);
    if (cmd == NULL) {
        return rc;
    }
    char *body = NULL;
    size_t blen = 0;
    if (co.file != NULL && (rc = cli_read_file(co.file, &body, &blen)) != 0) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) == 0) {
        char *resp = NULL;
        dstack_err err =
            dstack_call_any_api(c, pos[0], body ? body : (n_pos > 1 ? pos[1] : NULL), &resp);
        rc = err == DSTACK_OK ? cli_print_json_text(resp) : cli_fail(cmd->name, err);
        free(resp);
        dstack_client_free(c);
    }
    free(body);
    return rc;
}
