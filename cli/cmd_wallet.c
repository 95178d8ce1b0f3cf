/* eth-address and solana-pubkey: wallets from a key (docs/sdk.md).
 * The key comes from --key HEX, --key-file F (hex; "-" = stdin, keeps it out of argv), GetKey
 * PATH through the agent, or --tls-key F (a GetTlsKey/DeriveKey JSON answer or a PEM; the
 * discouraged TLS variants, the legacy one unless --secure). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/secret.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* the legacy TLS helpers on purpose */

struct key_source {
    const char *key_hex, *key_file, *purpose, *tls_key;
    bool secure;
};

/* The deprecation notes of the TLS variants go to stderr, never into the JSON on stdout. */
static void log_stderr(enum dstack_log_level level, const char *msg, void *user)
{
    const char *cmd = user;
    fprintf(stderr, "dstack %s: %s%s\n", cmd, level == DSTACK_LOG_WARN ? "warning: " : "", msg);
}

static int key_from_hex(const char *cmd, const char *hex, size_t len, struct secret32 *key)
{
    while (len > 0 && (hex[len - 1] == '\n' || hex[len - 1] == '\r' || hex[len - 1] == ' ')) {
        len--;
    }
    size_t n = 0;
    if (hex_decode(hex, len, key->b, sizeof key->b, &n) != DSTACK_OK || n != sizeof key->b) {
        secret_wipe(key, sizeof *key);
        return cli_error(cmd, CLI_EXIT_USAGE, "the key must be 32 bytes of hex");
    }
    return 0;
}

/* Fills *key from --key, --key-file or GetKey(PATH). */
static int plain_key(const char *cmd, const struct cli_common *co, const struct key_source *src,
                     const char *path, struct secret32 *key)
{
    if (src->key_hex != NULL) {
        return key_from_hex(cmd, src->key_hex, strlen(src->key_hex), key);
    }
    if (src->key_file != NULL) {
        char *text = NULL;
        size_t len = 0;
        int rc = cli_read_file(src->key_file, &text, &len);
        if (rc == 0) {
            rc = key_from_hex(cmd, text, len, key);
            secret_wipe(text, len);
            free(text);
        }
        return rc;
    }
    struct dstack_client *c = NULL;
    int rc = cli_client(co, &c);
    if (rc != 0) {
        return rc;
    }
    struct dstack_get_key_response *k = NULL;
    dstack_err err = dstack_get_key(c, path, src->purpose, NULL, &k);
    if (err != DSTACK_OK) {
        rc = cli_fail(cmd, err);
    } else if (k->key_len != sizeof key->b) {
        rc = cli_error(cmd, CLI_EXIT_FAIL, "agent returned a %zu-byte key", k->key_len);
    } else {
        memcpy(key->b, k->key, sizeof key->b);
    }
    dstack_get_key_response_free(k);
    dstack_client_free(c);
    return rc;
}

/* Reads --tls-key: a JSON answer with "key", or the PEM itself. *pem is malloc'd. */
static int read_tls_pem(const char *cmd, const char *path, char **pem)
{
    char *text = NULL;
    size_t len = 0;
    int rc = cli_read_file(path, &text, &len);
    if (rc != 0) {
        return rc;
    }
    struct json_error jerr;
    cJSON *j = json_parse(text, len, 0, &jerr);
    if (j != NULL) {
        const cJSON *k = json_get(j, "key");
        if (!cJSON_IsString(k)) {
            rc = cli_error(cmd, CLI_EXIT_USAGE, "%s: JSON without a \"key\" string", path);
        } else if ((*pem = strdup(json_str(k))) == NULL) {
            rc = cli_error(cmd, CLI_EXIT_FAIL, "out of memory");
        }
        if (cJSON_IsString(k)) { /* the tree's copy of the key */
            secret_wipe(k->valuestring, json_str_len(k));
        }
        json_free(j);
        secret_wipe(text, len);
        free(text);
    } else {
        *pem = text;
    }
    return rc;
}

static void free_pem(char *pem)
{
    if (pem != NULL) {
        secret_wipe(pem, strlen(pem));
        free(pem);
    }
}

/* Checks that exactly one key source was given. */
static int check_sources(const char *cmd, const struct key_source *src, size_t n_pos)
{
    int given =
        (src->key_hex != NULL) + (src->key_file != NULL) + (src->tls_key != NULL) + (n_pos > 0);
    if (given != 1) {
        return cli_error(cmd, CLI_EXIT_USAGE,
                         "give one of --key HEX, --key-file F, --tls-key F or a PATH");
    }
    if (src->secure && src->tls_key == NULL) {
        return cli_error(cmd, CLI_EXIT_USAGE,
                         "--secure only changes --tls-key (GetKey keys are used as they are)");
    }
    return 0;
}

int cmd_eth_address(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("eth-address");
    struct cli_common co;
    struct key_source src = {0};
    const struct cli_opt opts[] = {
        {.name = "key", .has_arg = true, .value = &src.key_hex},
        {.name = "key-file", .has_arg = true, .value = &src.key_file},
        {.name = "purpose", .has_arg = true, .value = &src.purpose},
        {.name = "tls-key", .has_arg = true, .value = &src.tls_key},
        {.name = "secure", .flag = &src.secure},
    };
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &rc) !=
        0) {
        return rc;
    }
    if ((rc = check_sources(cmd->name, &src, n_pos)) != 0) {
        return rc;
    }
    char addr[DSTACK_ETH_ADDRESS_LEN + 1];
    dstack_err err;
    if (src.tls_key != NULL) {
        char *pem = NULL;
        if ((rc = read_tls_pem(cmd->name, src.tls_key, &pem)) != 0) {
            return rc;
        }
        struct dstack_get_tls_key_response t = {.key = pem};
        void *u = (void *)cmd->name;
        err = src.secure ? dstack_eth_address_from_tls_key_secure(&t, log_stderr, u, addr)
                         : dstack_eth_address_from_tls_key(&t, log_stderr, u, addr);
        free_pem(pem);
    } else {
        struct secret32 key = {0};
        if ((rc = plain_key(cmd->name, &co, &src, n_pos ? pos[0] : NULL, &key)) != 0) {
            return rc;
        }
        err = dstack_eth_address(key.b, addr);
        secret_wipe(&key, sizeof key);
    }
    if (err != DSTACK_OK) {
        return cli_fail(cmd->name, err);
    }
    return cli_print_json(json_object_of_strings("address", addr, NULL));
}

int cmd_solana_pubkey(int argc, char **argv)
{
    const struct cli_cmd *cmd = cli_find("solana-pubkey");
    struct cli_common co;
    struct key_source src = {0};
    bool show_secret = false;
    const struct cli_opt opts[] = {
        {.name = "key", .has_arg = true, .value = &src.key_hex},
        {.name = "key-file", .has_arg = true, .value = &src.key_file},
        {.name = "purpose", .has_arg = true, .value = &src.purpose},
        {.name = "tls-key", .has_arg = true, .value = &src.tls_key},
        {.name = "secure", .flag = &src.secure},
        {.name = "secret", .flag = &show_secret},
    };
    char *pos[1];
    size_t n_pos = 0;
    int rc = 0;
    if (cli_parse(cmd, argc, argv, &co, opts, sizeof opts / sizeof opts[0], pos, 1, &n_pos, &rc) !=
        0) {
        return rc;
    }
    if ((rc = check_sources(cmd->name, &src, n_pos)) != 0) {
        return rc;
    }
    struct dstack_solana_keypair kp;
    dstack_err err;
    if (src.tls_key != NULL) {
        char *pem = NULL;
        if ((rc = read_tls_pem(cmd->name, src.tls_key, &pem)) != 0) {
            return rc;
        }
        struct dstack_get_tls_key_response t = {.key = pem};
        void *u = (void *)cmd->name;
        err = src.secure ? dstack_solana_keypair_from_tls_key_secure(&t, log_stderr, u, &kp)
                         : dstack_solana_keypair_from_tls_key(&t, log_stderr, u, &kp);
        free_pem(pem);
    } else {
        struct secret32 key = {0};
        if ((rc = plain_key(cmd->name, &co, &src, n_pos ? pos[0] : NULL, &key)) != 0) {
            return rc;
        }
        err = dstack_solana_keypair(key.b, &kp);
        secret_wipe(&key, sizeof key);
    }
    if (err != DSTACK_OK) {
        return cli_fail(cmd->name, err);
    }
    char pub_hex[2 * DSTACK_SOLANA_PUBKEY_LEN + 1];
    hex_encode(kp.public_key, sizeof kp.public_key, pub_hex);
    cJSON *out =
        json_object_of_strings("public_key", kp.public_key_base58, "public_key_hex", pub_hex, NULL);
    if (out != NULL && show_secret) {
        char sk_hex[2 * DSTACK_SOLANA_SECRET_KEY_LEN + 1];
        hex_encode(kp.secret_key, sizeof kp.secret_key, sk_hex);
        json_set(out, "secret_key", cJSON_CreateString(sk_hex));
        secret_wipe(sk_hex, sizeof sk_hex);
    }
    dstack_solana_keypair_wipe(&kp);
    return cli_print_json(out);
}
