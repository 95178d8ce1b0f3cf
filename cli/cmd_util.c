/* compose-hash, encrypt-env, decrypt-env, verify-env-pubkey: deployment utilities that need no
 * agent. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hex.h"
#include "util/secret.h"

int cmd_compose_hash(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("compose-hash");
    struct cli_common co;
    bool normalize = false, canonical = false;
    const struct cli_opt opts[] = {{.name = "normalize", .flag = &normalize},
                                   {.name = "canonical", .flag = &canonical}};
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 1, &n_pos, &rc) != 0) {
        return rc;
    }
    const char *path = n_pos ? pos[0] : co.file;
    if (path == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "missing FILE (- for stdin)");
    }
    char *text = NULL;
    size_t len = 0;
    if ((rc = cli_read_file(path, &text, &len)) != 0) {
        return rc;
    }
    char hex[DSTACK_COMPOSE_HASH_HEX_LEN + 1];
    char *canon = NULL;
    dstack_err err = dstack_compose_hash(text, len, normalize, hex);
    if (err == DSTACK_OK && canonical) {
        err = dstack_compose_canonical_json(text, len, normalize, &canon);
    }
    free(text);
    if (err != DSTACK_OK) {
        return cli_fail(cmd->name, err);
    }
    cJSON *out = json_object_of_strings("compose_hash", hex, NULL);
    if (canon != NULL) {
        json_set(out, "canonical_json", cJSON_CreateString(canon));
        free(canon);
    }
    return cli_print_json(out);
}

int cmd_encrypt_env(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("encrypt-env");
    struct cli_common co;
    const char *pub = NULL, *env_file = NULL;
    const struct cli_opt opts[] = {{.name = "public-key", .has_arg = true, .value = &pub},
                                   {.name = "env-file", .has_arg = true, .value = &env_file}};
    char *pos[1024];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 1024, &n_pos, &rc) != 0) {
        return rc;
    }
    if (pub == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "missing --public-key (see --help)");
    }
    char *file = NULL;
    size_t flen = 0;
    if (env_file != NULL && (rc = cli_read_file(env_file, &file, &flen)) != 0) {
        return rc;
    }
    struct dstack_env_var *vars = calloc(n_pos + flen / 2 + 1, sizeof *vars);
    size_t n = 0;
    if (vars == NULL) {
        free(file);
        return cli_error(cmd->name, CLI_EXIT_FAIL, "out of memory");
    }
    /* KEY=VALUE arguments, then the lines of --env-file (blank lines and # comments skipped) */
    for (size_t i = 0; i < n_pos; i++) {
        char *eq = strchr(pos[i], '=');
        if (eq == NULL || eq == pos[i]) {
            free(vars);
            free(file);
            return cli_error(cmd->name, CLI_EXIT_USAGE, "'%s' is not KEY=VALUE", pos[i]);
        }
        *eq = '\0';
        vars[n++] = (struct dstack_env_var){pos[i], eq + 1};
    }
    for (char *line = file, *next = NULL; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        size_t ll = strlen(line);
        if (ll > 0 && line[ll - 1] == '\r') {
            line[--ll] = '\0';
        }
        if (ll == 0 || line[0] == '#') {
            continue;
        }
        char *eq = strchr(line, '=');
        if (eq == NULL || eq == line) {
            rc = cli_error(cmd->name, CLI_EXIT_USAGE, "%s: '%s' is not KEY=VALUE", env_file, line);
            free(vars);
            free(file);
            return rc;
        }
        *eq = '\0';
        vars[n++] = (struct dstack_env_var){line, eq + 1};
    }
    char *hex = NULL;
    dstack_err err = dstack_encrypt_env_vars(vars, n, pub, &hex);
    free(vars);
    free(file);
    if (err != DSTACK_OK) {
        return cli_fail(cmd->name, err);
    }
    cJSON *out = json_object_of_strings("encrypted_env", hex, NULL);
    if (!json_set(out, "count", json_int_new((int64_t)n))) {
        out = NULL;
    }
    rc = cli_print_json(out);
    free(hex);
    return rc;
}

int cmd_verify_env_pubkey(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("verify-env-pubkey");
    struct cli_common co;
    const char *pub_hex = NULL, *sig_hex = NULL, *app_id = NULL, *ts = NULL, *max_age = NULL;
    const struct cli_opt opts[] = {{.name = "public-key", .has_arg = true, .value = &pub_hex},
                                   {.name = "signature", .has_arg = true, .value = &sig_hex},
                                   {.name = "app-id", .has_arg = true, .value = &app_id},
                                   {.name = "timestamp", .has_arg = true, .value = &ts},
                                   {.name = "max-age", .has_arg = true, .value = &max_age}};
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 5, NULL, 0, &n_pos, &rc) != 0) {
        return rc;
    }
    if (pub_hex == NULL || sig_hex == NULL || app_id == NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE,
                         "needs --public-key, --signature and --app-id (see --help)");
    }
    uint8_t *pub = NULL, *sig = NULL;
    size_t pub_len = 0, sig_len = 0;
    if ((rc = cli_hex_arg("--public-key", pub_hex, &pub, &pub_len)) != 0) {
        return rc;
    }
    if ((rc = cli_hex_arg("--signature", sig_hex, &sig, &sig_len)) != 0) {
        free(pub);
        return rc;
    }
    char signer[DSTACK_SIGNER_HEX_LEN + 1];
    dstack_err err;
    char *end = NULL;
    if (ts != NULL) {
        uint64_t t = strtoull(ts, &end, 10);
        uint64_t age = max_age ? strtoull(max_age, &end, 10) : 0;
        err = dstack_verify_env_encrypt_public_key(pub, pub_len, sig, sig_len, app_id, t, age,
                                                   (int64_t)time(NULL), signer);
    } else {
        fprintf(stderr,
                "dstack %s: warning: no --timestamp, checking the deprecated legacy "
                "signature\n",
                cmd->name);
        err =
            dstack_verify_env_encrypt_public_key_legacy(pub, pub_len, sig, sig_len, app_id, signer);
    }
    free(pub);
    free(sig);
    if (err != DSTACK_OK && err != DSTACK_ENOMEM) {
        /* no signer recovers from what was given (the SDKs answer null): a negative answer */
        const char *msg = dstack_last_error();
        return cli_error(cmd->name, CLI_EXIT_NEGATIVE, "no signer: %s",
                         msg[0] ? msg : dstack_err_str(err));
    }
    if (err != DSTACK_OK) {
        return cli_fail(cmd->name, err);
    }
    return cli_print_json(json_object_of_strings("signer", signer, NULL));
}

int cmd_decrypt_env(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("decrypt-env");
    struct cli_common co;
    const char *sk_hex = NULL, *sk_file = NULL;
    const struct cli_opt opts[] = {{.name = "secret-key", .has_arg = true, .value = &sk_hex},
                                   {.name = "secret-key-file", .has_arg = true, .value = &sk_file}};
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, 2, pos, 1, &n_pos, &rc) != 0) {
        return rc;
    }
    if ((sk_hex == NULL) == (sk_file == NULL)) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "give one of --secret-key, --secret-key-file");
    }
    char *sk_text = NULL;
    size_t sk_len = 0;
    if (sk_file != NULL && (rc = cli_read_file(sk_file, &sk_text, &sk_len)) != 0) {
        return rc;
    }
    uint8_t sk[DSTACK_X25519_KEY_LEN];
    const char *h = sk_file != NULL ? sk_text : sk_hex;
    size_t hl = sk_file != NULL ? sk_len : strlen(sk_hex);
    while (hl > 0 && (h[hl - 1] == '\n' || h[hl - 1] == '\r' || h[hl - 1] == ' ')) {
        hl--;
    }
    if (hl >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) {
        h += 2;
        hl -= 2;
    }
    size_t n = 0;
    bool key_ok = hex_decode(h, hl, sk, sizeof sk, &n) == DSTACK_OK && n == sizeof sk;
    if (sk_text != NULL) {
        secret_wipe(sk_text, sk_len);
        free(sk_text);
    }
    if (!key_ok) {
        secret_wipe(sk, sizeof sk);
        return cli_error(cmd->name, CLI_EXIT_USAGE, "the secret key must be 32 bytes of hex");
    }
    /* The SDKs' output is hex: the argument and --file are hex unless --file holds raw bytes
     * (the .encrypted-env file), which is read as is without --hex. */
    uint8_t *data = NULL;
    size_t len = 0;
    if (co.file == NULL) {
        co.hex = true;
    }
    if ((rc = cli_data(&co, n_pos ? pos[0] : NULL, true, &data, &len)) != 0) {
        secret_wipe(sk, sizeof sk);
        return rc;
    }
    char *plain = NULL;
    size_t plain_len = 0;
    dstack_err err = dstack_decrypt_env_vars(data, len, sk, &plain, &plain_len);
    secret_wipe(sk, sizeof sk);
    free(data);
    if (err != DSTACK_OK) {
        return cli_fail(cmd->name, err);
    }
    cJSON *out = cJSON_CreateObject();
    json_set(out, "plaintext", json_string_len(plain, plain_len));
    secret_wipe(plain, plain_len);
    free(plain);
    return cli_print_json(out);
}
