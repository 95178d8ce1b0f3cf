/* Shared parts of the dstack command: the subcommand table entry, option parsing, input and
 * output helpers. Output is JSON on stdout; errors go to stderr as "dstack <command>: <message>".
 * Exit status (dstack(1), EXIT STATUS): 0 ok, 1 a negative answer (an invalid signature, quote
 * or certificate; an unreachable agent for is-reachable), 2 usage (options, arguments, input
 * that is not what the command reads), 3 an agent or I/O error. */
#ifndef DSTACK_CLI_H
#define DSTACK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "json/json.h"

#include <dstack/client.h>
#include <dstack/helpers.h>

#define CLI_EXIT_NEGATIVE 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_FAIL 3 /* the agent answered an error or could not be reached; I/O */

/* Which common options a subcommand takes (its --help lists only those). */
enum {
    CLI_AGENT = 1u << 0, /* --endpoint, --timeout: it talks to the agent */
    CLI_FILE = 1u << 1,  /* --file F */
    CLI_HEX = 1u << 2,   /* --hex */
};

/* Options every subcommand accepts, filled by cli_parse. */
struct cli_common {
    const char *endpoint; /* --endpoint */
    unsigned timeout_ms;  /* --timeout */
    bool hex;             /* --hex: data arguments are hex */
    const char *file;     /* --file: data from a file, "-" = stdin */
};

/* One extra option of a subcommand: --name VALUE (has_arg) or --name (flag). */
struct cli_opt {
    const char *name;
    bool has_arg;
    const char **value; /* set for has_arg */
    bool *flag;         /* set for flags */
    const char **list;  /* repeatable: values appended here (capacity list_cap) */
    size_t *list_len;
    size_t list_cap;
};

struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char *usage;   /* the synopsis after "usage: dstack <name> " */
    unsigned takes;      /* CLI_AGENT | CLI_FILE | CLI_HEX */
    const char *options; /* what each of its own options and arguments means */
};

/* Parses argv[1..] (argv[0] is the subcommand name): the common options cmd->takes, the given
 * extra options and positionals (returned in pos/n_pos, at most max_pos). Handles --help by
 * printing the usage and returning -1 with *exit_code 0; bad usage prints an error and returns -1
 * with *exit_code 2. Sets the command name errors are prefixed with. */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_common *common,
              const struct cli_opt *opts, size_t n_opts, char **pos, size_t max_pos, size_t *n_pos,
              int *exit_code);

/* The start every command without options of its own shares: cli_parse with the common options
 * and up to max_pos positionals, then at least min_pos of them ("missing <what> (see --help)").
 * Returns the command, or NULL with *rc the exit code to return (0 after --help). */
const struct cli_cmd *cli_start(const char *name, int argc, char **argv, struct cli_common *co,
                                char **pos, size_t max_pos, size_t *n_pos, size_t min_pos,
                                const char *what, int *rc);

/* The command being run (for messages and --help). */
const struct cli_cmd *cli_find(const char *name);

/* Creates the client from --endpoint/--timeout (the SDK's resolution when no --endpoint). */
int cli_client(const struct cli_common *common, struct dstack_client **out);

/* Data for commands taking bytes: --file, else the positional (text, or hex with --hex).
 * `required`: a missing value is a usage error. *out is malloc'd (free()); never NULL on 0. */
int cli_data(const struct cli_common *common, const char *pos, bool required, uint8_t **out,
             size_t *len);

/* The command running, for the "dstack <command>:" prefix of errors ("dstack" before one). */
const char *cli_command(void);

/* A quote from an argument (hex) or --file: a GetQuote/TdxQuote JSON answer (its "quote", and
 * its "event_log" into *log_json when not NULL), hex text, or raw bytes, told by content (--hex
 * forces hex). *q is malloc'd. */
int cli_quote_input(const struct cli_common *co, const char *pos, uint8_t **q, size_t *qlen,
                    char **log_json);

/* Reads a whole file ("-" = stdin), capped at 64 MiB. */
int cli_read_file(const char *path, char **out, size_t *len);

/* Decodes a hex argument into a malloc'd buffer; prints "<what>: invalid hex" on failure. */
int cli_hex_arg(const char *what, const char *hex, uint8_t **out, size_t *len);

/* Prints "dstack <cmd>: <message of the last libdstack error>"; returns CLI_EXIT_NEGATIVE for a
 * check that said no (DSTACK_EVERIFY), CLI_EXIT_USAGE for an argument or input the library
 * refused (DSTACK_EINVAL, DSTACK_EFORMAT), else CLI_EXIT_FAIL. */
int cli_fail(const char *cmd, dstack_err err);
/* Prints "dstack <cmd>: <msg>" and returns code. */
int cli_error(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints JSON text (re-indented, key order kept) or a cJSON (stolen) and a newline. */
int cli_print_json_text(const char *json);
int cli_print_json(cJSON *v);

/* Subcommand entry points (cmd_*.c). */
int cmd_get_key(int argc, char **argv);
int cmd_get_tls_key(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_get_quote(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_emit_event(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_gpu_info(int argc, char **argv);
int cmd_is_reachable(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_compose_hash(int argc, char **argv);
int cmd_encrypt_env(int argc, char **argv);
int cmd_decrypt_env(int argc, char **argv);
int cmd_verify_env_pubkey(int argc, char **argv);
int cmd_eth_address(int argc, char **argv);
int cmd_solana_pubkey(int argc, char **argv);
int cmd_decode_quote(int argc, char **argv);
int cmd_replay_rtmrs(int argc, char **argv);
int cmd_verify_quote(int argc, char **argv);

/* verify-quote's DCAP mode (cmd_verify_dcap.c): collateral from a file or a PCCS. */
struct cli_dcap_args {
    const char *collateral_path; /* --collateral FILE (dcap-qvl JSON) */
    const char *pccs_url;        /* --pccs-url URL when no --collateral */
    const char *cache_dir;       /* --cache-dir DIR for PCCS answers (NULL: no cache) */
    const char *now_text;        /* --now UNIX_SECONDS (NULL: the clock) */
    const char *root_path;       /* --root PEM/DER: trust anchor instead of Intel's */
    const char *timeout_text;    /* --pccs-timeout MS: per PCCS request (default 10 s) */
    unsigned timeout_ms;
    uint64_t now;
};
int cli_verify_dcap(const char *name, const struct cli_dcap_args *args, const uint8_t *q,
                    size_t qlen);
int cmd_verify_ra_tls(int argc, char **argv);
int cmd_tappd(int argc, char **argv);
int cmd_guest(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
