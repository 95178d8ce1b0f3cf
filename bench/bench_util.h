/* Shared helpers of the benchmark programs: the simulator as a child process, CPU time and RSS
 * of another process from /proc, clocks, percentiles and the result table. Benchmarks print;
 * nothing here is a test. */
#ifndef DSTACK_BENCH_UTIL_H
#define DSTACK_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bench_sim {
    char dir[256];
    char dstack_sock[300];
    char tappd_sock[300];
    pid_t pid;
    bool own_dir; /* remove the folder on stop */
};

/* Starts dstack-simulator (DSTACK_SIMULATOR_BIN, or $DSTACK_BENCH_SIMULATOR) in dir (NULL = a new
 * temporary folder), with extra arguments (NULL-terminated, may be NULL), and waits until
 * dstack.sock accepts a connection. Returns false with a message on stderr. */
bool bench_sim_start(struct bench_sim *s, const char *dir, const char *const *extra);
/* SIGTERM, wait; removes the folder when bench_sim_start made it (keep_dir = false). */
int bench_sim_stop(struct bench_sim *s, bool keep_dir);

/* Monotonic wall clock in seconds / nanoseconds. */
double bench_now(void);
uint64_t bench_now_ns(void);
/* CPU time (user + system) this process has used, in seconds (getrusage). */
double bench_self_cpu(void);
/* CPU time of every thread of pid, in seconds: the sum of /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds; falls back to /proc/<pid>/stat clock ticks). Negative on failure. Threads that
 * exited are not counted, so measure across a window in which the process keeps its threads
 * (libmicrohttpd's pool lives as long as the daemon). */
double bench_proc_cpu(pid_t pid);
/* A reading of both clocks: the precise per-thread sum above and the coarse whole-process
 * /proc/<pid>/stat ticks, which keep the time of threads that exited (thread-per-connection
 * servers). bench_cpu_delta uses the precise one unless the coarse one shows more. */
struct bench_cpu {
    double sched, ticks;
};
struct bench_cpu bench_cpu_read(pid_t pid);
double bench_cpu_delta(struct bench_cpu before, struct bench_cpu after);
/* VmRSS of pid in KiB; 0 on failure. */
long bench_proc_rss_kib(pid_t pid);

/* What a process costs the machine, from /proc/<pid>/smaps_rollup (KiB): Rss, Pss (shared pages
 * divided among their users) and private = Private_Clean + Private_Dirty. false when unreadable. */
struct bench_mem {
    long rss, pss, private_kib;
};
bool bench_proc_mem(pid_t pid, struct bench_mem *out);

/* Sorts v in place and returns the q-quantile (0..1), nearest rank. 0 when n == 0. */
double bench_quantile(double *v, size_t n, double q);
/* Median of n values (copied, the input is left alone). */
double bench_median(const double *v, size_t n);

/* One row of the result table, printed to stdout as a Markdown table line
 *   | figure | measured | target | PASS/FAIL |
 * "INFO" rows carry context without a target. Returns pass. */
bool bench_row(const char *figure, const char *measured, const char *target, bool pass);
void bench_info(const char *figure, const char *measured);

/* Scale of the loops: $DSTACK_BENCH_SCALE (default 1.0) multiplies every iteration count, so a
 * quick smoke run (0.1) and a careful one (3) use the same programs. */
double bench_scale(void);
uint64_t bench_scaled(uint64_t n);

#endif
