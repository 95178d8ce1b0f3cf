/* The agent's configuration files (agent/config_file.c): upstream's own dstack.toml files as they
 * are, upstream's search order with files in each place, profiles and address forms, limits,
 * unknown keys warned about by name, and RUST_LOG levels and targets (internal/log). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "util/error.h"

static char scratch[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

/* Runs config_load_file with stderr captured; returns rc, the log in out. */
static int load_capturing(struct agent_config *cfg, const char *path, char *out, size_t cap)
{
    char log_path[128];
    snprintf(log_path, sizeof log_path, "%s/stderr.log", scratch);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    int rc = config_load_file(cfg, path);
    dup2(saved, 2);
    close(saved);
    close(fd);
    size_t len;
    char *text = check_read_file(log_path, &len);
    snprintf(out, cap, "%s", text ? text : "");
    free(text);
    return rc;
}

static void upstream_simulator_toml(void)
{
    struct agent_config cfg;
    char log[4096];
    config_defaults(&cfg, true);
    int rc = load_capturing(&cfg, check_fixture("upstream/simulator/dstack.toml"), log, sizeof log);
    CHECK(rc == 0);
    CHECK_STR(cfg.server_ident, "dstack Simulator");
    /* log_level = "debug" is upstream's and logs nothing at debug there: not read here. */
    CHECK(cfg.threads == 8 && cfg.idle_timeout == 10 && cfg.log_level == LOG_INFO);
    CHECK_STR(cfg.keys_file, "appkeys.json");
    CHECK_STR(cfg.compose_file, "app-compose.json");
    CHECK_STR(cfg.sys_config_file, "sys-config.json");
    CHECK(cfg.n_data_disks == 1);
    CHECK_STR(cfg.data_disks[0], "/");
    CHECK_STR(cfg.attestation_file, "attestation.bin");
    CHECK(!cfg.keep_report_data); /* patch_report_data = true */
    CHECK(cfg.n_listeners == 3);
    CHECK_STR(cfg.listeners[0].address, "unix:./dstack.sock");
    CHECK_STR(cfg.listeners[1].address, "unix:./tappd.sock");
    CHECK_STR(cfg.listeners[2].address, "unix:./external.sock");
    CHECK(cfg.listeners[0].reuse && cfg.listeners[1].reuse && cfg.listeners[2].reuse);
    CHECK(cfg.guest_api_configured);
    CHECK_STR(cfg.guest_api.address, "unix:./guest.sock");
    /* The three keys upstream's file has that nothing here uses, each named once. */
    CHECK(strstr(log, "default.max_blocking (line 7) is not used here") != NULL);
    CHECK(strstr(log, "default.temp_dir (line 9) is not used here") != NULL);
    CHECK(strstr(log, "default.log_level (line 11) is not used here: it sets the level of "
                      "Rocket's own logger, which upstream never installs") != NULL);
    CHECK(strstr(log, "data_disks") == NULL);
    CHECK(strstr(log, "external") == NULL);
    CHECK(strstr(log, "unknown key") == NULL);
}

static void upstream_agent_toml(void)
{
    struct agent_config cfg;
    char log[4096];
    config_defaults(&cfg, false);
    CHECK(load_capturing(&cfg, check_fixture("upstream/agent/dstack.toml"), log, sizeof log) == 0);
    CHECK_STR(cfg.server_ident, "dstack guest agent");
    CHECK_STR(cfg.keys_file, "/dstack/.host-shared/.appkeys.json");
    CHECK_STR(cfg.listeners[0].address, "unix:/var/run/dstack/dstack.sock");
    CHECK_STR(cfg.listeners[1].address, "unix:/var/run/dstack/tappd.sock");
    CHECK_STR(cfg.listeners[2].address, "0.0.0.0:8090");
    CHECK(cfg.guest_api_configured);
    CHECK_STR(cfg.guest_api.address, "vsock:4294967295:8000");
    CHECK(cfg.n_data_disks == 1 && strcmp(cfg.data_disks[0], "/") == 0);
    CHECK(strstr(log, "max_blocking") != NULL && strstr(log, "unknown key") == NULL);
    CHECK(cfg.log_level == LOG_INFO && strstr(log, "default.log_level (line 11) is not used"));
    CHECK(config_finish(&cfg, false) == 0);
}

/* Each place upstream searches, then -c: the later file wins key by key. */
static void search_order(void)
{
    char etc[128], cwd[128], leaf[128], path[192];
    snprintf(etc, sizeof etc, "%s/etc", scratch);
    snprintf(cwd, sizeof cwd, "%s/cwd", scratch);
    mkdir(etc, 0700);
    mkdir(cwd, 0700);
    snprintf(path, sizeof path, "%s/dstack.toml", etc);
    write_file(path, "[default]\nident = \"etc-toml\"\nworkers = 1\nkeep_alive = 2\n"
                     "[default.core]\nkeys_file = \"etc-keys\"\n");
    snprintf(path, sizeof path, "%s/dstack.json", etc);
    write_file(path, "{\"default\": {\"ident\": \"etc-json\", \"workers\": 3}}");
    snprintf(path, sizeof path, "%s/dstack.toml", cwd);
    write_file(path, "[default]\nident = \"cwd-toml\"\n");
    snprintf(path, sizeof path, "%s/dstack.json", cwd);
    write_file(path,
               "{\"default\": {\"ident\": \"cwd-json\", \"core\": {\"compose_file\": \"c\"}}}");
    snprintf(leaf, sizeof leaf, "%s/leaf.conf", scratch); /* TOML, told by content */
    write_file(leaf, "# leaf\n[default]\nident = \"leaf\"\n");

    struct agent_config cfg;
    const char *const dirs[] = {etc, cwd, NULL};
    config_defaults(&cfg, false);
    CHECK(config_load_search(&cfg, dirs) == 0);
    CHECK_STR(cfg.server_ident, "cwd-json");
    CHECK(cfg.threads == 3 && cfg.idle_timeout == 2);
    CHECK_STR(cfg.keys_file, "etc-keys");
    CHECK_STR(cfg.compose_file, "c");
    CHECK(config_load_file(&cfg, leaf) == 0);
    CHECK_STR(cfg.server_ident, "leaf");

    /* Only the first folder: its JSON is read after its TOML. */
    const char *const only_etc[] = {etc, NULL};
    config_defaults(&cfg, false);
    CHECK(config_load_search(&cfg, only_etc) == 0);
    CHECK_STR(cfg.server_ident, "etc-json");

    /* A broken file in the search stops start-up naming it and the place. */
    snprintf(path, sizeof path, "%s/dstack.toml", cwd);
    write_file(path, "[default]\nworkers = 1.5\n");
    config_defaults(&cfg, false);
    CHECK(config_load_search(&cfg, dirs) != DSTACK_OK);
    CHECK(strstr(err_text(), "cwd/dstack.toml: line 2, column 11: floats are not supported") !=
          NULL);

    /* The working folder through the command line, then -c over it. */
    write_file(path, "[internal]\naddress = \"unix:/tmp/from-cwd.sock\"\n");
    char old[512];
    CHECK(getcwd(old, sizeof old) != NULL);
    CHECK(chdir(cwd) == 0);
    config_defaults(&cfg, false);
    char *argv[] = {"agent", "--ident", "flag", NULL};
    CHECK(config_parse_args(&cfg, false, 3, argv) == 0);
    CHECK_STR(cfg.listeners[0].address, "unix:/tmp/from-cwd.sock");
    CHECK_STR(cfg.server_ident, "flag"); /* flags over every file */
    config_defaults(&cfg, false);
    char *argv2[] = {"agent", "-c", leaf, NULL};
    CHECK(config_parse_args(&cfg, false, 3, argv2) == 0);
    CHECK_STR(cfg.server_ident, "leaf");
    CHECK(chdir(old) == 0);
}

static const struct {
    const char *text;
    const char *err; /* NULL: accepted */
} profile_cases[] = {
    {"[external]\naddress = \"::\"\nport = 9000\n", NULL},
    {"[external]\naddress = \"vsock:3\"\nport = 1\n", "vsock listeners serve only the Guest API"},
    {"[guest-api]\naddress = \"vsock:0xg\"\nport = 1\n", "expected vsock:CID"},
    {"[guest-api]\naddress = \"vsock:4294967296\"\nport = 1\n", "expected vsock:CID"},
    {"[internal]\nport = 70000\n", "internal.port must be an integer between 0 and 65535"},
    {"[internal]\nport = 80\n", "internal.port needs an address"},
    {"[internal]\nreuse = \"yes\"\n", "internal.reuse must be true or false"},
    {"[internal]\nkeep_alive = 0\n", NULL}, /* Rocket: keep-alive off (keep_alive_off) */
    {"[default]\nkeep_alive = 0\n", NULL},
    {"[internal]\nkeep_alive = -1\n", "internal.keep_alive must be an integer"},
    {"[internal]\nmethods = []\n", "the method list is empty, so it would serve nothing"},
    {"[default.limits]\nGetQuote = \"1 parsec\"\n", "default.limits.GetQuote must be a size"},
    {"[default.limits]\nGetQuote = \"2GiB\"\n", "must be a size up to 1GiB"},
    {"[default]\nlog_level = \"loud\"\n", "unknown level \"loud\""},
    {"[default]\nlog_level = \"normal\"\n", NULL},
    {"[default.core]\ndata_disks = [\"relative\"]\n", "data_disks[0] must be an absolute path"},
    {"[default.core]\ndata_disks = \"/\"\n", "data_disks must be an array"},
    {"[default.core.simulator]\npatch_report_data = 1\n", "patch_report_data must be true"},
    {"default = 1\n", "default must be a table"},
    {"[default.core.simulator]\nmock_attestation_seed = \"aa\"\n",
     "mock_attestation_seed must be 64 hex digits (32 bytes), as upstream's; got 2"},
    {"[default.core.simulator]\nmock_attestation_seed = "
     "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\"\n",
     "mock_attestation_seed must be 64 hex digits"},
    {"[default.core.simulator]\nmock_attestation_seed = "
     "\"0123456789abcdef0123456789abcdef0123456789ABCDEF0123456789abcdef\"\n",
     NULL},
};

static void profiles(void)
{
    char path[128], log[4096];
    snprintf(path, sizeof path, "%s/profile.toml", scratch);
    for (size_t i = 0; i < sizeof profile_cases / sizeof profile_cases[0]; i++) {
        struct agent_config cfg;
        config_defaults(&cfg, false);
        write_file(path, profile_cases[i].text);
        int rc = load_capturing(&cfg, path, log, sizeof log);
        if (rc == 0) {
            rc = config_finish(&cfg, false);
        }
        bool ok = profile_cases[i].err == NULL
                      ? rc == 0
                      : rc != 0 && strstr(err_text(), profile_cases[i].err);
        if (!ok) {
            fprintf(stderr, "profile case %zu: rc %d, %s\n", i, rc, err_text());
        }
        CHECK(ok);
    }
    struct agent_config cfg;
    config_defaults(&cfg, false);
    write_file(path, "[external]\naddress = \"::\"\nport = 9000\nkeep_alive = 7\n"
                     "[guest-api]\naddress = \"vsock:2\"\nport = 8000\n"
                     "[internal]\naddress = \"127.0.0.1\"\n");
    CHECK(load_capturing(&cfg, path, log, sizeof log) == 0);
    CHECK_STR(cfg.listeners[2].address, "[::]:9000");
    CHECK(cfg.listeners[2].keep_alive == 7 && cfg.listeners[0].keep_alive == 0);
    CHECK_STR(cfg.guest_api.address, "vsock:2:8000");
    CHECK_STR(cfg.listeners[0].address, "127.0.0.1:8000"); /* Rocket's default port */
}

/* keep_alive = 0 is Rocket's "keep-alive off": in a profile for its listener; in [default] for
 * every listener without a keep_alive of its own, whose idle limit stays as it was. */
static void keep_alive_off(void)
{
    char path[128], log[4096];
    snprintf(path, sizeof path, "%s/keepalive.toml", scratch);
    write_file(path, "[default]\nkeep_alive = 0\n[external]\nkeep_alive = 9\n");
    struct agent_config cfg;
    config_defaults(&cfg, false);
    CHECK(load_capturing(&cfg, path, log, sizeof log) == 0);
    CHECK(config_finish(&cfg, false) == 0);
    CHECK(cfg.idle_timeout == 15);
    CHECK(cfg.listeners[0].no_keep_alive && cfg.listeners[1].no_keep_alive);
    CHECK(!cfg.listeners[2].no_keep_alive && cfg.listeners[2].keep_alive == 9); /* its own */
    CHECK(cfg.listeners[3].api == API_GUEST && cfg.listeners[3].no_keep_alive);

    write_file(path, "[internal]\nkeep_alive = 0\n");
    config_defaults(&cfg, false);
    CHECK(load_capturing(&cfg, path, log, sizeof log) == 0);
    CHECK(config_finish(&cfg, false) == 0);
    CHECK(cfg.listeners[0].no_keep_alive && !cfg.listeners[1].no_keep_alive);
    /* a later file's keep_alive = 5 turns it back on */
    write_file(path, "[internal]\nkeep_alive = 5\n");
    CHECK(load_capturing(&cfg, path, log, sizeof log) == 0);
    CHECK(!cfg.listeners[0].no_keep_alive && cfg.listeners[0].keep_alive == 5);
}

/* limits.<Method>: upstream's per-method body caps, Rocket's ByteUnit syntax. */
static void limits(void)
{
    char path[128], log[4096];
    snprintf(path, sizeof path, "%s/limits.toml", scratch);
    write_file(path, "[default.limits]\nGetQuote = \"1KiB\"\nGetKey = 100\njson = \"1MiB\"\n"
                     "Attest = \"1.5 kB\"\n[internal]\nlimits.GetQuote = \"2 KiB\"\n"
                     "[internal-v0.limits]\nTdxQuote = \"10MB\"\nGetQuote = 5\n");
    struct agent_config cfg;
    config_defaults(&cfg, false);
    CHECK(load_capturing(&cfg, path, log, sizeof log) == 0);
    const struct listener_config *dstack = &cfg.listeners[0], *tappd = &cfg.listeners[1];
    CHECK(config_body_limit(&cfg, dstack, "GetQuote") == 2048); /* the profile's */
    CHECK(config_body_limit(&cfg, dstack, "GetKey") == 100);    /* [default]'s */
    CHECK(config_body_limit(&cfg, dstack, "Attest") == 1500);
    CHECK(config_body_limit(&cfg, dstack, "Info") == 10u * 1024 * 1024);
    CHECK(config_body_limit(&cfg, dstack, NULL) == 10u * 1024 * 1024);
    CHECK(config_body_limit(&cfg, tappd, "TdxQuote") == 10000000);
    CHECK(config_body_limit(&cfg, &cfg.listeners[2], "GetQuote") == 1024);
    /* Rocket's own limit names and methods another API has are named, not applied. */
    CHECK(strstr(log, "unknown key default.limits.json (line 4)") != NULL);
    CHECK(strstr(log, "unknown key internal-v0.limits.GetQuote (line 10)") != NULL);
}

static void unknown_keys(void)
{
    char path[128], log[4096];
    snprintf(path, sizeof path, "%s/unknown.json", scratch);
    write_file(path, "{\"default\": {\"workerz\": 2, \"core\": {\"keys_fil\": \"x\"}},"
                     " \"intenal\": {\"address\": \"unix:/x\"}, \"external\": {\"port\": 1,"
                     " \"extra\": true}}");
    struct agent_config cfg;
    config_defaults(&cfg, false);
    CHECK(load_capturing(&cfg, path, log, sizeof log) == 0);
    CHECK(strstr(log, "unknown key default.workerz is not used") != NULL);
    CHECK(strstr(log, "unknown key default.core.keys_fil is not used") != NULL);
    CHECK(strstr(log, "unknown key intenal is not used") != NULL);
    CHECK(strstr(log, "unknown key external.extra is not used") != NULL);
    CHECK(strstr(log, "external.port") == NULL);
    CHECK_STR(cfg.listeners[2].address, "0.0.0.0:1");
}

/* RUST_LOG as env_logger reads it: a level, a target, target=level lists; longest target wins;
 * without a bare level, targets nobody names are off. */
static const struct {
    const char *spec, *target;
    int rc;
    enum log_level want;
} rust_log_cases[] = {
    {"debug", "dstack_guest_agent", 0, LOG_DEBUG},
    {"WARN", "dstack_guest_agent", 0, LOG_WARN},
    {"off", "dstack_guest_agent", 0, LOG_OFF},
    {"dstack_guest_agent=trace", "dstack_guest_agent", 0, LOG_TRACE},
    {"dstack_guest_agent=trace", "rocket", 0, LOG_OFF},
    {"info,dstack_guest_agent=error", "dstack_guest_agent", 0, LOG_ERROR},
    {"info,dstack_guest_agent=error", "rocket", 0, LOG_INFO},
    {"dstack=debug,dstack_guest_agent=warn", "dstack_guest_agent", 0, LOG_WARN},
    {"dstack=debug,dstack_guest_agent=warn", "dstack_guest_agent_simulator", 0, LOG_WARN},
    {"dstack=debug", "dstack_guest_agent_simulator", 0, LOG_DEBUG},
    {"dstack_guest_agent::server=trace", "dstack_guest_agent", 0, LOG_OFF},
    {"rocket=warn, error", "dstack_guest_agent", 0, LOG_ERROR},
    {"dstack_guest_agent", "dstack_guest_agent", 0, LOG_TRACE},
    {"dstack_guest_agnet", "dstack_guest_agent", DSTACK_EINVAL, LOG_INFO},
    {"debgu", "dstack_guest_agent", DSTACK_EINVAL, LOG_INFO},
    {"x=loud", "dstack_guest_agent", DSTACK_EINVAL, LOG_INFO},
    {"=debug", "dstack_guest_agent", DSTACK_EINVAL, LOG_INFO},
    {" , ", "dstack_guest_agent", DSTACK_EINVAL, LOG_INFO},
};

static void rust_log(void)
{
    for (size_t i = 0; i < sizeof rust_log_cases / sizeof rust_log_cases[0]; i++) {
        enum log_level got = LOG_INFO;
        int rc = log_filter_level(rust_log_cases[i].spec, rust_log_cases[i].target, &got);
        if (rc != rust_log_cases[i].rc || got != rust_log_cases[i].want) {
            fprintf(stderr, "RUST_LOG \"%s\" for %s: rc %d level %d (%s)\n", rust_log_cases[i].spec,
                    rust_log_cases[i].target, rc, (int)got, err_text());
        }
        CHECK(rc == rust_log_cases[i].rc && got == rust_log_cases[i].want);
    }
    /* Applied: the program's own target decides which lines are written. */
    log_init("dstack_guest_agent");
    CHECK(log_set_filter("warn,dstack_guest_agent=debug") == 0);
    CHECK(log_enabled(LOG_DEBUG) && !log_enabled(LOG_TRACE));
    CHECK(log_level_for("rocket") == LOG_WARN);
    CHECK(log_set_filter("debgu") != DSTACK_OK &&
          strstr(err_text(), "\"debgu\" is neither a level"));
    CHECK(log_enabled(LOG_DEBUG)); /* a refused value changes nothing */
    log_set_level(LOG_INFO);
    CHECK(log_enabled(LOG_INFO) && !log_enabled(LOG_DEBUG));
}

int main(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/dstack-cfgtest-XXXXXX");
    if (mkdtemp(scratch) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    upstream_simulator_toml();
    upstream_agent_toml();
    search_order();
    profiles();
    keep_alive_off();
    limits();
    unknown_keys();
    rust_log();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    CHECK(system(cmd) == 0);
    return check_exit();
}
