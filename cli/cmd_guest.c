/* guest and worker: clients of the host-facing Guest API (guest.sock, vsock://CID:8000) and of
 * the public Worker API (external.sock, http://host:8090). JSON output. docs/cli.md. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --endpoint is required: opens the Guest API (guest) or the Worker API client on it. */
static int open_client(const struct cli_cmd *cmd, const struct cli_common *co, bool guest,
                       struct dstack_client **c)
{
    if (co->endpoint == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE,
                         "--endpoint is required (a socket path, http://host:port or, for "
                         "guest, vsock://CID:PORT)");
    }
    struct dstack_client_options o = {.timeout_ms = co->timeout_ms};
    dstack_err err = guest ? dstack_guest_client_new(co->endpoint, &o, c)
                           : dstack_worker_client_new(co->endpoint, &o, c);
    return err == DSTACK_OK ? 0 : cli_fail(cmd->name, err);
}

int cmd_guest(int argc, char **argv)
{
    struct cli_common co;
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("guest", argc, argv, &co, pos, 1, &n_pos, 1, "subcommand", &rc);
    if (cmd == NULL) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = open_client(cmd, &co, true, &c)) != 0) {
        return rc;
    }
    dstack_err err = DSTACK_OK;
    const char *sub = pos[0];
    char *text = NULL;
    struct dstack_guest_sysinfo *s = NULL;
    struct dstack_guest_containers *list = NULL;
    if (strcmp(sub, "sysinfo") == 0) {
        err = dstack_guest_sysinfo(c, &s);
        text = s != NULL ? s->json : NULL;
    } else if (strcmp(sub, "containers") == 0) {
        err = dstack_guest_list_containers(c, &list);
        text = list != NULL ? list->json : NULL;
    } else if (strcmp(sub, "netinfo") == 0) {
        err = dstack_guest_network_info_json(c, &text);
    } else if (strcmp(sub, "info") == 0) {
        err = dstack_guest_info_json(c, &text);
    } else if (strcmp(sub, "shutdown") == 0) {
        err = dstack_guest_shutdown(c); /* the answer is Empty: printed as the agent sends it */
        text = err == DSTACK_OK ? strdup("null") : NULL;
        err = err == DSTACK_OK && text == NULL ? DSTACK_ENOMEM : err;
    } else {
        dstack_client_free(c);
        return cli_error(cmd->name, CLI_EXIT_USAGE, "unknown subcommand '%s'", sub);
    }
    rc = err == DSTACK_OK ? cli_print_json_text(text) : cli_fail(cmd->name, err);
    if (s == NULL && list == NULL) {
        free(text);
    }
    dstack_guest_sysinfo_free(s);
    dstack_guest_containers_free(list);
    dstack_client_free(c);
    return rc;
}

int cmd_worker(int argc, char **argv)
{
    struct cli_common co;
    char *pos[2];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("worker", argc, argv, &co, pos, 2, &n_pos, 1, "subcommand", &rc);
    if (cmd == NULL) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = open_client(cmd, &co, false, &c)) != 0) {
        return rc;
    }
    dstack_err err = DSTACK_OK;
    const char *sub = pos[0];
    const char *json = NULL;
    struct dstack_info_response *info = NULL;
    struct dstack_version_response *ver = NULL;
    struct dstack_get_quote_response *q = NULL;
    if (strcmp(sub, "info") == 0) {
        err = dstack_info(c, &info);
        json = info != NULL ? info->json : NULL;
    } else if (strcmp(sub, "version") == 0) {
        err = dstack_version(c, &ver);
        json = ver != NULL ? ver->json : NULL;
    } else if (strcmp(sub, "attest-app-key") == 0 && n_pos == 2) {
        err = dstack_worker_get_attestation_for_app_key(c, pos[1], &q);
        json = q != NULL ? q->json : NULL;
    } else {
        dstack_client_free(c);
        return cli_error(cmd->name, CLI_EXIT_USAGE, "unknown subcommand '%s' (see --help)", sub);
    }
    rc = err == DSTACK_OK ? cli_print_json_text(json) : cli_fail(cmd->name, err);
    dstack_info_response_free(info);
    dstack_version_response_free(ver);
    dstack_get_quote_response_free(q);
    dstack_client_free(c);
    return rc;
}
