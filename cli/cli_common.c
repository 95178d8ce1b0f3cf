/* Option parsing, input and output shared by every subcommand. */
#include "cli.h"

#include "util/hex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_INPUT (64u * 1024u * 1024u)

static const char common_help[] =
    "common options:\n"
    "  --endpoint E   socket path or http(s):// URL (default: $DSTACK_SIMULATOR_ENDPOINT,\n"
    "                 then /var/run/dstack.sock, /run/dstack.sock, /var/run/dstack/dstack.sock,\n"
    "                 /run/dstack/dstack.sock)\n"
    "  --timeout MS   request timeout in milliseconds (default 3000)\n"
    "  --help         this text\n";

int cli_error(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dstack %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_fail(const char *cmd, dstack_err err)
{
    const char *msg = dstack_last_error();
    return cli_error(cmd, CLI_EXIT_FAIL, "%s", msg[0] ? msg : dstack_err_str(err));
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

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_common *common,
              const struct cli_opt *opts, size_t n_opts, char **pos, size_t max_pos, size_t *n_pos,
              int *exit_code)
{
    memset(common, 0, sizeof *common);
    *n_pos = 0;
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
            if (*n_pos >= max_pos) {
                *exit_code = cli_error(cmd->name, CLI_EXIT_USAGE, "unexpected argument '%s'", a);
                return -1;
            }
            pos[(*n_pos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: dstack %s %s\n\n%s\n\n%s", cmd->name, cmd->usage, cmd->summary,
                   common_help);
            *exit_code = 0;
            return -1;
        }
        /* --name=value or --name value */
        char name[64];
        const char *inline_val = strchr(a, '=');
        size_t nl = inline_val ? (size_t)(inline_val - a) : strlen(a);
        if (nl < 3 || nl >= sizeof name || a[1] != '-') {
            *exit_code =
                cli_error(cmd->name, CLI_EXIT_USAGE, "unknown option '%s' (see --help)", a);
            return -1;
        }
        memcpy(name, a + 2, nl - 2);
        name[nl - 2] = '\0';
        const char *val = inline_val ? inline_val + 1 : NULL;
        bool is_flag = strcmp(name, "hex") == 0;
        const struct cli_opt *o = NULL;
        for (size_t k = 0; k < n_opts; k++) {
            if (strcmp(opts[k].name, name) == 0) {
                o = &opts[k];
                is_flag = !o->has_arg;
            }
        }
        bool known = o != NULL || strcmp(name, "endpoint") == 0 || strcmp(name, "timeout") == 0 ||
                     strcmp(name, "hex") == 0 || strcmp(name, "file") == 0;
        if (!known) {
            *exit_code =
                cli_error(cmd->name, CLI_EXIT_USAGE, "unknown option '--%s' (see --help)", name);
            return -1;
        }
        if (is_flag) {
            if (val != NULL) {
                *exit_code = cli_error(cmd->name, CLI_EXIT_USAGE, "--%s takes no value", name);
                return -1;
            }
        } else if (val == NULL) {
            if (i + 1 >= argc) {
                *exit_code = cli_error(cmd->name, CLI_EXIT_USAGE, "--%s needs a value", name);
                return -1;
            }
            val = argv[++i];
        }
        if (o != NULL && o->list != NULL) {
            if (*o->list_len >= o->list_cap) {
                *exit_code = cli_error(cmd->name, CLI_EXIT_USAGE, "too many --%s", name);
                return -1;
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
                *exit_code = cli_error(cmd->name, CLI_EXIT_USAGE,
                                       "--timeout wants milliseconds (1..3600000), got '%s'", val);
                return -1;
            }
            common->timeout_ms = (unsigned)t;
        }
    }
    return 0;
}

int cli_client(const struct cli_common *common, struct dstack_client **out)
{
    struct dstack_client_options o = {.timeout_ms = common->timeout_ms};
    dstack_err err = dstack_client_new(common->endpoint, &o, out);
    return err == DSTACK_OK ? 0 : cli_fail("client", err);
}

int cli_read_file(const char *path, char **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        return cli_error("input", CLI_EXIT_FAIL, "%s: %s", path, strerror(errno));
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
                return cli_error("input", CLI_EXIT_FAIL, "%s: larger than %u bytes", path,
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
        return cli_error("input", CLI_EXIT_FAIL, "%s: read error", path);
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
            return cli_error("data", CLI_EXIT_USAGE, "give the data either as argument or --file");
        }
        int rc = cli_read_file(common->file, &text, &tlen);
        if (rc != 0) {
            return rc;
        }
    } else if (pos != NULL) {
        tlen = strlen(pos);
        text = malloc(tlen + 1);
        if (text == NULL) {
            return cli_error("data", CLI_EXIT_FAIL, "out of memory");
        }
        memcpy(text, pos, tlen + 1);
    } else if (required) {
        return cli_error("data", CLI_EXIT_USAGE, "missing data (argument or --file; see --help)");
    } else {
        text = calloc(1, 1);
        if (text == NULL) {
            return cli_error("data", CLI_EXIT_FAIL, "out of memory");
        }
    }
    if (common->hex) {
        if (memchr(text, '\0', tlen) != NULL) {
            free(text);
            return cli_error("data", CLI_EXIT_USAGE, "invalid hex");
        }
        int rc = cli_hex_arg("data", text, out, len);
        free(text);
        return rc;
    }
    *out = (uint8_t *)text;
    *len = tlen;
    return 0;
}

int cli_print_json(json_t *v)
{
    if (v == NULL) {
        return cli_error("output", CLI_EXIT_FAIL, "out of memory");
    }
    int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    fputc('\n', stdout);
    return rc == 0 ? 0 : CLI_EXIT_FAIL;
}

int cli_print_json_text(const char *json)
{
    json_error_t jerr;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
    if (v == NULL) { /* not JSON: print as received */
        fputs(json, stdout);
        fputc('\n', stdout);
        return 0;
    }
    return cli_print_json(v);
}
