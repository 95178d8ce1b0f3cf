/* Start-up, systemd integration (socket activation, READY/WATCHDOG), signals, shutdown. */
#include "daemon.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "heap_wipe.h"
#include "log.h"
#include "self_probe.h"
#include "server.h"
#include "startup.h"
#include "util/error.h"

#define SHUTDOWN_GRACE_MS 5000
/* Secure heap: a power of two, far above the few dozen 32-byte scalars and their PEM buffers the
 * agent ever holds at once, and within the 64 KiB RLIMIT_MEMLOCK of older systems together with
 * the keys file's page. */
#define DAEMON_SECURE_HEAP (32 * 1024)
#define DAEMON_SECURE_MIN 16

/* Upstream's watchdog probes its own Version endpoint before every ping (docs/configuration.md). */
static bool probe_first_listener(const struct server *srv)
{
    const struct listener *l = &srv->listeners[0];
    return srv->count > 0 && l->fd >= 0 &&
           self_probe(l->fd, l->cfg->api == API_TAPPD ? "/prpc/Version" : "/Version", 2000);
}

/* Socket activation: fd 3 serves the first listener (dstack), fd 4 the second (tappd), as
 * upstream's dstack-guest-agent.socket orders them. */
static size_t activated_fds(int fds[CONFIG_MAX_LISTENERS])
{
    int n = sd_listen_fds(1);
    if (n <= 0) {
        return 0;
    }
    size_t count = (size_t)n < CONFIG_MAX_LISTENERS ? (size_t)n : CONFIG_MAX_LISTENERS;
    for (size_t i = 0; i < count; i++) {
        fds[i] = SD_LISTEN_FDS_START + (int)i;
    }
    return count;
}

static void wait_for_signal(const struct agent_config *cfg, const struct server *srv,
                            const sigset_t *set)
{
    uint64_t wd_usec = 0;
    bool watchdog = cfg->watchdog && sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0;
    struct timespec period = {1, 0};
    if (watchdog) {
        uint64_t half = wd_usec / 2 > 1000000 ? wd_usec / 2 : 1000000;
        period.tv_sec = (time_t)(half / 1000000);
        period.tv_nsec = (long)(half % 1000000) * 1000;
    }
    for (;;) {
        int sig = watchdog ? sigtimedwait(set, NULL, &period) : sigwaitinfo(set, NULL);
        if (sig > 0) {
            log_info("received signal %d, shutting down", sig);
            return;
        }
        if (watchdog && errno == EAGAIN) {
            if (probe_first_listener(srv)) {
                sd_notify(0, "WATCHDOG=1");
            } else {
                log_warn("watchdog: self-probe of %s failed", cfg->listeners[0].address);
            }
        }
    }
}

/* --log-level wins; then RUST_LOG, as upstream's systemd unit sets it; else info (the files'
 * log_level is not read: docs/configuration.md, "Logging"). Then what the configuration means
 * that a user should know at start-up. */
static void apply_log_level(const struct agent_config *cfg, bool simulator)
{
    const char *rust_log = getenv("RUST_LOG");
    log_set_level((enum log_level)cfg->log_level);
    if (!cfg->log_level_flag && rust_log != NULL && rust_log[0] != '\0' &&
        log_set_filter(rust_log) != DSTACK_OK) {
        log_warn("RUST_LOG=%.100s: %.200s; logging at %s", rust_log, err_text(),
                 log_level_name((enum log_level)cfg->log_level));
    }
    if (simulator && cfg->attestation_file[0] != '\0') { /* upstream's simulator says the same */
        log_warn("simulator serves %s; patch_report_data = %s", cfg->attestation_file,
                 cfg->keep_report_data ? "false" : "true");
        log_warn(
            !cfg->keep_report_data
                ? "simulator will rewrite report_data to match requests; quote verification "
                  "may fail against the original fixture signature"
                : "simulator will preserve fixture report_data; cert/key binding and requested "
                  "report_data may not match");
    }
}

int daemon_main(int argc, char **argv, bool simulator, daemon_hook after_open)
{
    static struct agent_config cfg;
    static struct agent agent;
    static struct server server;

    /* Before anything allocates through cJSON or OpenSSL: their freed blocks are wiped. */
    bool wiping = heap_wipe_install();
    log_init(simulator ? "dstack_guest_agent_simulator" : "dstack_guest_agent");
    config_defaults(&cfg, simulator);
    int rc = config_parse_args(&cfg, simulator, argc, argv);
    if (rc != 0) {
        if (rc < 0) {
            fprintf(stderr, "error: %s\n", err_text());
        }
        return rc < 0 ? 2 : 0;
    }
    if (config_finish(&cfg, simulator) != DSTACK_OK) {
        fprintf(stderr, "error: %s\n", err_text());
        return 2;
    }
    apply_log_level(&cfg, simulator);
    if (!wiping) {
        log_warn("OpenSSL allocated before its memory functions were set: its freed blocks are "
                 "not wiped");
    }
    /* The process holds app keys: no core dumps, no ptrace by other users. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* OpenSSL's own copies of private keys (BN_secure_new: EC scalars, decoded PEM) go to its
     * secure heap: locked, MADV_DONTDUMP, wiped on free (docs/security.md, "Keys in memory"). */
    int secure = CRYPTO_secure_malloc_init(DAEMON_SECURE_HEAP, DAEMON_SECURE_MIN);
    if (secure != 1) {
        log_warn("OpenSSL secure heap %s: key copies of OpenSSL stay in ordinary memory",
                 secure == 2 ? "not locked (RLIMIT_MEMLOCK)" : "unavailable");
    }

    /* Signals are taken synchronously by the main thread; every other thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (agent_open(&agent, &cfg) != DSTACK_OK) {
        log_error("start-up failed: %s", err_text());
        return 1;
    }
    if (after_open != NULL) {
        after_open(&agent, &cfg);
    }
    int fds[CONFIG_MAX_LISTENERS];
    size_t n_fds = activated_fds(fds);
    if (server_start(&server, &agent, fds, n_fds) != DSTACK_OK) {
        log_error("start-up failed: %s", err_text());
        agent_close(&agent);
        return 1;
    }
    log_info("%s %s ready (%s backend)", simulator ? "dstack-simulator" : "dstack-guest-agent",
             DSTACK_WIRE_VERSION, agent.tee->name);
    sd_notify(0, "READY=1");

    wait_for_signal(&cfg, &server, &set);

    sd_notify(0, "STOPPING=1");
    server_stop(&server, SHUTDOWN_GRACE_MS);
    agent_close(&agent);
    log_info("stopped");
    return 0;
}
