/* Figure 5: start-up, from exec to dstack.sock answering Version, with the simulator's files
 * already present (a second start: keys, compose, state and certificates exist). Target:
 * <= 50 ms (median of the runs; the maximum is printed beside it). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "loadgen.h"

#define RUNS 15

static double one_start(const char *dir, const char *sock)
{
    unlink(sock);
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        const char *bin = getenv("DSTACK_BENCH_SIMULATOR");
        if (bin == NULL || bin[0] == '\0') {
            bin = DSTACK_SIMULATOR_BIN;
        }
        freopen("/dev/null", "w", stderr);
        freopen("/dev/null", "w", stdout);
        execl(bin, bin, "--dir", dir, (char *)NULL);
        _exit(127);
    }
    double elapsed = -1;
    while (bench_now() - t0 < 10) {
        char *body = lg_fetch(sock, "GET", "/Version", NULL);
        if (body != NULL) {
            elapsed = bench_now() - t0;
            free(body);
            break;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return -1;
        }
        usleep(200);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return elapsed;
}

int main(void)
{
    struct bench_sim sim;
    if (!bench_sim_start(&sim, NULL, NULL)) { /* first start: creates the files */
        return 1;
    }
    pid_t first = sim.pid;
    sim.pid = -1;
    kill(first, SIGTERM);
    waitpid(first, NULL, 0);

    double t[RUNS];
    size_t n = 0;
    for (int i = 0; i < RUNS; i++) {
        double v = one_start(sim.dir, sim.dstack_sock);
        if (v > 0) {
            t[n++] = v;
        }
    }
    char val[128];
    int failures = 0;
    if (n == 0) {
        bench_row("5. start-up to Version (existing files)", "did not start", "<= 50 ms", false);
        failures++;
    } else {
        double med = bench_median(t, n), max = bench_quantile(t, n, 1.0);
        snprintf(val, sizeof val, "%.1f ms median (max %.1f ms, %zu runs)", med * 1e3, max * 1e3,
                 n);
        failures +=
            !bench_row("5. start-up to Version (existing files)", val, "<= 50 ms", med <= 0.050);
    }
    bench_sim_stop(&sim, false);
    return failures == 0 ? 0 : 3;
}
