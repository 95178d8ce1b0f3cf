/* Figure 2: the daemon's efficiency against the transport floor.
 *
 * For Version and Info: the simulator's CPU time per request under keep-alive load over
 * dstack.sock, divided by the CPU time per request of a trivial libmicrohttpd responder
 * (trivial_server.c) that returns a body of the same bytes with the same headers, driven by the
 * same load generator in the same run. Targets: <= 1.5x for Version, <= 3x for Info. Rounds
 * alternate the two servers; medians are kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "loadgen.h"
#include "trivial_server.h"

#define ROUNDS 3
#define CONNS 4

static double cpu_per_request(pid_t pid, const char *sock, const char *path, uint64_t n)
{
    struct lg_request req;
    if (!lg_format(&req, "POST", path, "{}", false)) {
        return -1;
    }
    struct lg_config cfg = {
        .sock = sock, .reqs = &req, .n_reqs = 1, .conns = CONNS, .requests = n, .seconds = 60};
    struct lg_result res;
    struct bench_cpu c0 = bench_cpu_read(pid);
    bool ran = lg_run(&cfg, &res);
    struct bench_cpu c1 = bench_cpu_read(pid);
    free(req.data);
    double per =
        ran && res.failed == 0 && res.ok == n ? bench_cpu_delta(c0, c1) / (double)res.ok : -1;
    lg_result_free(&res);
    return per;
}

int main(void)
{
    struct bench_sim sim;
    if (!bench_sim_start(&sim, NULL, NULL)) {
        return 1;
    }
    struct {
        const char *name, *path, *target;
        double max_ratio;
        uint64_t n;
        char *body;
        struct trivial_server floor;
    } cases[] = {
        {"Version", "/Version", "<= 1.5x", 1.5, 20000, NULL, {.pid = -1}},
        {"Info", "/Info", "<= 3x", 3.0, 5000, NULL, {.pid = -1}},
    };
    size_t n_cases = sizeof cases / sizeof cases[0];
    int failures = 0;
    for (size_t i = 0; i < n_cases; i++) {
        cases[i].body = lg_fetch(sim.dstack_sock, "POST", cases[i].path, "{}");
        if (cases[i].body == NULL || !trivial_server_start(&cases[i].floor, sim.dir, cases[i].name,
                                                           cases[i].body, strlen(cases[i].body))) {
            fprintf(stderr, "bench: cannot set up %s\n", cases[i].name);
            failures++;
        }
        cases[i].n = bench_scaled(cases[i].n);
    }
    for (size_t i = 0; i < n_cases; i++) {
        if (cases[i].floor.pid <= 0) {
            continue;
        }
        double d[ROUNDS], f[ROUNDS];
        cpu_per_request(sim.pid, sim.dstack_sock, cases[i].path, cases[i].n / 10); /* warm-up */
        cpu_per_request(cases[i].floor.pid, cases[i].floor.sock, cases[i].path, cases[i].n / 10);
        for (int r = 0; r < ROUNDS; r++) {
            d[r] = cpu_per_request(sim.pid, sim.dstack_sock, cases[i].path, cases[i].n);
            f[r] =
                cpu_per_request(cases[i].floor.pid, cases[i].floor.sock, cases[i].path, cases[i].n);
        }
        double dm = bench_median(d, ROUNDS), fm = bench_median(f, ROUNDS);
        char fig[128], val[160];
        snprintf(fig, sizeof fig, "2. daemon CPU / transport floor, %s (%zu B body)", cases[i].name,
                 strlen(cases[i].body));
        if (dm <= 0 || fm <= 0) {
            bench_row(fig, "requests failed", cases[i].target, false);
            failures++;
            continue;
        }
        snprintf(val, sizeof val, "%.2fx (daemon %.1f us, floor %.1f us per request)", dm / fm,
                 dm * 1e6, fm * 1e6);
        failures += !bench_row(fig, val, cases[i].target, dm / fm <= cases[i].max_ratio);
    }
    for (size_t i = 0; i < n_cases; i++) {
        trivial_server_stop(&cases[i].floor);
        free(cases[i].body);
    }
    bench_sim_stop(&sim, false);
    return failures == 0 ? 0 : 3;
}
