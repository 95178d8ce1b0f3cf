/* dstack-quote-sidecar configuration: environment (both spellings of the variables,
 * docs/sidecar.md), flags over the environment, port/host validation, RUST_LOG levels. */
#include "check.h"
#include "sc_config.h"
#include "log.h"
#include "util/error.h"

static void test_defaults(void)
{
    struct sc_config c;
    sc_config_defaults(&c);
    char *env[] = {"PATH=/bin", NULL};
    CHECK(sc_config_from_env(&c, env) == 0);
    CHECK_STR(c.host, "0.0.0.0");
    CHECK(c.port == 9999);
    CHECK_STR(c.endpoint, "");
    CHECK(c.log_level == LOG_INFO);
    CHECK(c.agent_concurrency == SC_DEFAULT_AGENT_CONCURRENCY);
    CHECK(c.timeout_s == SC_DEFAULT_TIMEOUT_S);
}

static const struct {
    const char *env[4];
    int rc;
    const char *host; /* expected on success */
    unsigned port;
    const char *err; /* expected message on failure */
} env_cases[] = {
    /* The seed README's example, verbatim names. */
    {{"QUOTE_SIDECAR__SERVER__HOST=127.0.0.1", "QUOTE_SIDECAR__SERVER__PORT=8080"},
     0,
     "127.0.0.1",
     8080,
     NULL},
    /* The names upstream's config.rs really reads (prefix_separator "_"). */
    {{"QUOTE_SIDECAR_SERVER__HOST=::1", "QUOTE_SIDECAR_SERVER__PORT=7000"}, 0, "::1", 7000, NULL},
    /* Both spellings, same value: fine. */
    {{"QUOTE_SIDECAR__SERVER__PORT=8080", "QUOTE_SIDECAR_SERVER__PORT=8080"},
     0,
     "0.0.0.0",
     8080,
     NULL},
    {{"QUOTE_SIDECAR__SERVER__HOST=[::1]"}, 0, "::1", 9999, NULL},
    {{"QUOTE_SIDECAR__SERVER__HOST=localhost", "QUOTE_SIDECAR__SERVER__PORT=0"},
     0,
     "localhost",
     0,
     NULL},
    /* Empty counts as unset. */
    {{"QUOTE_SIDECAR__SERVER__PORT=", "QUOTE_SIDECAR__SERVER__HOST="}, 0, "0.0.0.0", 9999, NULL},
    {{"QUOTE_SIDECAR__SERVER__PORT=65535"}, 0, "0.0.0.0", 65535, NULL},
    /* Bad values stop start-up with the variable's name. */
    {{"QUOTE_SIDECAR__SERVER__PORT=65536"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__PORT: invalid port \"65536\" (expected 0-65535)"},
    {{"QUOTE_SIDECAR__SERVER__PORT=abc"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__PORT: invalid port \"abc\" (expected 0-65535)"},
    {{"QUOTE_SIDECAR_SERVER__PORT=-1"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR_SERVER__PORT: invalid port \"-1\" (expected 0-65535)"},
    {{"QUOTE_SIDECAR__SERVER__PORT= 80"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__PORT: invalid port \" 80\" (expected 0-65535)"},
    {{"QUOTE_SIDECAR__SERVER__PORT=8080x"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__PORT: invalid port \"8080x\" (expected 0-65535)"},
    {{"QUOTE_SIDECAR__SERVER__PORT=000008080"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__PORT: invalid port \"000008080\" (expected 0-65535)"},
    {{"QUOTE_SIDECAR__SERVER__HOST=bad host"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__HOST: invalid host \"bad host\" (expected an IP address or a host "
     "name)"},
    {{"QUOTE_SIDECAR_SERVER__HOST=http://x"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR_SERVER__HOST: invalid host \"http://x\" (expected an IP address or a host "
     "name)"},
    {{"QUOTE_SIDECAR__SERVER__HOST=[]"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__HOST: invalid host \"[]\" (expected an IP address or a host name)"},
    {{"QUOTE_SIDECAR__SERVER__PORT=8080", "QUOTE_SIDECAR_SERVER__PORT=9000"},
     DSTACK_EINVAL,
     NULL,
     0,
     "QUOTE_SIDECAR__SERVER__PORT=\"8080\" and QUOTE_SIDECAR_SERVER__PORT=\"9000\" disagree; set "
     "only one of them"},
};

static void test_env(void)
{
    for (size_t i = 0; i < sizeof env_cases / sizeof env_cases[0]; i++) {
        struct sc_config c;
        char *env[5] = {0};
        for (size_t k = 0; k < 4 && env_cases[i].env[k] != NULL; k++) {
            env[k] = (char *)env_cases[i].env[k];
        }
        sc_config_defaults(&c);
        int rc = sc_config_from_env(&c, env);
        if (rc != env_cases[i].rc) {
            fprintf(stderr, "env case %zu: rc %d (%s)\n", i, rc, err_text());
        }
        CHECK(rc == env_cases[i].rc);
        if (env_cases[i].rc == 0) {
            CHECK_STR(c.host, env_cases[i].host);
            CHECK(c.port == env_cases[i].port);
        } else {
            CHECK_STR(err_text(), env_cases[i].err);
        }
    }
}

static const struct {
    const char *rust_log;
    int rc;
    enum log_level level;
} log_cases[] = {
    {"error", 0, LOG_ERROR},
    {"warn", 0, LOG_WARN},
    {"info", 0, LOG_INFO},
    {"debug", 0, LOG_DEBUG},
    {"trace", 0, LOG_TRACE},
    {"off", 0, LOG_OFF},
    {"DEBUG", 0, LOG_DEBUG},
    {"dstack_quote_sidecar=debug,tower_http=warn", 0, LOG_DEBUG},
    {"warn, dstack_quote_sidecar=trace", 0, LOG_TRACE},
    {"dstack_quote_sidecar", 0, LOG_TRACE},
    {"info,,", 0, LOG_INFO},
    {"debgu", DSTACK_EINVAL, LOG_INFO},
    {"x=loud", DSTACK_EINVAL, LOG_INFO},
    {"", DSTACK_EINVAL, LOG_INFO},
    {",", DSTACK_EINVAL, LOG_INFO},
};

static void test_rust_log(void)
{
    for (size_t i = 0; i < sizeof log_cases / sizeof log_cases[0]; i++) {
        enum log_level lv = LOG_INFO;
        int rc = log_filter_level(log_cases[i].rust_log, SC_LOG_TARGET, &lv);
        if (rc != log_cases[i].rc || lv != log_cases[i].level) {
            fprintf(stderr, "RUST_LOG case \"%s\": rc %d level %d\n", log_cases[i].rust_log, rc,
                    (int)lv);
        }
        CHECK(rc == log_cases[i].rc);
        CHECK(lv == log_cases[i].level);
    }
    /* Through the environment: an unreadable value is a warning, not a failure. */
    struct sc_config c;
    sc_config_defaults(&c);
    char *env[] = {"RUST_LOG=debug", NULL};
    CHECK(sc_config_from_env(&c, env) == 0);
    CHECK(c.log_level == LOG_DEBUG);
    CHECK_STR(c.log_warning, "");
    sc_config_defaults(&c);
    char *bad[] = {"RUST_LOG=verbose", NULL};
    CHECK(sc_config_from_env(&c, bad) == 0);
    CHECK(c.log_level == LOG_INFO);
    CHECK(strstr(c.log_warning, "RUST_LOG: cannot read \"verbose\"") == c.log_warning);
}

static enum sc_config_args run_args(struct sc_config *c, char **argv)
{
    int argc = 0;
    while (argv[argc] != NULL) {
        argc++;
    }
    return sc_config_parse_args(c, argc, argv);
}

static void test_args(void)
{
    struct sc_config c;
    sc_config_defaults(&c);
    char *env[] = {"QUOTE_SIDECAR__SERVER__HOST=10.0.0.1", "QUOTE_SIDECAR__SERVER__PORT=8080",
                   "RUST_LOG=nonsense", NULL};
    CHECK(sc_config_from_env(&c, env) == 0);
    /* Flags win over the environment. */
    char *argv1[] = {"sidecar",
                     "--host",
                     "127.0.0.1",
                     "-p",
                     "18080",
                     "--endpoint",
                     "http://127.0.0.1:8090",
                     "--threads",
                     "4",
                     "--agent-concurrency",
                     "2",
                     "--timeout",
                     "5",
                     "--log-level",
                     "warn",
                     NULL};
    CHECK(run_args(&c, argv1) == SC_ARGS_RUN);
    CHECK_STR(c.host, "127.0.0.1");
    CHECK(c.port == 18080);
    CHECK_STR(c.endpoint, "http://127.0.0.1:8090");
    CHECK(c.threads == 4);
    CHECK(c.agent_concurrency == 2);
    CHECK(c.timeout_s == 5);
    CHECK(c.log_level == LOG_WARN);
    CHECK_STR(c.log_warning, ""); /* the flag replaced the unreadable RUST_LOG */

    static const struct {
        char *argv[4];
        enum sc_config_args want;
        const char *err;
    } cases[] = {
        {{"sidecar", "--help"}, SC_ARGS_HELP, NULL},
        {{"sidecar", "-V"}, SC_ARGS_VERSION, NULL},
        {{"sidecar", "--port", "99999"},
         SC_ARGS_ERROR,
         "--port: invalid port \"99999\" (expected 0-65535)"},
        {{"sidecar", "--host", "a b"},
         SC_ARGS_ERROR,
         "--host: invalid host \"a b\" (expected an IP address or a host name)"},
        {{"sidecar", "--threads", "0"}, SC_ARGS_ERROR, "--threads: invalid value \"0\" (1-1024)"},
        {{"sidecar", "--agent-concurrency", "x"},
         SC_ARGS_ERROR,
         "--agent-concurrency: invalid value \"x\" (1-1024)"},
        {{"sidecar", "--timeout", "-3"}, SC_ARGS_ERROR, "--timeout: invalid value \"-3\" (1-3600)"},
        {{"sidecar", "--log-level", "loud"},
         SC_ARGS_ERROR,
         "--log-level: unknown level \"loud\" (off, error, warn, info, debug, trace)"},
        {{"sidecar", "--bogus"}, SC_ARGS_ERROR, "unknown option --bogus (see --help)"},
        {{"sidecar", "--port"}, SC_ARGS_ERROR, "--port needs a value"},
        {{"sidecar", "extra"}, SC_ARGS_ERROR, "unexpected argument \"extra\" (see --help)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_config_defaults(&c);
        err_clear();
        char *argv[5] = {0};
        memcpy(argv, cases[i].argv, sizeof cases[i].argv);
        enum sc_config_args got = run_args(&c, argv);
        if (got != cases[i].want) {
            fprintf(stderr, "args case %zu: got %d (%s)\n", i, (int)got, err_text());
        }
        CHECK(got == cases[i].want);
        if (cases[i].err != NULL) {
            CHECK_STR(err_text(), cases[i].err);
        }
    }
}

int main(void)
{
    test_defaults();
    test_env();
    test_rust_log();
    test_args();
    return check_exit();
}
