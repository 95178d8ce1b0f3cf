/* tappd: the deprecated tappd.sock API (derive-key, tdx-quote, raw-quote, info, is-reachable).
 * Deprecation warnings from the library go to stderr. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void warn_stderr(enum dstack_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level >= DSTACK_LOG_WARN) {
        fprintf(stderr, "dstack tappd: warning: %s\n", msg);
    }
}

int cmd_tappd(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("tappd");
    struct cli_common co;
    const char *subject = NULL, *hash_alg = NULL;
    const struct cli_opt opts[] = {{.name = "subject", .has_arg = true, .value = &subject},
                                   {.name = "hash-algorithm", .has_arg = true, .value = &hash_alg}};
    char *pos[2];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 2, &n_pos, &rc) != 0) {
        return rc;
    }
    if (n_pos < 1) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "missing subcommand (see --help)");
    }
    const char *sub = pos[0];
    struct dstack_client_options o = {.timeout_ms = co.timeout_ms};
    struct dstack_client *c = NULL;
    dstack_err err = dstack_tappd_client_new(co.endpoint, &o, warn_stderr, NULL, &c);
    if (err != DSTACK_OK) {
        return strcmp(sub, "is-reachable") == 0
                   ? (cli_print_json(json_object_of_bool("reachable", 0)), CLI_EXIT_NEGATIVE)
                   : cli_fail(cmd->name, err);
    }
    const char *json = NULL;
    struct dstack_get_tls_key_response *k = NULL;
    struct dstack_get_quote_response *q = NULL;
    struct dstack_info_response *info = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    if (strcmp(sub, "derive-key") == 0) {
        err = dstack_tappd_derive_key(c, n_pos > 1 ? pos[1] : "", subject, NULL, 0, &k);
        json = k ? k->json : NULL;
    } else if (strcmp(sub, "tdx-quote") == 0 || strcmp(sub, "raw-quote") == 0) {
        bool raw = strcmp(sub, "raw-quote") == 0;
        if (raw) {
            co.hex = true;
        }
        if ((rc = cli_data(&co, n_pos > 1 ? pos[1] : NULL, raw, &data, &len)) != 0) {
            dstack_client_free(c);
            return rc;
        }
        if (raw && len != DSTACK_REPORT_DATA_LEN) {
            rc = cli_error(cmd->name, CLI_EXIT_USAGE,
                           "Report data must be exactly 64 bytes for raw quote");
            goto out;
        }
        err = raw ? dstack_tappd_raw_quote(c, data, &q)
                  : dstack_tappd_tdx_quote(c, data, len, hash_alg, &q);
        json = q ? q->json : NULL;
    } else if (strcmp(sub, "info") == 0) {
        err = dstack_tappd_info(c, &info);
        json = info ? info->json : NULL;
    } else if (strcmp(sub, "is-reachable") == 0) {
        bool ok = dstack_is_reachable(c);
        cli_print_json(json_object_of_bool("reachable", ok));
        rc = ok ? 0 : CLI_EXIT_NEGATIVE;
        goto out;
    } else {
        rc = cli_error(cmd->name, CLI_EXIT_USAGE, "unknown subcommand '%s'", sub);
        goto out;
    }
    rc = err == DSTACK_OK ? cli_print_json_text(json) : cli_fail(cmd->name, err);
out:
    free(data);
    dstack_get_tls_key_response_free(k);
    dstack_get_quote_response_free(q);
    dstack_info_response_free(info);
    dstack_client_free(c);
    return rc;
}
