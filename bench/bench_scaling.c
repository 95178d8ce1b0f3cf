/* Figure 3: scaling. Throughput and p50/p99 latency of GetKey (secp256k1) at 1, 2, 4, 16, 64
 * and 256 concurrent keep-alive connections, and with a new connection per request (as the JS
 * SDK does) at 16. Targets: throughput at 256 >= 90% of the peak; p99 <= 10x p50 at 64.
 * The load generator shares the cores with the daemon, so absolute numbers depend on the
 * machine; the targets are ratios within one run. Every level runs once per round, the rounds
 * in turn, and each figure is the median over the rounds, so a burst of outside load lands on
 * one round of one level rather than on a whole level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "loadgen.h"

#define BODY "{\"path\":\"bench/scale\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}"

#define ROUNDS 3

struct level {
    unsigned conns;
    bool new_conn;
    double rps, p50, p99;
};

static bool run_level(const char *sock, struct level *lv, double seconds)
{
    struct lg_request req;
    if (!lg_format(&req, "POST", "/GetKey", BODY, lv->new_conn)) {
        return false;
    }
    struct lg_config cfg = {.sock = sock,
                            .reqs = &req,
                            .n_reqs = 1,
                            .conns = lv->conns,
                            .new_conn = lv->new_conn,
                            .seconds = seconds,
                            .latencies = true};
    struct lg_result res;
    bool ok = lg_run(&cfg, &res);
    free(req.data);
    if (!ok || res.ok == 0) {
        lg_result_free(&res);
        return false;
    }
    lv->rps = (double)res.ok / res.seconds;
    lv->p50 = bench_quantile(res.lat_us, res.n_lat, 0.50);
    lv->p99 = bench_quantile(res.lat_us, res.n_lat, 0.99);
    if (res.failed != 0) {
        fprintf(stderr, "bench: %u connections: %llu failed requests\n", lv->conns,
                (unsigned long long)res.failed);
    }
    ok = res.failed == 0;
    lg_result_free(&res);
    return ok;
}

int main(void)
{
    struct bench_sim sim;
    if (!bench_sim_start(&sim, NULL, NULL)) {
        return 1;
    }
    struct level levels[] = {{1, false, 0, 0, 0},  {2, false, 0, 0, 0},  {4, false, 0, 0, 0},
                             {16, false, 0, 0, 0}, {64, false, 0, 0, 0}, {256, false, 0, 0, 0},
                             {16, true, 0, 0, 0}};
    size_t n = sizeof levels / sizeof levels[0];
    double seconds = 3.0 * bench_scale(); /* per level, over all rounds */
    struct level warm = {4, false, 0, 0, 0};
    run_level(sim.dstack_sock, &warm, seconds / 3);
    int failures = 0;
    bool failed[sizeof levels / sizeof levels[0]] = {false};
    double rps[sizeof levels / sizeof levels[0]][ROUNDS],
        p50[sizeof levels / sizeof levels[0]][ROUNDS],
        p99[sizeof levels / sizeof levels[0]][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t i = 0; i < n; i++) {
            if (!run_level(sim.dstack_sock, &levels[i], seconds / ROUNDS)) {
                failed[i] = true;
            }
            rps[i][r] = levels[i].rps;
            p50[i][r] = levels[i].p50;
            p99[i][r] = levels[i].p99;
        }
    }
    double peak = 0;
    struct level *at256 = NULL, *at64 = NULL;
    for (size_t i = 0; i < n; i++) {
        char fig[96], val[128];
        snprintf(fig, sizeof fig, "3. GetKey, %u %s", levels[i].conns,
                 levels[i].new_conn ? "concurrent, new connection per request"
                                    : "keep-alive connections");
        if (failed[i]) {
            bench_row(fig, "requests failed", "no failures", false);
            failures++;
            continue;
        }
        levels[i].rps = bench_median(rps[i], ROUNDS);
        levels[i].p50 = bench_median(p50[i], ROUNDS);
        levels[i].p99 = bench_median(p99[i], ROUNDS);
        snprintf(val, sizeof val, "%.0f req/s, p50 %.0f us, p99 %.0f us", levels[i].rps,
                 levels[i].p50, levels[i].p99);
        bench_info(fig, val);
        if (!levels[i].new_conn) {
            peak = levels[i].rps > peak ? levels[i].rps : peak;
            at256 = levels[i].conns == 256 ? &levels[i] : at256;
            at64 = levels[i].conns == 64 ? &levels[i] : at64;
        }
    }
    char val[128];
    if (at256 != NULL && peak > 0) {
        snprintf(val, sizeof val, "%.0f%% (%.0f of %.0f req/s)", 100 * at256->rps / peak,
                 at256->rps, peak);
        failures += !bench_row("3. throughput at 256 connections / peak", val, ">= 90%",
                               at256->rps >= 0.9 * peak);
    }
    if (at64 != NULL && at64->p50 > 0) {
        snprintf(val, sizeof val, "%.1fx (p99 %.0f us, p50 %.0f us)", at64->p99 / at64->p50,
                 at64->p99, at64->p50);
        failures += !bench_row("3. p99 / p50 at 64 connections", val, "<= 10x",
                               at64->p99 <= 10 * at64->p50);
    }
    bench_sim_stop(&sim, false);
    return failures == 0 ? 0 : 3;
}
