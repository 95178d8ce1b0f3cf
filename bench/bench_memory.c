/* Figure 4: memory, counted as what the daemon costs the machine (/proc/<pid>/smaps_rollup):
 * right after start PSS <= 4 MiB and private memory (Private_Clean + Private_Dirty) <= 2.5 MiB;
 * RSS beside them for information (most of it is Debian's shared libcrypto and GnuTLS pages).
 * Then 200k mixed requests at 64 keep-alive connections after a 100k warm-up (thread stacks and
 * malloc arenas settle): private memory and RSS grow <= 1 MiB (no leak, no unbounded cache).
 * The mix covers every dstack.sock RPC that a workload calls in a loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "loadgen.h"

/* The floor (memory_floor.c), measured alone before the daemon starts, as the daemon is measured:
 * 100 ms after it is ready. Two processes alive together would share pages and lower both. */
static bool measure_floor(struct bench_mem *out)
{
    int pipe_fd[2];
    if (pipe(pipe_fd) != 0) {
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fd[1], 1);
        close(pipe_fd[0]);
        execl(DSTACK_MEMORY_FLOOR_BIN, DSTACK_MEMORY_FLOOR_BIN, (char *)NULL);
        _exit(127);
    }
    close(pipe_fd[1]);
    char ready[8] = {0};
    bool up =
        pid > 0 && read(pipe_fd[0], ready, sizeof ready - 1) > 0 && strncmp(ready, "ready", 5) == 0;
    close(pipe_fd[0]);
    usleep(100000);
    bool ok = up && bench_proc_mem(pid, out);
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    return ok;
}

#define RD "0102030405060708091011121314151617181920212223242526272829303132"

int main(void)
{
    struct bench_mem floor = {0};
    bool have_floor = measure_floor(&floor);
    struct bench_sim sim;
    if (!bench_sim_start(&sim, NULL, NULL)) {
        return 1;
    }
    usleep(100000); /* let start-up finish its allocations before the first reading */
    struct bench_mem m0 = {0};
    bool have_m0 = bench_proc_mem(sim.pid, &m0);

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
    struct bench_mem m[3] = {{0}};
    uint64_t ok = 0, failed = 0;
    for (int phase = 0; phase < 3; phase++) { /* warm-up, then 2 x 100k measured */
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
        bench_proc_mem(sim.pid, &m[phase]);
    }
    for (size_t i = 0; i < n_mix; i++) {
        free(reqs[i].data);
    }
    /* one request in nine is the Verify error (HTTP 400) */
    uint64_t expect_failed = 3 * per_phase / n_mix;
    char val[200];
    int failures = 0;
    const double mib = 1024;
    snprintf(val, sizeof val, "%.2f MiB", (double)m0.pss / mib);
    failures += !bench_row("4. PSS after start", val, "<= 4 MiB",
                           have_m0 && m0.pss > 0 && m0.pss <= 4 * 1024);
    snprintf(val, sizeof val, "%.2f MiB", (double)m0.private_kib / mib);
    failures += !bench_row("4. private memory after start (Private_Clean + Private_Dirty)", val,
                           "<= 2.5 MiB", have_m0 && m0.private_kib <= 2560);
    snprintf(val, sizeof val, "%.2f MiB (mostly shared libcrypto, GnuTLS pages)",
             (double)m0.rss / mib);
    bench_info("4. RSS after start", val);
    if (have_floor && have_m0) {
        snprintf(
            val, sizeof val,
            "PSS %.2f MiB, private %.2f MiB, RSS %.2f MiB; the daemon above it: PSS %+.2f MiB, "
            "private %+.2f MiB",
            (double)floor.pss / mib, (double)floor.private_kib / mib, (double)floor.rss / mib,
            (double)(m0.pss - floor.pss) / mib, (double)(m0.private_kib - floor.private_kib) / mib);
    } else {
        snprintf(val, sizeof val, "not measured (memory_floor did not start)");
    }
    bench_info("4. library floor: the daemon's libraries, each used once (memory_floor.c)", val);
    long grow_private = m[2].private_kib - m[0].private_kib, grow_rss = m[2].rss - m[0].rss;
    snprintf(val, sizeof val,
             "private %+.2f MiB (%.2f -> %.2f), RSS %+.2f MiB (%.2f -> %.2f); %llu ok, %llu "
             "errors",
             (double)grow_private / mib, (double)m[0].private_kib / mib,
             (double)m[2].private_kib / mib, (double)grow_rss / mib, (double)m[0].rss / mib,
             (double)m[2].rss / mib, (unsigned long long)ok, (unsigned long long)failed);
    bool answered = ok + failed == 3 * per_phase && failed <= expect_failed + 3;
    failures += !bench_row("4. growth over 200k mixed requests at 64 connections (after 100k)", val,
                           "<= 1 MiB", answered && grow_private <= 1024 && grow_rss <= 1024);
    bench_sim_stop(&sim, false);
    return failures == 0 ? 0 : 3;
}
