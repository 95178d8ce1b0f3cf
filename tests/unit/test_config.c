#include <unistd.h>

#include "check.h"
#include "config.h"
#include "util/error.h"

static char tmp_path[64];

static const char *write_tmp(const char *text)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/dstack-config-XXXXXX");
    int fd = mkstemp(tmp_path);
    if (fd >= 0) {
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
    }
    return tmp_path;
}

static const struct {
    const char *text;
    const char *err_contains; /* NULL = accepted */
} file_cases[] = {
    {"{\"default\":{\"core\":{\"keys_file\":\"/k.json\",\"compose_file\":\"/c.json\"}}}", NULL},
    {"{\"default\":{\"core\":{\"data_disks\":[\"/\"]}}}", NULL}, /* upstream's agent.json */
    {"{\"internal\":{\"address\":\"unix:/tmp/x.sock\",\"methods\":[\"Version\"]}}", NULL},
    {"{\"listeners\":[{\"address\":\"127.0.0.1\",\"port\":8090,\"api\":\"tappd\"}]}", NULL},
    {"{\"default\":{\"core\":{\"keys_file\":5}}}", "default.core.keys_file must be a string"},
    {"{\"default\":{\"workers\":-1}}", "default.workers must be an integer"},
    {"{\"default\":{\"log_level\":\"loud\"}}", "unknown level"},
    {"{\"internal\":{\"methods\":[\"NoSuch\"]}}", "unknown method \"NoSuch\""},
    {"{\"listeners\":[{\"api\":\"dstack\"}]}", "listeners[0].address is required"},
    {"{\"listeners\":[{\"address\":\"x:1\",\"api\":\"grpc\"}]}", "unknown API"},
    {"{\"external\":{\"address\":\"127.0.0.1\",\"port\":18090}}", NULL},
    {"{\"listeners\":[{\"address\":\"x:1\",\"api\":\"worker\",\"methods\":[\"GetKey\"]}]}",
     "unknown method \"GetKey\""}, /* the Worker API has no key methods */
    {"{\"listeners\":[{\"address\":\"x:1\",\"mode\":\"999\"}]}", "invalid socket mode"},
    /* [guest-api] as upstream writes it (vsock CID + port), and ours (allow_shutdown) */
    {"{\"guest-api\":{\"address\":\"vsock:0xffffffff\",\"port\":8000}}", NULL},
    {"{\"guest-api\":{\"address\":\"unix:./g.sock\",\"allow_shutdown\":false}}", NULL},
    {"{\"guest-api\":{\"allow_shutdown\":\"yes\"}}", "allow_shutdown"},
    {"{\"guest-api\":{\"poweroff_command\":[\"/bin/true\",\"x\"]}}", NULL},
    {"{\"guest-api\":{\"poweroff_command\":[]}}", "poweroff_command must be an array of 1 to"},
    {"{\"guest-api\":{\"poweroff_command\":\"systemctl poweroff\"}}", "poweroff_command"},
    {"{\"guest-api\":{\"poweroff_command\":[\"\"]}}", "non-empty strings"},
    {"{\"guest-api\":{\"methods\":[\"GetKey\"]}}", "GetKey"},
    {"{\"external\":{\"logs_idle_timeout\":-1}}", "logs_idle_timeout"},
    /* "[1]" alone is a TOML table header now; a JSON array TOML cannot read is still refused. */
    {"[1, 2]", "an object of profiles"},
    {"{\"default\":", "config file"},
    {"{\"a\":1,\"a\":2}", "duplicate"},
    /* default.core.kms (docs/kms.md) */
    {"{\"default\":{\"core\":{\"kms\":{\"connect_timeout_ms\":0}}}}", "at least 1 ms"},
    {"{\"default\":{\"core\":{\"kms\":{\"timeout_ms\":600001}}}}", "default.core.kms.timeout_ms"},
    {"{\"default\":{\"core\":{\"kms\":5}}}", "default.core.kms"},
    /* lib/json's four rules on the configuration path */
    {"{\"default\":{\"log_level\":\"info\xff\"}}", "invalid UTF-8"},
    {"{\"default\":{\"core\":{\"keys_file\":\"/k\\u0000.json\"}}}", "\\u0000 is not allowed"},
    {"{\"default\":{\"workers\":2.0}}", "default.workers: expected an integer"},
    {"{\"default\":{\"workers\":4.5}}", "default.workers: expected an integer"},
    {"{\"default\":{\"workers\":18446744073709551616}}", "default.workers: expected an integer"},
    {"{\"default\":{\"workers\":2,\"workers\":3}}", "default.workers: duplicate key"},
};

/* The KMS limits: upstream's 5 s / 60 s unless the file says otherwise. */
static void test_kms_limits(void)
{
    struct agent_config cfg;
    config_defaults(&cfg, false);
    CHECK(cfg.kms.connect_timeout_ms == 5000 && cfg.kms.timeout_ms == 60000);
    const char *path =
        write_tmp("[default.core.kms]\nconnect_timeout_ms = 250\ntimeout_ms = 1500\n");
    CHECK(config_load_file(&cfg, path) == 0);
    CHECK(cfg.kms.connect_timeout_ms == 250 && cfg.kms.timeout_ms == 1500);
    unlink(path);
}

static void test_files(void)
{
    for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
        struct agent_config cfg;
        config_defaults(&cfg, false);
        const char *path = write_tmp(file_cases[i].text);
        int rc = config_load_file(&cfg, path);
        if (file_cases[i].err_contains == NULL) {
            CHECK(rc == 0);
        } else {
            CHECK(rc != 0 && strstr(err_text(), file_cases[i].err_contains) != NULL);
            CHECK(strstr(err_text(), path) != NULL); /* the message names the file */
            if (rc == 0 || strstr(err_text(), file_cases[i].err_contains) == NULL) {
                fprintf(stderr, "case %zu: %s\n", i, err_text());
            }
        }
        unlink(path);
    }
    struct agent_config cfg;
    config_defaults(&cfg, false);
    CHECK(config_load_file(&cfg, "/nonexistent/dstack.json") != 0);
    CHECK(strstr(err_text(), "/nonexistent/dstack.json") != NULL);
}

static void test_args(void)
{
    struct agent_config cfg;
    config_defaults(&cfg, true);
    char *argv[] = {
        "sim",          "--dir",     "/tmp/simdir", "--listen",    "127.0.0.1:8090", "--methods",
        "Version,Info", "--threads", "3",           "--log-level", "debug",          NULL};
    CHECK(config_parse_args(&cfg, true, 11, argv) == 0);
    CHECK(config_finish(&cfg, true) == 0);
    CHECK(cfg.n_listeners == 5);
    CHECK_STR(cfg.listeners[0].address, "unix:/tmp/simdir/dstack.sock");
    CHECK_STR(cfg.listeners[1].address, "unix:/tmp/simdir/tappd.sock");
    CHECK_STR(cfg.listeners[2].address, "unix:/tmp/simdir/external.sock");
    CHECK(cfg.listeners[2].api == API_WORKER);
    CHECK_STR(cfg.listeners[3].address, "127.0.0.1:8090");
    CHECK(cfg.listeners[3].n_methods == 2);
    /* upstream's simulator's guest.sock, last; Shutdown refused by default there */
    CHECK_STR(cfg.listeners[4].address, "unix:/tmp/simdir/guest.sock");
    CHECK(cfg.listeners[4].api == API_GUEST);
    CHECK(!cfg.guest_allow_shutdown);
    CHECK_STR(cfg.keys_file, "/tmp/simdir/appkeys.json");
    CHECK(cfg.threads == 3);

    static const struct {
        const char *a, *b;
        const char *err_contains;
    } bad[] = {
        {"--threads", "x", "--threads: invalid value"},
        {"--idle-timeout", "0", "at least 1 second"},
        {"--methods", "Version", "--methods must follow --listen"},
        {"--log-level", "chatty", "unknown level"},
        {"--socket-mode", "9", "invalid socket mode"},
        {"--bogus", "1", "unknown or incomplete option"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config_defaults(&cfg, true);
        char *av[] = {"sim", (char *)bad[i].a, (char *)bad[i].b, NULL};
        CHECK(config_parse_args(&cfg, true, 3, av) == -1);
        CHECK(strstr(err_text(), bad[i].err_contains) != NULL);
    }
    config_defaults(&cfg, true);
    char *none[] = {"sim", "--no-default-listeners", NULL};
    CHECK(config_parse_args(&cfg, true, 2, none) == 0);
    CHECK(config_finish(&cfg, true) != DSTACK_OK && strstr(err_text(), "no listener") != NULL);
}

/* [guest-api] in upstream's TOML moves the guest listener, which config_finish serves last;
 * --no-default-listeners drops it. */
static void test_guest_api(void)
{
    struct agent_config cfg;
    config_defaults(&cfg, false);
    CHECK(cfg.guest_allow_shutdown);
    CHECK(cfg.n_poweroff == 2 && strcmp(cfg.poweroff_argv[0], "systemctl") == 0 &&
          strcmp(cfg.poweroff_argv[1], "poweroff") == 0); /* upstream's */
    CHECK(cfg.logs_idle_timeout == 600);
    const char *path = write_tmp("[guest-api]\naddress = \"vsock:3\"\nport = 8001\n"
                                 "allow_shutdown = false\n[external]\nlogs_idle_timeout = 5\n");
    CHECK(config_load_file(&cfg, path) == 0);
    unlink(path);
    CHECK(config_finish(&cfg, false) == 0);
    const struct listener_config *g = &cfg.listeners[cfg.n_listeners - 1];
    CHECK_STR(g->address, "vsock:3:8001");
    CHECK(g->api == API_GUEST);
    CHECK(!cfg.guest_allow_shutdown);
    CHECK(cfg.logs_idle_timeout == 5);

    config_defaults(&cfg, false);
    char *argv[] = {"agent", "--no-default-listeners", "--listen", "unix:/tmp/a.sock", NULL};
    CHECK(config_parse_args(&cfg, false, 4, argv) == 0);
    CHECK(config_finish(&cfg, false) == 0);
    CHECK(cfg.n_listeners == 1 && cfg.listeners[0].api == API_DSTACK);
}

/* --socket-mode before any --listen* reaches every unix listener, whatever comes after it:
 * the defaults, the guest-api one (appended by config_finish) and listeners added later; one
 * right after a --listen* is that listener's alone. */
static void test_socket_mode_order(void)
{
    struct agent_config cfg;
    config_defaults(&cfg, true);
    char *argv[] = {"sim",
                    "--socket-mode",
                    "0600",
                    "--listen",
                    "unix:/tmp/a.sock",
                    "--listen",
                    "unix:/tmp/b.sock",
                    "--socket-mode",
                    "0640",
                    "--listen-guest",
                    "unix:/tmp/g.sock",
                    NULL};
    CHECK(config_parse_args(&cfg, true, 11, argv) == 0);
    CHECK(config_finish(&cfg, true) == 0);
    CHECK(cfg.n_listeners == 7);
    for (size_t i = 0; i < cfg.n_listeners; i++) {
        const struct listener_config *l = &cfg.listeners[i];
        unsigned want = strcmp(l->address, "unix:/tmp/b.sock") == 0 ? 0640u : 0600u;
        if (l->mode != want) {
            fprintf(stderr, "listener %s: mode %o, want %o\n", l->address, l->mode, want);
        }
        CHECK(l->mode == want);
    }
    /* the default guest.sock, last */
    CHECK(strstr(cfg.listeners[6].address, "guest.sock") != NULL);
    CHECK(cfg.listeners[6].api == API_GUEST && cfg.listeners[6].mode == 0600);

    /* after a --listen: that listener's alone */
    config_defaults(&cfg, false);
    char *argv3[] = {"agent", "--listen", "unix:/tmp/a.sock", "--socket-mode", "0660", NULL};
    CHECK(config_parse_args(&cfg, false, 5, argv3) == 0);
    CHECK(config_finish(&cfg, false) == 0);
    CHECK(cfg.listeners[0].mode == 0777 && cfg.listeners[3].mode == 0660);
    CHECK(cfg.listeners[cfg.n_listeners - 1].api == API_GUEST);
    CHECK(cfg.listeners[cfg.n_listeners - 1].mode == 0777);
}

int main(void)
{
    test_socket_mode_order();
    test_kms_limits();
    test_guest_api();
    test_files();
    test_args();
    return check_exit();
}
