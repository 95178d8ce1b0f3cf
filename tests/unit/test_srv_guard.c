/* The Host and Origin rule of guarded (TCP) listeners, table-driven (internal/server/srv_guard.c,
 * docs/security.md "TCP listeners"). The whole request path (Origin, Sec-Fetch-Site,
 * Content-Type, framing) is driven over real sockets by integration.it_limits. */
#include "check.h"
#include "srv_guard.h"

static const struct {
    const char *host;
    bool strict_port;
    bool want;
} cases[] = {
    {"127.0.0.1", false, true},       /* IP literal, no port: the default port */
    {"127.0.0.1:8090", false, true},  /* the listener's own port */
    {"127.0.0.1:8091", false, false}, /* another port: a rebinding page's */
    {"[::1]:8090", false, true},      /* bracketed IPv6 literal */
    {"[::1", false, false},           /* unclosed bracket */
    {"[::1]x", false, false},         /* junk after the bracket */
    {"::1", false, false},            /* IPv6 must be bracketed */
    {"localhost", false, true},       /* always allowed */
    {"LOCALHOST:8090", false, true},  /* names compare without case */
    {"app.example.com", false, true}, /* an allowed name */
    {"App.Example.Com:8090", false, true},
    {"evil.example.com", false, false}, /* any other name: DNS rebinding */
    {"app.example.com.evil", false, false},
    {"app.example.co", false, false}, /* a prefix of an allowed name */
    {"127.0.0.1:", false, false},     /* empty port */
    {"127.0.0.1:0", false, false},    /* out of range */
    {"127.0.0.1:65536", false, false},
    {"127.0.0.1:80x", false, false}, /* trailing junk */
    {"127.0.0.1", true, false},      /* Origin's default port 80 is not ours */
    {"127.0.0.1:8090", true, true},
    {"", false, false},      /* no name at all */
    {"1.2.3", false, false}, /* not a dotted quad inet_pton takes */
};

int main(void)
{
    struct srv_web_guard g = {.enabled = true, .port = 8090, .n_allowed_hosts = 1};
    snprintf(g.allowed_hosts[0], sizeof g.allowed_hosts[0], "%s", "app.example.com");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = srv_guard_host_ok(&g, cases[i].host, cases[i].strict_port, 80);
        if (got != cases[i].want) {
            fprintf(stderr, "case %zu: host \"%s\" strict %d: got %d\n", i, cases[i].host,
                    cases[i].strict_port, got);
        }
        CHECK(got == cases[i].want);
    }
    /* An Origin without a port passes only when its scheme's default port is the listener's. */
    CHECK(srv_guard_host_ok(&g, "127.0.0.1", true, 8090));
    printf("srv_guard: %zu Host cases\n", sizeof cases / sizeof cases[0]);
    return 0;
}
