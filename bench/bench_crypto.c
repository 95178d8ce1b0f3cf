/* Figure 1: the daemon's efficiency against the cryptographic limit.
 *
 * For GetKey (secp256k1, ed25519), Sign, Verify and GetQuote on the simulator:
 *   limit  = CPU time of the operation's cryptography called in-process in a loop (the same
 *            library calls the handler makes, on the same keys, agent/rpc_keys.c and the
 *            backend's quote()),
 *   daemon = the simulator's CPU time per request while the load generator drives the same RPC
 *            over dstack.sock (keep-alive, BENCH_CONNS connections),
 *   efficiency = limit / daemon (target >= 0.80: HTTP + JSON cost at most a fifth).
 * The handler called directly (no HTTP) is printed too, to split the remaining cost between
 * the JSON/handler layer and the transport. Rounds alternate in-process and daemon runs and
 * the medians are kept, so a noisy neighbour hits both sides alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "appkeys.h"
#include "bench_util.h"
#include "config.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/k256.h"
#include "crypto/kdf.h"
#include "crypto/keccak.h"
#include "handlers.h"
#include "loadgen.h"
#include "startup.h"
#include "util/hex.h"

#define ROUNDS 3
#define BENCH_CONNS 4

struct op {
    const char *name;
    const char *path;
    char body[512];
    rpc_handler handler;
    void (*crypto)(struct agent *a, const struct op *op);
    uint64_t iters; /* in-process iterations per round; the daemon gets the same count */
};

static uint8_t g_data[32];
static uint8_t g_sig[K256_SIG_LEN > ED25519_SIG_LEN ? K256_SIG_LEN : ED25519_SIG_LEN];
static uint8_t g_pub[K256_PUBKEY_LEN];
static size_t g_sig_len, g_pub_len;
static volatile unsigned g_sink;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GetKey's cryptography (rpc_keys.c derive_key): HKDF-Expand, the public key, keccak of the
 * purpose line, a recoverable signature by the app key. Not named crypto_*: callgrind's
 * --toggle-collect='crypto_*' (scripts/bench-callgrind.sh) would switch off inside it. */
static void get_key_work(struct agent *a, bool ed)
{
    static const char path[] = "bench/key", purpose[] = "signing";
    struct secret32 key;
    uint8_t pub[K256_PUBKEY_LEN], digest[KECCAK256_LEN], sig[K256_RSIG_LEN];
    char pubhex[2 * K256_PUBKEY_LEN + 1];
    struct kdf_slice info = {path, sizeof path - 1};
    kdf_expand(&a->keys->prk, &info, 1, key.b, sizeof key.b);
    size_t pub_len = ed ? ED25519_PUBKEY_LEN : K256_PUBKEY_LEN;
    if (ed) {
        ed25519_pubkey(key.b, pub);
    } else {
        k256_pubkey(key.b, pub);
    }
    hex_encode(pub, pub_len, pubhex);
    struct keccak_ctx kc;
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, purpose, sizeof purpose - 1);
    keccak_update(&kc, ":", 1);
    keccak_update(&kc, pubhex, 2 * pub_len);
    keccak_final(&kc, digest);
    k256_sign_recoverable(a->keys->k256_scalar.b, digest, sig);
    g_sink += sig[0];
    secret_wipe(&key, sizeof key);
}

static void crypto_get_key_k256(struct agent *a, const struct op *op)
{
    (void)op;
    get_key_work(a, false);
}

static void crypto_get_key_ed(struct agent *a, const struct op *op)
{
    (void)op;
    get_key_work(a, true);
}

static void crypto_sign_k256(struct agent *a, const struct op *op)
{
    (void)op;
    uint8_t z[K256_DIGEST_LEN], sig[K256_SIG_LEN];
    hash_sha256(g_data, sizeof g_data, z);
    k256_sign(a->keys->vms_key.b, z, sig);
    g_sink += sig[0];
}

static void crypto_sign_ed(struct agent *a, const struct op *op)
{
    (void)op;
    uint8_t sig[ED25519_SIG_LEN];
    ed25519_key_sign(a->keys->vms_ed25519_pkey, g_data, sizeof g_data, sig);
    g_sink += sig[0];
}

static void crypto_verify_k256(struct agent *a, const struct op *op)
{
    (void)a;
    (void)op;
    uint8_t z[K256_DIGEST_LEN];
    bool valid = false;
    const char *what = NULL;
    hash_sha256(g_data, sizeof g_data, z);
    k256_verify(g_pub, g_pub_len, g_sig, g_sig_len, z, &valid, &what);
    g_sink += valid;
}

static void crypto_get_quote(struct agent *a, const struct op *op)
{
    (void)op;
    uint8_t rd[DSTACK_REPORT_DATA_LEN] = {1, 2, 3};
    uint8_t *q = NULL;
    size_t len = 0;
    a->tee->quote(a->tee_state, rd, &q, &len);
    g_sink += (unsigned)len;
    free(q);
}

static double run_crypto(struct agent *a, const struct op *op)
{
    double t0 = thread_cpu();
    for (uint64_t i = 0; i < op->iters; i++) {
        op->crypto(a, op);
    }
    return (thread_cpu() - t0) / (double)op->iters;
}

static double run_handler(struct agent *a, const struct op *op)
{
    cJSON *args = json_parse(op->body, strlen(op->body), 0, NULL);
    double t0 = thread_cpu();
    for (uint64_t i = 0; i < op->iters; i++) {
        struct rpc_call call = {.agent = a, .args = args};
        if (op->handler(&call) != DSTACK_OK) {
            fprintf(stderr, "bench: %s handler failed: %s\n", op->name, err_text());
        }
        json_free(call.result);
        free(call.result_text); /* pre-encoded answers (GetQuote, Info) */
    }
    double per = (thread_cpu() - t0) / (double)op->iters;
    json_free(args);
    return per;
}

/* Daemon CPU per request over dstack.sock; -1 when requests failed. */
static double run_daemon(const struct bench_sim *s, const struct op *op)
{
    struct lg_request req;
    if (!lg_format(&req, "POST", op->path, op->body, false)) {
        return -1;
    }
    struct lg_config cfg = {.sock = s->dstack_sock,
                            .reqs = &req,
                            .n_reqs = 1,
                            .conns = BENCH_CONNS,
                            .requests = op->iters,
                            .seconds = 60};
    struct lg_result res;
    struct bench_cpu c0 = bench_cpu_read(s->pid);
    bool ran = lg_run(&cfg, &res);
    struct bench_cpu c1 = bench_cpu_read(s->pid);
    free(req.data);
    double per =
        ran && res.failed == 0 && res.ok > 0 ? bench_cpu_delta(c0, c1) / (double)res.ok : -1;
    if (ran && res.failed != 0) {
        fprintf(stderr, "bench: %s: %llu failed requests\n", op->name,
                (unsigned long long)res.failed);
    }
    lg_result_free(&res);
    return per;
}

/* A valid signature and key for Verify, from the daemon's own Sign. */
static bool prepare_verify(const struct bench_sim *s, const char *alg)
{
    char body[200], hex[65];
    hex_encode(g_data, sizeof g_data, hex);
    snprintf(body, sizeof body, "{\"algorithm\":\"%s\",\"data\":\"%s\"}", alg, hex);
    char *resp = lg_fetch(s->dstack_sock, "POST", "/Sign", body);
    cJSON *j = resp ? json_parse(resp, strlen(resp), 0, NULL) : NULL;
    free(resp);
    const char *sig = json_str(json_get(j, "signature"));
    const char *pub = json_str(json_get(j, "public_key"));
    bool ok = sig != NULL && pub != NULL && strlen(sig) / 2 <= sizeof g_sig &&
              strlen(pub) / 2 <= sizeof g_pub &&
              hex_decode(sig, strlen(sig), g_sig, sizeof g_sig, &g_sig_len) == DSTACK_OK &&
              hex_decode(pub, strlen(pub), g_pub, sizeof g_pub, &g_pub_len) == DSTACK_OK;
    json_free(j);
    return ok;
}

int main(void)
{
    struct bench_sim sim;
    if (!bench_sim_start(&sim, NULL, NULL)) {
        return 1;
    }
    static struct agent_config cfg;
    static struct agent agent;
    config_defaults(&cfg, true);
    snprintf(cfg.sim_dir, sizeof cfg.sim_dir, "%s", sim.dir);
    if (config_finish(&cfg, true) != DSTACK_OK || agent_open(&agent, &cfg) != DSTACK_OK) {
        fprintf(stderr, "bench: cannot open the agent in-process: %s\n", err_text());
        bench_sim_stop(&sim, false);
        return 1;
    }
    for (size_t i = 0; i < sizeof g_data; i++) {
        g_data[i] = (uint8_t)(i * 7 + 1);
    }
    char data_hex[65], rd_hex[129];
    hex_encode(g_data, sizeof g_data, data_hex);
    memset(rd_hex, '0', 128);
    memcpy(rd_hex, "010203", 6);
    rd_hex[128] = '\0';
    if (!prepare_verify(&sim, "secp256k1")) {
        fprintf(stderr, "bench: Sign over the socket failed\n");
        agent_close(&agent);
        bench_sim_stop(&sim, false);
        return 1;
    }

    struct op ops[] = {
        {"GetKey secp256k1", "/GetKey", "", h_get_key, crypto_get_key_k256, 4000},
        {"GetKey ed25519", "/GetKey", "", h_get_key, crypto_get_key_ed, 4000},
        {"Sign secp256k1", "/Sign", "", h_sign, crypto_sign_k256, 4000},
        {"Sign ed25519", "/Sign", "", h_sign, crypto_sign_ed, 4000},
        {"Verify secp256k1", "/Verify", "", h_verify, crypto_verify_k256, 4000},
        {"GetQuote", "/GetQuote", "", h_get_quote, crypto_get_quote, 1000},
    };
    snprintf(ops[0].body, sizeof ops[0].body,
             "{\"path\":\"bench/key\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}");
    snprintf(ops[1].body, sizeof ops[1].body,
             "{\"path\":\"bench/key\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}");
    snprintf(ops[2].body, sizeof ops[2].body, "{\"algorithm\":\"secp256k1\",\"data\":\"%s\"}",
             data_hex);
    snprintf(ops[3].body, sizeof ops[3].body, "{\"algorithm\":\"ed25519\",\"data\":\"%s\"}",
             data_hex);
    char sig_hex[2 * sizeof g_sig + 1], pub_hex[2 * sizeof g_pub + 1];
    hex_encode(g_sig, g_sig_len, sig_hex);
    hex_encode(g_pub, g_pub_len, pub_hex);
    snprintf(ops[4].body, sizeof ops[4].body,
             "{\"algorithm\":\"secp256k1\",\"data\":\"%s\",\"signature\":\"%s\","
             "\"public_key\":\"%s\"}",
             data_hex, sig_hex, pub_hex);
    snprintf(ops[5].body, sizeof ops[5].body, "{\"report_data\":\"%s\"}", rd_hex);

    /* Under callgrind (scripts/bench-callgrind.sh): only the in-process loops, whose
     * instructions --toggle-collect='crypto_*' counts per function. */
    if (getenv("DSTACK_BENCH_CRYPTO_ONLY") != NULL) {
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            ops[i].iters = bench_scaled(ops[i].iters);
            run_crypto(&agent, &ops[i]);
            printf("%s %llu\n", ops[i].name, (unsigned long long)ops[i].iters);
        }
        agent_close(&agent);
        bench_sim_stop(&sim, false);
        return 0;
    }
    int failures = 0;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        struct op *op = &ops[i];
        op->iters = bench_scaled(op->iters);
        double lim[ROUNDS], hnd[ROUNDS], dmn[ROUNDS];
        run_crypto(&agent, op); /* warm-up */
        for (int r = 0; r < ROUNDS; r++) {
            lim[r] = run_crypto(&agent, op);
            hnd[r] = run_handler(&agent, op);
            dmn[r] = run_daemon(&sim, op);
        }
        double l = bench_median(lim, ROUNDS), h = bench_median(hnd, ROUNDS),
               d = bench_median(dmn, ROUNDS);
        char fig[128], val[160];
        snprintf(fig, sizeof fig, "1. crypto limit / daemon CPU, %s", op->name);
        if (d <= 0) {
            snprintf(val, sizeof val, "requests failed");
            bench_row(fig, val, ">= 0.80", false);
            failures++;
            continue;
        }
        /* CPU time moves with the machine's load: figure 1 is judged by instruction counts
         * (scripts/bench-callgrind.sh, run by scripts/bench.sh); these rows inform. */
        snprintf(val, sizeof val,
                 "%.2f (crypto %.1f us, handler %.1f us, daemon %.1f us/req; target >= 0.80 in "
                 "instructions below)",
                 l / d, l * 1e6, h * 1e6, d * 1e6);
        bench_info(fig, val);
    }
    agent_close(&agent);
    bench_sim_stop(&sim, false);
    return failures == 0 ? 0 : 3;
}
