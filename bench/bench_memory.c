/* Figure 4: memory. RSS of the simulator right after start (<= 8 MiB), then after 100k and 200k
 * mixed requests at 64 keep-alive connections: growth between the two <= 1 MiB (no leak and no
 * unbounded cache). The mix covers every dstack.sock RPC that a workload calls in a loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "loadgen.h"

#define RD "0102030405060708091011121314151617181920212223242526272829303132"

int main(void)
{
    struct bench_sim sim;
    if (!bench_sim_start(&sim, NULL, NULL)) {
        return 1;
    }
    usleep(100000); /* let start-up finish its allocations before the first reading */
    long rss0 = bench_proc_rss_kib(sim.pid);

    static const struct {
        const char *path, *body;
    } mix[] = {
        {"/Version", "{}"},
        {"/GetKey", "{\"path\":\"a\",\"purpose\":\"p\",\"algorithm\":\"secp256k1\"}"},
        {"/GetKey", "{\"path\":\"b\",\"purpose\":\"p\",\"algorithm\":\"ed25519\"}"},
        {"/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"" RD "\"}"},
        {"/Sign", "{\"algorithm\":\"ed25519\",\"data\":\"" RD "\"}"},
        {"/Info", "{}"},
        {"/GetQuote", "{\"report_data\":\"" RD "\"}"},
        {"/Verify", "{\"algorithm\":\"ed25519\",\"data\":\"00\",\"signature\":\"00\","
                    "\"public_key\":\"00\"}"}, /* an error answer: 400 */
        {"/GetKey", "{\"path\":\"c\",\"purpose\":\"p\",\"algorithm\":\"secp256k1\"}"},
    };
    size_t n_mix = sizeof mix / sizeof mix[0];
    struct lg_request reqs[sizeof mix / sizeof mix[0]];
    for (size_t i = 0; i < n_mix; i++) {
        if (!lg_format(&reqs[i], "POST", mix[i].path, mix[i].body, false)) {
            return 1;
        }
    }
    uint64_t per_phase = bench_scaled(100000);
    long rss[2] = {0, 0};
    uint64_t ok = 0, failed = 0;
    for (int phase = 0; phase < 2; phase++) {
        struct lg_config cfg = {.sock = sim.dstack_sock,
                                .reqs = reqs,
                                .n_reqs = n_mix,
                                .conns = 64,
                                .requests = per_phase,
                                .seconds = 300};
        struct lg_result res;
        if (lg_run(&cfg, &res)) {
            ok += res.ok;
            failed += res.failed;
        }
        lg_result_free(&res);
        rss[phase] = bench_proc_rss_kib(sim.pid);
    }
    for (size_t i = 0; i < n_mix; i++) {
        free(reqs[i].data);
    }
    /* one request in nine is the Verify error (HTTP 400) */
    uint64_t expect_failed = 2 * per_phase / n_mix;
    char val[160];
    int failures = 0;
    snprintf(val, sizeof val, "%.2f MiB", (double)rss0 / 1024);
    failures += !bench_row("4. RSS after start", val, "<= 8 MiB", rss0 > 0 && rss0 <= 8 * 1024);
    snprintf(val, sizeof val, "%+.2f MiB (%.2f -> %.2f MiB; %llu ok, %llu errors)",
             (double)(rss[1] - rss[0]) / 1024, (double)rss[0] / 1024, (double)rss[1] / 1024,
             (unsigned long long)ok, (unsigned long long)failed);
    bool answered = ok + failed == 2 * per_phase && failed <= expect_failed + 2;
    failures += !bench_row("4. RSS growth, 100k -> 200k mixed requests at 64 connections", val,
                           "<= 1 MiB", answered && rss[1] - rss[0] <= 1024);
    bench_sim_stop(&sim, false);
    return failures == 0 ? 0 : 3;
}
