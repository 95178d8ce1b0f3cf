/* Endpoint resolution (docs/sdk.md) as a table: explicit argument, non-empty
 * environment variable, probe list, fallback; URL vs socket; existence check and its text. */
#include <dstack/client.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char dir[] = "/tmp/dstack-ep-XXXXXX";
static char sock_a[256], sock_b[256], missing[256];

static void touch(const char *p)
{
    int fd = open(p, O_CREAT | O_WRONLY, 0600);
    if (fd >= 0) {
        close(fd);
    }
}

static void test_table(void)
{
    const char *probe[] = {missing, sock_a, sock_b};
    struct {
        const char *arg;
        const char *env; /* NULL = unset */
        const char *const *probe;
        size_t n_probe;
        dstack_err want;
        const char *want_ep;
        enum dstack_endpoint_kind want_kind;
    } cases[] = {
        /* explicit argument wins */
        {sock_b, sock_a, probe, 3, DSTACK_OK, sock_b, DSTACK_ENDPOINT_UNIX},
        {"http://localhost:8090", sock_a, probe, 3, DSTACK_OK, "http://localhost:8090",
         DSTACK_ENDPOINT_HTTP},
        {"https://example.com/api/", NULL, probe, 3, DSTACK_OK, "https://example.com/api",
         DSTACK_ENDPOINT_HTTP},
        /* then the environment */
        {NULL, sock_b, probe, 3, DSTACK_OK, sock_b, DSTACK_ENDPOINT_UNIX},
        {"", "http://127.0.0.1:1", probe, 3, DSTACK_OK, "http://127.0.0.1:1", DSTACK_ENDPOINT_HTTP},
        /* empty variable = unset (JS); probing finds sock_a */
        {NULL, "", probe, 3, DSTACK_OK, sock_a, DSTACK_ENDPOINT_UNIX},
        {NULL, NULL, probe, 3, DSTACK_OK, sock_a, DSTACK_ENDPOINT_UNIX},
        {NULL, NULL, probe + 2, 1, DSTACK_OK, sock_b, DSTACK_ENDPOINT_UNIX},
        /* relative paths are socket paths, not checked (tests use dir/dstack.sock) */
        {"dstack.sock", NULL, probe, 3, DSTACK_OK, "dstack.sock", DSTACK_ENDPOINT_UNIX},
        {NULL, "rel/dstack.sock", probe, 3, DSTACK_OK, "rel/dstack.sock", DSTACK_ENDPOINT_UNIX},
        /* absolute paths must exist */
        {"/non/existent/socket", NULL, probe, 3, DSTACK_ETRANSPORT, NULL, DSTACK_ENDPOINT_UNIX},
        {NULL, missing, probe, 3, DSTACK_ETRANSPORT, NULL, DSTACK_ENDPOINT_UNIX},
        /* nothing exists: the first path, which then fails the check */
        {NULL, NULL, probe, 1, DSTACK_ETRANSPORT, NULL, DSTACK_ENDPOINT_UNIX},
        {NULL, NULL, NULL, 0, DSTACK_EINVAL, NULL, DSTACK_ENDPOINT_UNIX},
        /* "http" without "://" is a path */
        {"httpx", NULL, probe, 3, DSTACK_OK, "httpx", DSTACK_ENDPOINT_UNIX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].env != NULL) {
            setenv("DSTACK_TEST_EP", cases[i].env, 1);
        } else {
            unsetenv("DSTACK_TEST_EP");
        }
        char *ep = NULL;
        enum dstack_endpoint_kind kind = DSTACK_ENDPOINT_UNIX;
        dstack_err err = dstack_endpoint_resolve(cases[i].arg, "DSTACK_TEST_EP", cases[i].probe,
                                                 cases[i].n_probe, &ep, &kind);
        if (err != cases[i].want) {
            fprintf(stderr, "case %zu: got %d want %d (%s)\n", i, err, cases[i].want,
                    dstack_last_error());
        }
        CHECK(err == cases[i].want);
        if (cases[i].want_ep != NULL) {
            CHECK_STR(ep, cases[i].want_ep);
            CHECK(kind == cases[i].want_kind);
        } else {
            CHECK(ep == NULL);
        }
        free(ep);
    }
    unsetenv("DSTACK_TEST_EP");
}

static void test_client_new(void)
{
    struct dstack_client *c = NULL;
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    /* the Python/JS test: exact text */
    CHECK(dstack_client_new("/non/existent/socket", NULL, &c) == DSTACK_ETRANSPORT);
    CHECK_STR(dstack_last_error(), "Unix socket file /non/existent/socket does not exist");
    CHECK_STR(dstack_last_error(), "Unix socket file /non/existent/socket does not exist");
    CHECK(c == NULL);
    /* HTTP endpoints construct without touching the network */
    CHECK(dstack_client_new("http://localhost:8080", NULL, &c) == DSTACK_OK);
    CHECK_STR(dstack_client_endpoint(c), "http://localhost:8080");
    dstack_client_free(c);
    CHECK(dstack_client_new("https://example.com", NULL, &c) == DSTACK_OK);
    dstack_client_free(c);
    /* the environment variable of the current API */
    setenv("DSTACK_SIMULATOR_ENDPOINT", sock_a, 1);
    CHECK(dstack_client_new(NULL, NULL, &c) == DSTACK_OK);
    CHECK_STR(dstack_client_endpoint(c), sock_a);
    dstack_client_free(c);
    /* the legacy client reads TAPPD_SIMULATOR_ENDPOINT, not DSTACK_... */
    setenv("TAPPD_SIMULATOR_ENDPOINT", sock_b, 1);
    CHECK(dstack_tappd_client_new(NULL, NULL, NULL, NULL, &c) == DSTACK_OK);
    CHECK_STR(dstack_client_endpoint(c), sock_b);
    dstack_client_free(c);
    unsetenv("DSTACK_SIMULATOR_ENDPOINT");
    unsetenv("TAPPD_SIMULATOR_ENDPOINT");
    /* header injection through the user agent is refused */
    struct dstack_client_options o = {.user_agent = "x\r\nEvil: 1"};
    CHECK(dstack_client_new("http://localhost:1", &o, &c) == DSTACK_EINVAL);
    CHECK(dstack_client_new("http://localhost:1", NULL, NULL) == DSTACK_EINVAL);
    dstack_client_free(NULL);
    /* NULL client: clear errors, no crash */
    CHECK(!dstack_is_reachable(NULL));
    struct dstack_version_response *v = NULL;
    CHECK(dstack_version(NULL, &v) == DSTACK_EINVAL);
}

/* The Guest API client's vsock endpoints (util/vsock.h, the parser of the agent's host API
 * URLs), and the reason a call gives when nobody listens: the socket's errno (connect's, or
 * socket's where the kernel has no AF_VSOCK), not libcurl's "Couldn't connect to server". */
static void test_guest_vsock(void)
{
    struct dstack_client *c = NULL;
    CHECK(dstack_guest_client_new("vsock://1", NULL, &c) == DSTACK_EINVAL);
    CHECK_STR(dstack_last_error(), "invalid vsock endpoint vsock://1 (want vsock://CID:PORT)");
    CHECK(c == NULL);
    CHECK(dstack_guest_client_new("vsock://1:9/ignored", NULL, &c) == DSTACK_OK);
    dstack_client_free(c);
    CHECK(dstack_guest_client_new("vsock://1:9", NULL, &c) == DSTACK_OK);
    struct dstack_guest_sysinfo *si = NULL;
    CHECK(dstack_guest_sysinfo(c, &si) == DSTACK_ETRANSPORT);
    static const char head[] = "SysInfo: cannot reach the agent at vsock://1:9: ";
    const char *e = dstack_last_error();
    printf("vsock://1:9: %s\n", e);
    CHECK(strncmp(e, head, sizeof head - 1) == 0 && strstr(e, "Couldn't connect") == NULL);
    dstack_client_free(c);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        return 2;
    }
    snprintf(sock_a, sizeof sock_a, "%s/a.sock", dir);
    snprintf(sock_b, sizeof sock_b, "%s/b.sock", dir);
    snprintf(missing, sizeof missing, "%s/missing.sock", dir);
    touch(sock_a);
    touch(sock_b);
    test_table();
    test_client_new();
    test_guest_vsock();
    unlink(sock_a);
    unlink(sock_b);
    rmdir(dir);
    return check_exit();
}
