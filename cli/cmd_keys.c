/* get-key, get-tls-key, sign, verify. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/secret.h"

int cmd_get_key(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("get-key");
    struct cli_common co;
    const char *purpose = NULL, *algorithm = NULL;
    const struct cli_opt opts[] = {{.name = "purpose", .has_arg = true, .value = &purpose},
                                   {.name = "algorithm", .has_arg = true, .value = &algorithm}};
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 1, &n_pos, &rc) != 0) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) != 0) {
        return rc;
    }
    struct dstack_get_key_response *k = NULL;
    dstack_err err = dstack_get_key(c, n_pos ? pos[0] : "", purpose, algorithm, &k);
    rc = err == DSTACK_OK ? cli_print_json_text(k->json) : cli_fail(cmd->name, err);
    dstack_get_key_response_free(k);
    dstack_client_free(c);
    return rc;
}

int cmd_get_tls_key(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("get-tls-key");
    struct cli_common co;
    struct dstack_tls_key_options o;
    dstack_tls_key_options_init(&o);
    const char *subject = NULL, *nb = NULL, *na = NULL;
    bool ra = false, no_server = false, client_auth = false, app_info = false;
    const char *alt[64];
    size_t n_alt = 0;
    const struct cli_opt opts[] = {
        {.name = "subject", .has_arg = true, .value = &subject},
        {.name = "ra-tls", .flag = &ra},
        {.name = "no-server-auth", .flag = &no_server},
        {.name = "client-auth", .flag = &client_auth},
        {.name = "not-before", .has_arg = true, .value = &nb},
        {.name = "not-after", .has_arg = true, .value = &na},
        {.name = "with-app-info", .flag = &app_info},
        {.name = "alt-name", .has_arg = true, .list = alt, .list_len = &n_alt, .list_cap = 64},
    };
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, sizeof opts / sizeof opts[0], pos, 0, &n_pos, &rc) !=
        0) {
        return rc;
    }
    o.subject = subject;
    o.alt_names = alt;
    o.n_alt_names = n_alt;
    o.usage_ra_tls = ra;
    o.usage_server_auth = !no_server;
    o.usage_client_auth = client_auth;
    char *end = NULL;
    if (nb != NULL) {
        o.has_not_before = true;
        o.not_before = strtoull(nb, &end, 10);
        if (*nb == '\0' || *end != '\0') {
            return cli_error(cmd->name, CLI_EXIT_USAGE, "--not-before wants seconds");
        }
    }
    if (na != NULL) {
        o.has_not_after = true;
        o.not_after = strtoull(na, &end, 10);
        if (*na == '\0' || *end != '\0') {
            return cli_error(cmd->name, CLI_EXIT_USAGE, "--not-after wants seconds");
        }
    }
    if (app_info) {
        o.has_with_app_info = true;
        o.with_app_info = true;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) != 0) {
        return rc;
    }
    struct dstack_get_tls_key_response *k = NULL;
    dstack_err err = dstack_get_tls_key(c, &o, &k);
    rc = err == DSTACK_OK ? cli_print_json_text(k->json) : cli_fail(cmd->name, err);
    dstack_get_tls_key_response_free(k);
    dstack_client_free(c);
    return rc;
}

int cmd_sign(int argc, char **argv)
{
    struct cli_common co;
    char *pos[2];
    size_t n_pos = 0;
    int rc = 0;
    const struct cli_cmd *cmd =
        cli_start("sign", argc, argv, &co, pos, 2, &n_pos, 1, "ALGORITHM", &rc);
    if (cmd == NULL) {
        return rc;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if ((rc = cli_data(&co, n_pos > 1 ? pos[1] : NULL, true, &data, &len)) != 0) {
        return rc;
    }
    struct dstack_client *c = NULL;
    if ((rc = cli_client(&co, &c)) == 0) {
        struct dstack_sign_response *s = NULL;
        dstack_err err = dstack_sign(c, pos[0], data, len, &s);
        rc = err == DSTACK_OK ? cli_print_json_text(s->json) : cli_fail(cmd->name, err);
        dstack_sign_response_free(s);
        dstack_client_free(c);
    }
    free(data);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("verify");
    struct cli_common co;
    const char *sig_hex = NULL, *pub_hex = NULL;
    const struct cli_opt opts[] = {{.name = "signature", .has_arg = true, .value = &sig_hex},
                                   {.name = "public-key", .has_arg = true, .value = &pub_hex}};
    char *pos[2];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 2, &n_pos, &rc) != 0) {
        return rc;
    }
    if (n_pos < 1 || sig_hex == NULL || pub_hex == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE,
                         "needs ALGORITHM, --signature and --public-key (see --help)");
    }
    uint8_t *data = NULL, *sig = NULL, *pub = NULL;
    size_t len = 0, sig_len = 0, pub_len = 0;
    struct dstack_client *c = NULL;
    if ((rc = cli_hex_arg("--signature", sig_hex, &sig, &sig_len)) != 0 ||
        (rc = cli_hex_arg("--public-key", pub_hex, &pub, &pub_len)) != 0 ||
        (rc = cli_data(&co, n_pos > 1 ? pos[1] : NULL, true, &data, &len)) != 0 ||
        (rc = cli_client(&co, &c)) != 0) {
        goto out;
    }
    bool valid = false;
    dstack_err err = dstack_verify(c, pos[0], data, len, sig, sig_len, pub, pub_len, &valid);
    if (err != DSTACK_OK) {
        rc = cli_fail(cmd->name, err);
        goto out;
    }
    rc = cli_print_json(json_object_of_bool("valid", valid));
    if (rc == 0 && !valid) {
        rc = CLI_EXIT_NEGATIVE; /* like verify-quote and verify-ra-tls */
    }
out:
    dstack_client_free(c);
    free(data);
    free(sig);
    free(pub);
    return rc;
}
