#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool socket_accepts(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path) {
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    memcpy(sa.sun_path, path, n + 1);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static const char *simulator_bin(void)
{
    const char *env = getenv("DSTACK_BENCH_SIMULATOR");
    return env != NULL && env[0] != '\0' ? env : DSTACK_SIMULATOR_BIN;
}

bool bench_sim_start(struct bench_sim *s, const char *dir, const char *const *extra)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    if (dir != NULL) {
        snprintf(s->dir, sizeof s->dir, "%s", dir);
    } else {
        snprintf(s->dir, sizeof s->dir, "/tmp/dstack-bench-XXXXXX");
        if (mkdtemp(s->dir) == NULL) {
            perror("mkdtemp");
            return false;
        }
        s->own_dir = true;
    }
    snprintf(s->dstack_sock, sizeof s->dstack_sock, "%s/dstack.sock", s->dir);
    snprintf(s->tappd_sock, sizeof s->tappd_sock, "%s/tappd.sock", s->dir);
    unlink(s->dstack_sock); /* a stale socket from a killed run would answer "accepts" */

    const char *argv[48];
    size_t n = 0;
    argv[n++] = simulator_bin();
    argv[n++] = "--dir";
    argv[n++] = s->dir;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 46; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    char log_path[320];
    snprintf(log_path, sizeof log_path, "%s/simulator.log", s->dir);
    s->pid = fork();
    if (s->pid < 0) {
        perror("fork");
        return false;
    }
    if (s->pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 2000; i++) { /* up to 10 s */
        if (socket_accepts(s->dstack_sock)) {
            return true;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "bench: %s exited during start-up (see %s)\n", argv[0], log_path);
            s->pid = -1;
            return false;
        }
        usleep(5000);
    }
    fprintf(stderr, "bench: %s did not open %s\n", argv[0], s->dstack_sock);
    bench_sim_stop(s, true);
    return false;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            remove_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

int bench_sim_stop(struct bench_sim *s, bool keep_dir)
{
    int status = -1;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (waitpid(s->pid, &status, 0) != s->pid) {
            status = -1;
        }
        s->pid = -1;
    }
    if (s->own_dir && !keep_dir && s->dir[0] != '\0') {
        remove_tree(s->dir);
    }
    return status;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime (fields 14, 15) of /proc/<pid>/stat, in clock ticks. */
static double stat_cpu(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (p == NULL || p[1] != ' ' || p[2] == '\0') {
        return -1;
    }
    p += 3; /* past ") " and the one-letter state (field 3) */
    unsigned long long ticks = 0;
    for (int field = 4; field <= 15; field++) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) {
            return -1;
        }
        if (field >= 14) {
            ticks += v;
        }
        p = end;
    }
    return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

double bench_proc_cpu(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL) {
        return -1;
    }
    double total = 0;
    bool any = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char p[300], buf[128];
        snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
        FILE *f = fopen(p, "r");
        if (f == NULL) {
            continue;
        }
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *end;
        unsigned long long ns = strtoull(buf, &end, 10);
        if (end != buf) {
            total += (double)ns / 1e9;
            any = true;
        }
    }
    closedir(d);
    return any ? total : stat_cpu(pid);
}

struct bench_cpu bench_cpu_read(pid_t pid)
{
    struct bench_cpu c = {bench_proc_cpu(pid), stat_cpu(pid)};
    return c;
}

double bench_cpu_delta(struct bench_cpu before, struct bench_cpu after)
{
    double sched = after.sched - before.sched, ticks = after.ticks - before.ticks;
    double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
    /* a tick clock that runs ahead by more than its rounding means threads came and went */
    return ticks > sched * 1.05 + 2 * tick ? ticks : sched;
}

long bench_proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    long kib = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof *v, cmp_double);
    size_t idx = (size_t)(q * (double)n);
    return v[idx < n ? idx : n - 1];
}

double bench_median(const double *v, size_t n)
{
    if (n == 0) {
        return 0;
    }
    double tmp[256];
    size_t m = n < 256 ? n : 256;
    memcpy(tmp, v, m * sizeof *v);
    return bench_quantile(tmp, m, 0.5);
}

static bool g_preliminary(void)
{
    const char *e = getenv("DSTACK_BENCH_PRELIMINARY");
    return e != NULL && e[0] == '1';
}

bool bench_row(const char *figure, const char *measured, const char *target, bool pass)
{
    printf("| %s | %s | %s | %s%s |\n", figure, measured, target, pass ? "PASS" : "FAIL",
           g_preliminary() ? " (prelim.)" : "");
    fflush(stdout);
    return pass;
}

void bench_info(const char *figure, const char *measured)
{
    printf("| %s | %s | - | INFO |\n", figure, measured);
    fflush(stdout);
}

double bench_scale(void)
{
    const char *e = getenv("DSTACK_BENCH_SCALE");
    double s = e != NULL ? strtod(e, NULL) : 1.0;
    return s > 0.001 && s < 1000 ? s : 1.0;
}

uint64_t bench_scaled(uint64_t n)
{
    double v = (double)n * bench_scale();
    return v < 1 ? 1 : (uint64_t)v;
}

bool bench_proc_mem(pid_t pid, struct bench_mem *out)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    *out = (struct bench_mem){0};
    int seen = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        static const struct {
            const char *name;
            size_t field; /* 0 rss, 1 pss, 2 private */
        } keys[] = {{"Rss:", 0}, {"Pss:", 1}, {"Private_Clean:", 2}, {"Private_Dirty:", 2}};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t n = strlen(keys[k].name);
            if (strncmp(line, keys[k].name, n) == 0) {
                long v = strtol(line + n, NULL, 10);
                long *dst = keys[k].field == 0   ? &out->rss
                            : keys[k].field == 1 ? &out->pss
                                                 : &out->private_kib;
                *dst += v;
                seen++;
            }
        }
    }
    fclose(f);
    return seen == 4;
}
