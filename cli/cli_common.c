/* Option parsing, input and output shared by every subcommand. */
#include "cli.h"

#include "util/hex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_MAX_INPUT (64u * 1024u * 1024u)

static const char *current = NULL; /* the subcommand running */

const char *cli_command(void)
{
    return current;
}

/* The common options a command takes, for its --help. */
static void print_common_help(unsigned takes)
{
    if (takes == 0) {
        printf("Needs no agent.\n\noptions:\n  --help         this text\n");
        return;
    }
    printf("common options:\n");
    if (takes & CLI_AGENT) {
        printf("  --endpoint E   socket path or http(s):// URL (default: "
               "$DSTACK_SIMULATOR_ENDPOINT,\n"
               "                 then /var/run/dstack.sock, /run/dstack.sock,\n"
               "                 /var/run/dstack/dstack.sock, /run/dstack/dstack.sock)\n"
               "  --timeout MS   request timeout in milliseconds (default 3000)\n");
    }
    if (takes & CLI_FILE) {
        printf("  --file F       read the input from file F (- = standard input)\n");
    }
    if (takes & CLI_HEX) {
        printf("  --hex          the input (argument or file) is hexadecimal text\n");
    }
    printf("  --help         this text\n");
}

int cli_error(const char *what, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dstack%s%s: ", current ? " " : "", current ? current : "");
    if (what != NULL && what[0] == '-') { /* the option the message is about */
        fprintf(stderr, "%s: ", what);
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_fail(const char *cmd, dstack_err err)
{
    const char *msg = dstack_last_error();
    bool usage = err == DSTACK_EINVAL || err == DSTACK_EFORMAT; /* arguments or input */
    /* DSTACK_EVERIFY: a check said no (no signer recovers, wrong key or tampered data) */
    int code = err == DSTACK_EVERIFY ? CLI_EXIT_NEGATIVE : usage ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    return cli_error(cmd, code, "%s", msg[0] ? msg : dstack_err_str(err));
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static void print_help(const struct cli_cmd *cmd)
{
    printf("usage: dstack %s %s\n\n%s\n\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->options != NULL && cmd->options[0] != '\0') {
        printf("%s\n", cmd->options);
    }
    print_common_help(cmd->takes);
}

/* Which option --name is for cmd: one of its own (*o) or a common one it takes. Returns 0, or
 * the usage error's exit code. *is_flag says whether it takes no value. */
static int lookup_option(const struct cli_cmd *cmd, const struct cli_opt *opts, size_t n_opts,
                         const char *name, const struct cli_opt **o, bool *is_flag)
{
    *o = NULL;
    *is_flag = strcmp(name, "hex") == 0 && (cmd->takes & CLI_HEX);
    for (size_t k = 0; k < n_opts; k++) {
        if (strcmp(opts[k].name, name) == 0) {
            *o = &opts[k];
            *is_flag = !opts[k].has_arg;
        }
    }
    bool agent_opt = strcmp(name, "endpoint") == 0 || strcmp(name, "timeout") == 0;
    bool known = *o != NULL || (agent_opt && (cmd->takes & CLI_AGENT)) ||
                 (strcmp(name, "hex") == 0 && (cmd->takes & CLI_HEX)) ||
                 (strcmp(name, "file") == 0 && (cmd->takes & CLI_FILE));
    if (!known && agent_opt) {
        return cli_error(cmd->name, CLI_EXIT_USAGE,
                         "--%s does not apply: %s never contacts the agent", name, cmd->name);
    }
    if (!known) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "unknown option '--%s' (see --help)", name);
    }
    return 0;
}

/* Stores the value of --name (o: the command's own option, or NULL for a common one).
 * Returns 0, or the usage error's exit code. */
static int store_option(const struct cli_cmd *cmd, struct cli_common *common,
                        const struct cli_opt *o, const char *name, const char *val)
{
    if (o != NULL && o->list != NULL) {
        if (*o->list_len >= o->list_cap) {
            return cli_error(cmd->name, CLI_EXIT_USAGE, "too many --%s", name);
        }
        o->list[(*o->list_len)++] = val;
    } else if (o != NULL) {
        if (o->has_arg) {
            *o->value = val;
        } else {
            *o->flag = true;
        }
    } else if (strcmp(name, "endpoint") == 0) {
        common->endpoint = val;
    } else if (strcmp(name, "file") == 0) {
        common->file = val;
    } else if (strcmp(name, "hex") == 0) {
        common->hex = true;
    } else {
        unsigned long long t = 0;
        if (!parse_uint(val, 3600000, &t) || t == 0) {
            return cli_error(cmd->name, CLI_EXIT_USAGE,
                             "--timeout wants milliseconds (1..3600000), got '%s'", val);
        }
        common->timeout_ms = (unsigned)t;
    }
    return 0;
}

/* One "--name=value", "--name value" or "--flag" at argv[*i] (*i moves past a separate value).
 * Returns 0, or the usage error's exit code. */
static int parse_option(const struct cli_cmd *cmd, int argc, char **argv, int *i,
                        struct cli_common *common, const struct cli_opt *opts, size_t n_opts)
{
    const char *a = argv[*i];
    char name[64];
    const char *inline_val = strchr(a, '=');
    size_t nl = inline_val ? (size_t)(inline_val - a) : strlen(a);
    if (nl < 3 || nl >= sizeof name || a[1] != '-') {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "unknown option '%s' (see --help)", a);
    }
    memcpy(name, a + 2, nl - 2);
    name[nl - 2] = '\0';
    const char *val = inline_val ? inline_val + 1 : NULL;
    const struct cli_opt *o = NULL;
    bool is_flag = false;
    int rc = lookup_option(cmd, opts, n_opts, name, &o, &is_flag);
    if (rc != 0) {
        return rc;
    }
    if (is_flag && val != NULL) {
        return cli_error(cmd->name, CLI_EXIT_USAGE, "--%s takes no value", name);
    }
    if (!is_flag && val == NULL) {
        if (*i + 1 >= argc) {
            return cli_error(cmd->name, CLI_EXIT_USAGE, "--%s needs a value", name);
        }
        val = argv[++*i];
    }
    return store_option(cmd, common, o, name, val);
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_common *common,
              const struct cli_opt *opts, size_t n_opts, char **pos, size_t max_pos, size_t *n_pos,
              int *exit_code)
{
    memset(common, 0, sizeof *common);
    *n_pos = 0;
    current = cmd->name;
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
            if (*n_pos >= max_pos) {
                *exit_code = cli_error(cmd->name, CLI_EXIT_USAGE, "unexpected argument '%s'", a);
                return -1;
            }
            pos[(*n_pos)++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_pos = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(cmd);
            *exit_code = 0;
            return -1;
        } else if ((*exit_code = parse_option(cmd, argc, argv, &i, common, opts, n_opts)) != 0) {
            return -1;
        }
    }
    return 0;
}

const struct cli_cmd *cli_start(const char *name, int argc, char **argv, struct cli_common *co,
                                char **pos, size_t max_pos, size_t *n_pos, size_t min_pos,
                                const char *what, int *rc)
{
    const struct cli_cmd *cmd = cli_find(name);
    *rc = 0;
    if (cli_parse(cmd, argc, argv, co, NULL, 0, pos, max_pos, n_pos, rc) != 0) {
        return NULL;
    }
    if (*n_pos < min_pos) {
        *rc = cli_error(cmd->name, CLI_EXIT_USAGE, "missing %s (see --help)", what);
        return NULL;
    }
    return cmd;
}

int cli_client(const struct cli_common *common, struct dstack_client **out)
{
    struct dstack_client_options o = {.timeout_ms = common->timeout_ms};
    dstack_err err = dstack_client_new(common->endpoint, &o, out);
    return err == DSTACK_OK ? 0 : cli_fail(current, err);
}

int cli_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        return cli_error(NULL, CLI_EXIT_FAIL, "%s: %s", path, strerror(errno));
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        if (n == cap) {
            if (cap >= CLI_MAX_INPUT) {
                free(buf);
                buf = NULL;
                if (f != stdin) {
                    fclose(f);
                }
                return cli_error(NULL, CLI_EXIT_FAIL, "%s: larger than %u bytes", path,
                                 CLI_MAX_INPUT);
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            break;
        }
    }
    bool failed = buf == NULL || ferror(f);
    if (f != stdin) {
        fclose(f);
    }
    if (failed) {
        free(buf);
        return cli_error(NULL, CLI_EXIT_FAIL, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int cli_hex_arg(const char *what, const char *hex, uint8_t **out, size_t *len)
{
    /* hex from files and pipes may end with a newline */
    size_t n = strlen(hex);
    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' ')) {
        n--;
    }
    uint8_t *buf = NULL;
    size_t blen = 0;
    if (hex_decode_alloc(hex, n, &buf, &blen) != DSTACK_OK) {
        return cli_error(what, CLI_EXIT_USAGE, "invalid hex");
    }
    if (buf == NULL) {
        buf = malloc(1);
        if (buf == NULL) {
            return cli_error(what, CLI_EXIT_FAIL, "out of memory");
        }
    }
    *out = buf;
    *len = blen;
    return 0;
}

int cli_data(const struct cli_common *common, const char *pos, bool required, uint8_t **out,
             size_t *len)
{
    char *text = NULL;
    size_t tlen = 0;
    if (common->file != NULL) {
        if (pos != NULL) {
            return cli_error(NULL, CLI_EXIT_USAGE, "give the data either as argument or --file");
        }
        int rc = cli_read_file(common->file, &text, &tlen);
        if (rc != 0) {
            return rc;
        }
    } else if (pos != NULL) {
        tlen = strlen(pos);
        text = malloc(tlen + 1);
        if (text == NULL) {
            return cli_error(NULL, CLI_EXIT_FAIL, "out of memory");
        }
        memcpy(text, pos, tlen + 1);
    } else if (required) {
        return cli_error(NULL, CLI_EXIT_USAGE, "missing data (argument or --file; see --help)");
    } else {
        text = calloc(1, 1);
        if (text == NULL) {
            return cli_error(NULL, CLI_EXIT_FAIL, "out of memory");
        }
    }
    if (common->hex) {
        if (memchr(text, '\0', tlen) != NULL) {
            free(text);
            return cli_error(NULL, CLI_EXIT_USAGE, "invalid hex");
        }
        int rc = cli_hex_arg("data", text, out, len);
        free(text);
        return rc;
    }
    *out = (uint8_t *)text;
    *len = tlen;
    return 0;
}

int cli_print_json(cJSON *v)
{
    if (v == NULL) {
        return cli_error(NULL, CLI_EXIT_FAIL, "out of memory");
    }
    size_t len = 0;
    char *text = json_dump(v, 2, &len);
    json_free(v);
    int rc = text != NULL && fwrite(text, 1, len, stdout) == len ? 0 : CLI_EXIT_FAIL;
    free(text);
    fputc('\n', stdout);
    return rc;
}

int cli_print_json_text(const char *json)
{
    struct json_error jerr;
    cJSON *v = json_parse(json, strlen(json), 0, &jerr);
    if (v == NULL) { /* not JSON: print as received */
        fputs(json, stdout);
        fputc('\n', stdout);
        return 0;
    }
    return cli_print_json(v);
}

/* Hex text: hex digits only, an even count, optional white space at the end. */
static bool is_hex_text(const char *text, size_t len)
{
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL && text[len - 1] != '\0') {
        len--;
    }
    if (len == 0 || len % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

/* A GetQuote/TdxQuote answer: its "quote" (hex) and "event_log". */
static int quote_from_answer(const char *text, size_t len, uint8_t **q, size_t *qlen,
                             char **log_json)
{
    struct json_error jerr;
    cJSON *doc = json_parse(text, len, 0, &jerr); /* serde's rules: a repeated field refused */
    const char *qh = json_str(json_get(doc, "quote"));
    const char *ev = json_str(json_get(doc, "event_log"));
    int rc;
    if (doc == NULL) {
        rc = cli_error(NULL, CLI_EXIT_USAGE, "the JSON input is not valid: %s at line %d column %d",
                       jerr.text, jerr.line, jerr.column);
    } else if (qh == NULL) {
        rc = cli_error(NULL, CLI_EXIT_USAGE,
                       "the JSON input has no \"quote\" string (a GetQuote answer has one)");
    } else {
        rc = cli_hex_arg("quote", qh, q, qlen);
        if (rc == 0 && log_json != NULL && ev != NULL && ev[0] != '\0' &&
            (*log_json = strdup(ev)) == NULL) {
            free(*q);
            *q = NULL;
            rc = cli_error(NULL, CLI_EXIT_FAIL, "out of memory");
        }
    }
    json_free(doc);
    return rc;
}

int cli_quote_input(const struct cli_common *co, const char *pos, uint8_t **q, size_t *qlen,
                    char **log_json)
{
    char *text = NULL;
    size_t len = 0;
    int rc;
    if (log_json != NULL) {
        *log_json = NULL;
    }
    if (pos != NULL && co->file != NULL) {
        return cli_error(NULL, CLI_EXIT_USAGE, "give the quote either as argument or --file");
    }
    /* On the command line a quote is hex, or the name of a file holding one. */
    const char *path = co->file;
    if (pos != NULL && access(pos, R_OK) != 0) {
        return cli_hex_arg(NULL, pos, q, qlen);
    }
    if (pos != NULL) {
        path = pos;
    }
    if (path == NULL) {
        return cli_error(NULL, CLI_EXIT_USAGE, "missing quote (HEX or --file F; see --help)");
    }
    if ((rc = cli_read_file(path, &text, &len)) != 0) {
        return rc;
    }
    size_t skip = strspn(text, " \t\r\n");
    if (skip < len && text[skip] == '{') {
        rc = quote_from_answer(text, len, q, qlen, log_json);
    } else if (co->hex || (memchr(text, '\0', len) == NULL && is_hex_text(text, len))) {
        rc = memchr(text, '\0', len) ? cli_error("--hex", CLI_EXIT_USAGE, "invalid hex")
                                     : cli_hex_arg(NULL, text, q, qlen);
    } else {
        *q = (uint8_t *)text; /* raw quote bytes */
        *qlen = len;
        return 0;
    }
    free(text);
    return rc;
}
