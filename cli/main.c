/* dstack: the command-line face of libdstack. A flat table maps each subcommand (named after
 * the SDK method in kebab case) to its cmd_*.c function. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_cmd commands[] = {
    {"info", cmd_info, "Instance and app information, tcb_info decoded (Info).", ""},
    {"get-key", cmd_get_key, "Deterministic key for PATH (GetKey).",
     "[PATH] [--purpose P] [--algorithm secp256k1|ed25519]"},
    {"get-tls-key", cmd_get_tls_key, "Fresh TLS key and certificate chain (GetTlsKey).",
     "[--subject S] [--alt-name N]... [--ra-tls] [--no-server-auth] [--client-auth]\n"
     "       [--not-before SECS] [--not-after SECS] [--with-app-info]"},
    {"get-quote", cmd_get_quote, "TDX quote over up to 64 bytes of report data (GetQuote).",
     "[DATA | --file F] [--hex] [--replay]"},
    {"attest", cmd_attest, "Versioned attestation over report data (Attest).",
     "[DATA | --file F] [--hex]"},
    {"sign", cmd_sign, "Sign data with the app's key (Sign).",
     "ALGORITHM [DATA | --file F] [--hex]   (ed25519, secp256k1, secp256k1_prehashed)"},
    {"verify", cmd_verify, "Verify a signature through the agent (Verify).",
     "ALGORITHM --signature HEX --public-key HEX [DATA | --file F] [--hex]"},
    {"emit-event", cmd_emit_event, "Extend RTMR3 with a runtime event (EmitEvent).",
     "NAME [PAYLOAD | --file F] [--hex]"},
    {"version", cmd_version, "Agent version (Version).", ""},
    {"gpu-info", cmd_gpu_info, "GPU attestation (GpuInfo).", ""},
    {"is-reachable", cmd_is_reachable, "Whether the agent answers Info within 500 ms; exit 0/1.",
     ""},
    {"call", cmd_call, "Raw RPC: POST /METHOD with a JSON body.", "METHOD [JSON]"},
    {"compose-hash", cmd_compose_hash, "SDK compose hash of an app-compose.json (no agent).",
     "FILE [--normalize] [--canonical]"},
    {"encrypt-env", cmd_encrypt_env, "Encrypt environment variables for a KMS key (no agent).",
     "--public-key HEX [KEY=VALUE]... [--env-file F]"},
    {"decrypt-env", cmd_decrypt_env,
     "Decrypt an encrypted env with the recipient's X25519 secret key (no agent).",
     "(--secret-key HEX | --secret-key-file F) (HEX | --file F [--hex])\n"
     "       what the guest does with encrypt-env's output: the argument is hex, --file F\n"
     "       raw bytes (.encrypted-env) or hex with --hex; prints the plaintext JSON text"},
    {"verify-env-pubkey", cmd_verify_env_pubkey,
     "Recover the KMS signer of an env-encrypt public key (no agent).",
     "--public-key HEX --signature HEX --app-id HEX [--timestamp SECS] [--max-age SECS]"},
    {"eth-address", cmd_eth_address, "Ethereum address of a secp256k1 key (EIP-55).",
     "(--key HEX | --key-file F | PATH [--purpose P] | --tls-key F [--secure])\n"
     "       PATH derives the key with GetKey first (to_account); --tls-key F takes a\n"
     "       GetTlsKey/DeriveKey JSON answer or PEM: SHA-256 of its DER with --secure\n"
     "       (to_account_secure), else the deprecated first 32 DER bytes (one address for all)"},
    {"solana-pubkey", cmd_solana_pubkey, "Solana keypair (Keypair.fromSeed) of a key, base58.",
     "(--key HEX | --key-file F | PATH [--purpose P] | --tls-key F [--secure]) [--secret]\n"
     "       key sources as eth-address (to_keypair / to_keypair_secure); --secret adds the\n"
     "       64-byte secret key (seed || public key) in hex"},
    {"decode-quote", cmd_decode_quote, "Fields of a TDX v4/v5 quote (no agent).",
     "(HEX | --file F [--hex])"},
    {"replay-rtmrs", cmd_replay_rtmrs, "RTMR0-3 replayed from an event log JSON (no agent).",
     "(--file F | JSON)"},
    {"verify-quote", cmd_verify_quote,
     "Verify a quote: DCAP with Intel collateral, or under a trusted root (simulator).",
     "(QUOTE | --file F [--hex]) (--collateral JSON | --pccs-url URL [--cache-dir D]) "
     "[--now UNIX]\n"
     "       dstack verify-quote (HEX | --file F [--hex]) --root PEM [--report-data HEX]\n"
     "       QUOTE: hex, or a file of raw quote bytes, hex or a GetQuote/TdxQuote JSON answer;\n"
     "       --collateral: dcap-qvl's JSON collateral; exit 0 whatever the TCB status"},
    {"verify-ra-tls", cmd_verify_ra_tls,
     "Verify an RA-TLS certificate chain: CA, key binding, quote (no agent).",
     "(FILE | --file F) --ca PEM [--quote-root PEM]\n"
     "       FILE: PEM chain, leaf first, or a GetTlsKey/DeriveKey JSON answer;\n"
     "       --ca: the app CA PEM or an appkeys.json; --quote-root: also verify the quote"},
    {"tappd", cmd_tappd, "Deprecated tappd.sock API.",
     "(derive-key PATH [--subject S] | tdx-quote DATA [--hash-algorithm A] | raw-quote HEX64 |\n"
     "        info | is-reachable)"},
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
    fprintf(out, "usage: dstack COMMAND [options]   (dstack COMMAND --help for details)\n\n"
                 "Talks to the dstack guest agent and prints JSON on stdout.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    }
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
    const struct cli_cmd *cmd = cli_find(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "dstack: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return cmd->fn(argc - 1, argv + 1);
}
