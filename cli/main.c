/* dstack: the command-line face of libdstack. A flat table maps each subcommand (named after
 * the SDK method in kebab case) to its cmd_*.c function. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd commands[] = {
    {"info", cmd_info, "Instance and app information, tcb_info decoded (Info).", "", CLI_AGENT,
     NULL},
    {"get-key", cmd_get_key, "Deterministic key for PATH (GetKey).",
     "[PATH] [--purpose P] [--algorithm secp256k1|ed25519]", CLI_AGENT,
     "  PATH           key path (default: empty)\n"
     "  --purpose P    purpose bound into the signature chain\n"
     "  --algorithm A  secp256k1 (default) or ed25519\n"},
    {"get-tls-key", cmd_get_tls_key, "Fresh TLS key and certificate chain (GetTlsKey).",
     "[--subject S] [--alt-name N]... [--ra-tls] [--no-server-auth] [--client-auth]\n"
     "       [--not-before SECS] [--not-after SECS] [--with-app-info]",
     CLI_AGENT,
     "  --subject S        certificate subject (CN)\n"
     "  --alt-name N       a subject alternative name (repeatable)\n"
     "  --ra-tls           embed the quote (RA-TLS extensions)\n"
     "  --no-server-auth   no serverAuth extended key usage\n"
     "  --client-auth      add clientAuth extended key usage\n"
     "  --not-before SECS  validity start, seconds since 1970\n"
     "  --not-after SECS   validity end, seconds since 1970\n"
     "  --with-app-info    embed the app information extension\n"},
    {"get-quote", cmd_get_quote, "TDX quote over up to 64 bytes of report data (GetQuote).",
     "[DATA | --file F] [--hex] [--replay]", CLI_AGENT | CLI_FILE | CLI_HEX,
     "  DATA      report data, at most 64 bytes (text, or hex with --hex)\n"
     "  --replay  add the RTMRs replayed from the event log\n"},
    {"attest", cmd_attest, "Versioned attestation over report data (Attest).",
     "[DATA | --file F] [--hex]", CLI_AGENT | CLI_FILE | CLI_HEX,
     "  DATA  report data, at most 64 bytes (text, or hex with --hex)\n"},
    {"sign", cmd_sign, "Sign data with the app's key (Sign).",
     "ALGORITHM [DATA | --file F] [--hex]", CLI_AGENT | CLI_FILE | CLI_HEX,
     "  ALGORITHM  ed25519, secp256k1 or secp256k1_prehashed (DATA then 32 bytes)\n"
     "  DATA       the data to sign (text, or hex with --hex)\n"},
    {"verify", cmd_verify, "Verify a signature through the agent (Verify); exit 1 when invalid.",
     "ALGORITHM --signature HEX --public-key HEX [DATA | --file F] [--hex]",
     CLI_AGENT | CLI_FILE | CLI_HEX,
     "  ALGORITHM         ed25519, secp256k1 or secp256k1_prehashed\n"
     "  --signature HEX   the signature\n"
     "  --public-key HEX  the public key it is checked against\n"
     "  DATA              the signed data (text, or hex with --hex)\n"},
    {"emit-event", cmd_emit_event, "Extend RTMR3 with a runtime event (EmitEvent).",
     "NAME [PAYLOAD | --file F] [--hex]", CLI_AGENT | CLI_FILE | CLI_HEX,
     "  NAME     event name\n"
     "  PAYLOAD  event payload (text, or hex with --hex; default empty)\n"},
    {"version", cmd_version, "Agent version (Version).", "", CLI_AGENT, NULL},
    {"gpu-info", cmd_gpu_info, "GPU attestation (GpuInfo).", "", CLI_AGENT, NULL},
    {"is-reachable", cmd_is_reachable, "Whether the agent answers Info within 500 ms; exit 0/1.",
     "", CLI_AGENT, NULL},
    {"call", cmd_call, "Raw RPC: METHOD with a JSON body, on any socket kind.",
     "METHOD [JSON | --file F]", CLI_AGENT | CLI_FILE,
     "  METHOD  the method as the API names it (Info, GetQuote, TdxQuote, ...): POST /METHOD,\n"
     "          then /prpc/METHOD (tappd, Worker API), then /api/METHOD (Guest API)\n"
     "  JSON    the request body (default {})\n"},
    {"compose-hash", cmd_compose_hash, "SDK compose hash of an app-compose.json (no agent).",
     "(FILE | --file F) [--normalize] [--canonical]", CLI_FILE,
     "  FILE         the app-compose.json (- = standard input)\n"
     "  --normalize  drop the fields the runner ignores first (getComposeHash(x, true))\n"
     "  --canonical  also print the canonical JSON that is hashed\n"},
    {"encrypt-env", cmd_encrypt_env, "Encrypt environment variables for a KMS key (no agent).",
     "--public-key HEX [KEY=VALUE]... [--env-file F]", 0,
     "  --public-key HEX  the KMS env-encrypt X25519 public key\n"
     "  KEY=VALUE         a variable (repeatable)\n"
     "  --env-file F      more variables, one KEY=VALUE a line (# comments)\n"},
    {"decrypt-env", cmd_decrypt_env,
     "Decrypt an encrypted env with the recipient's X25519 secret key (no agent).",
     "(--secret-key HEX | --secret-key-file F) (HEX | --file F [--hex])", CLI_FILE | CLI_HEX,
     "  --secret-key HEX       the recipient's X25519 secret key\n"
     "  --secret-key-file F    the same, read from a file\n"
     "  HEX                    encrypt-env's output; --file F reads raw bytes\n"
     "                         (.encrypted-env), or hex with --hex; prints the plaintext JSON\n"},
    {"verify-env-pubkey", cmd_verify_env_pubkey,
     "Recover the KMS signer of an env-encrypt public key (no agent).",
     "--public-key HEX --signature HEX --app-id HEX [--timestamp SECS] [--max-age SECS]", 0,
     "  --public-key HEX  the env-encrypt public key\n"
     "  --signature HEX   the KMS signature over it\n"
     "  --app-id HEX      the app id it was issued for\n"
     "  --timestamp SECS  the signed timestamp (v1 signatures)\n"
     "  --max-age SECS    oldest timestamp accepted (default 300)\n"},
    {"eth-address", cmd_eth_address, "Ethereum address of a secp256k1 key (EIP-55).",
     "(--key HEX | --key-file F | PATH [--purpose P] | --tls-key F [--secure])", CLI_AGENT,
     "  --key HEX      a secp256k1 secret key\n"
     "  --key-file F   a GetKey JSON answer or the hex key\n"
     "  PATH           derive the key with GetKey first (to_account); --purpose P as get-key\n"
     "  --tls-key F    a GetTlsKey/DeriveKey JSON answer or PEM: SHA-256 of its DER with\n"
     "  --secure       (to_account_secure), else the deprecated first 32 DER bytes\n"},
    {"solana-pubkey", cmd_solana_pubkey, "Solana keypair (Keypair.fromSeed) of a key, base58.",
     "(--key HEX | --key-file F | PATH [--purpose P] | --tls-key F [--secure]) [--secret]",
     CLI_AGENT,
     "  key sources as eth-address (to_keypair / to_keypair_secure): --key HEX, --key-file F,\n"
     "  PATH with --purpose P, --tls-key F with --secure\n"
     "  --secret  add the 64-byte secret key (seed || public key) in hex\n"},
    {"decode-quote", cmd_decode_quote, "Fields of a TDX v4/v5 quote (no agent).",
     "(HEX | --file F [--hex])", CLI_FILE | CLI_HEX,
     "  HEX  the quote in hex; --file F: raw bytes, hex or a GetQuote answer, told by content\n"},
    {"replay-rtmrs", cmd_replay_rtmrs, "RTMR0-3 replayed from an event log JSON (no agent).",
     "(--file F | JSON)", CLI_FILE,
     "  JSON  the event log (GetQuote's event_log, or a whole GetQuote answer)\n"},
    {"verify-quote", cmd_verify_quote,
     "Verify a quote: DCAP with Intel collateral, or under a trusted root (simulator).",
     "(QUOTE | --file F [--hex]) (--collateral JSON | --pccs-url URL [--cache-dir D]\n"
     "       [--pccs-timeout MS]) "
     "[--now UNIX] [--root CA]\n"
     "       dstack verify-quote (QUOTE | --file F [--hex]) --root PEM [--report-data HEX]",
     CLI_FILE | CLI_HEX,
     "  QUOTE              hex, or a file of raw quote bytes, hex or a GetQuote/TdxQuote\n"
     "                     answer, told by content (a GetQuote answer's event log is replayed)\n"
     "  --collateral JSON  dcap-qvl's JSON collateral: DCAP verification under Intel's root;\n"
     "                     exit 0 whatever the TCB status, which the output reports\n"
     "  --pccs-url URL     fetch the collateral from a PCCS/PCS instead\n"
     "  --cache-dir D      keep fetched collateral in D (used until its nextUpdate)\n"
     "  --pccs-timeout MS  per PCCS request (default 10000)\n"
     "  --now UNIX         verify as of this time (seconds since 1970)\n"
     "  --root PEM         a trusted root CA instead (the simulator's tdx-root-ca.pem)\n"
     "  --report-data HEX  the report data the quote must carry\n"},
    {"verify-ra-tls", cmd_verify_ra_tls,
     "Verify an RA-TLS certificate chain: CA, key binding, quote (no agent).",
     "(FILE | --file F) --ca PEM [--quote-root PEM]", CLI_FILE,
     "  FILE              PEM chain, leaf first, or a GetTlsKey/DeriveKey JSON answer\n"
     "  --ca PEM          the app CA PEM, or an appkeys.json\n"
     "  --quote-root PEM  also verify the embedded quote under this root\n"},
    {"guest", cmd_guest, "The host's Guest API of an agent (guest.sock, vsock://CID:8000).",
     "(sysinfo | netinfo | containers | info | shutdown) --endpoint (PATH | URL | "
     "vsock://CID:PORT)",
     CLI_AGENT,
     "  sysinfo             GuestApi.SysInfo: OS, CPU, memory, load, data disks\n"
     "  netinfo             GuestApi.NetworkInfo: interfaces, gateways, DNS, wg\n"
     "  containers          GuestApi.ListContainers: the app's Docker containers\n"
     "  info                GuestApi.Info: app and instance ids, certificate, TCB info\n"
     "  shutdown            GuestApi.Shutdown: the agent notifies the host and powers the\n"
     "                      VM off (exit 3 with the agent's reason when it refuses)\n"
     "  --endpoint E        the agent's guest.sock, or vsock://CID:8000 from the host\n"},
    {"worker", cmd_worker, "The public Worker API (external.sock, http://host:8090).",
     "(info | version | attest-app-key ALGORITHM) --endpoint (PATH | URL)", CLI_AGENT,
     "  info                Worker.Info (tcb_info hidden unless public_tcbinfo)\n"
     "  version             Worker.Version\n"
     "  attest-app-key ALG  Worker.GetAttestationForAppKey: ALG secp256k1, k256, ed25519\n"
     "  --endpoint E        the simulator's external.sock, or http://HOST:8090\n"},
    {"tappd", cmd_tappd, "Deprecated tappd.sock API.",
     "(derive-key PATH [--subject S] | tdx-quote DATA [--hash-algorithm A] | raw-quote HEX64 |\n"
     "        info | is-reachable)",
     CLI_AGENT | CLI_FILE | CLI_HEX,
     "  derive-key PATH     DeriveKey; --subject S: certificate subject\n"
     "  tdx-quote DATA      TdxQuote; --hash-algorithm A: raw (default: DATA left-padded to 64\n"
     "                      bytes), or sha256, sha384, sha512, keccak256, ... of DATA\n"
     "  raw-quote HEX64     RawQuote over exactly 64 bytes of report data\n"
     "  info, is-reachable  Info; whether the socket answers (exit 0/1)\n"
     "  --endpoint default: $TAPPD_SIMULATOR_ENDPOINT, then /var/run/tappd.sock,\n"
     "  /run/tappd.sock, /var/run/dstack/tappd.sock, /run/dstack/tappd.sock\n"},
};

/* Short names from the SDK's Python spelling. */
static const struct {
    const char *alias;
    const char *name;
} aliases[] = {
    {"key", "get-key"},
    {"quote", "get-quote"},
    {"tls-key", "get-tls-key"},
    {"reachable", "is-reachable"},
    {"verify-env-encrypt-public-key", "verify-env-pubkey"},
};

const struct cli_cmd *cli_find(const char *name)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcmp(name, aliases[i].alias) == 0) {
            name = aliases[i].name;
        }
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: dstack [--endpoint E] [--timeout MS] COMMAND [options]\n"
                 "       (dstack COMMAND --help for details)\n\n"
                 "Talks to the dstack guest agent and prints JSON on stdout.\n"
                 "Exit status: 0 ok, 1 a negative answer, 2 usage, 3 agent or I/O error.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    }
}

/* Common options before the subcommand (`dstack --endpoint S info`, as git and kubectl take
 * them) go after it, where the subcommand parses them. */
static int move_leading_options(int argc, char **argv, char **out)
{
    int n_lead = 1;
    while (n_lead < argc) {
        const char *a = argv[n_lead];
        bool with_value = strcmp(a, "--endpoint") == 0 || strcmp(a, "--timeout") == 0;
        bool inline_value = strncmp(a, "--endpoint=", 11) == 0 || strncmp(a, "--timeout=", 10) == 0;
        if (with_value && n_lead + 1 < argc) {
            n_lead += 2;
        } else if (inline_value) {
            n_lead += 1;
        } else {
            break;
        }
    }
    if (n_lead == argc) {
        return -1; /* options and no command */
    }
    int n = 0;
    out[n++] = argv[n_lead]; /* the command */
    for (int i = 1; i < n_lead; i++) {
        out[n++] = argv[i];
    }
    for (int i = n_lead + 1; i < argc; i++) {
        out[n++] = argv[i];
    }
    out[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dstack %s\n", DSTACK_CLI_VERSION);
        return 0;
    }
    char **args = calloc((size_t)argc + 1, sizeof *args);
    int n = args != NULL ? move_leading_options(argc, argv, args) : -1;
    if (n < 0) {
        free(args);
        fprintf(stderr, "dstack: missing command after the options\n");
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const struct cli_cmd *cmd = cli_find(args[0]);
    if (cmd == NULL) {
        fprintf(stderr, "dstack: unknown command '%s'\n", args[0]);
        usage(stderr);
        free(args);
        return CLI_EXIT_USAGE;
    }
    int rc = cmd->fn(n, args);
    free(args);
    return rc;
}
