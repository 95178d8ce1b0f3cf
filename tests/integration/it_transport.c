/* The daemon's wire rules (docs/wire.md) over a real socket: routing, GET/POST, errors,
 * headers, and the bad-input table of issue 2. After every bad input the daemon still serves. */
#include "json/json.h"
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

static struct sim sim;

static void expect(const char *sock, const char *method, const char *path, const char *ctype,
                   const char *body, long want_status, const char *want_body)
{
    struct http_reply r;
    CHECK(http_unix(sock, method, path, ctype, body, &r));
    if (r.status != want_status) {
        fprintf(stderr, "%s %s: status %ld, want %ld (body %s)\n", method, path, r.status,
                want_status, r.body);
    }
    CHECK(r.status == want_status);
    if (want_body != NULL) {
        CHECK_STR(r.body, want_body);
    }
    http_reply_free(&r);
}

/* The error body upstream sends: serde_json pretty print of {"error": msg}. */
static void expect_error(const char *sock, const char *method, const char *path, const char *ctype,
                         const char *body, const char *msg)
{
    char want[1024];
    snprintf(want, sizeof want, "{\n  \"error\": \"%s\"\n}", msg);
    expect(sock, method, path, ctype, body, 400, want);
}

static void still_serving(void)
{
    struct http_reply r;
    CHECK(http_post_json(sim.dstack_sock, "/Version", "{}", &r) && r.status == 200);
    http_reply_free(&r);
}

static void test_version_and_headers(void)
{
    struct http_reply r;
    CHECK(http_post_json(sim.dstack_sock, "/Version", "{}", &r));
    CHECK(r.status == 200);
    cJSON *v = json_parse(r.body, strlen(r.body), 0, NULL);
    CHECK(v != NULL && (size_t)cJSON_GetArraySize(v) == 2);
    CHECK_STR(json_str(json_get(v, "version")), "0.6.0");
    CHECK(strncmp(r.body, "{\"version\":\"0.6.0\",\"rev\":\"", 26) == 0); /* compact, in order */
    json_free(v);
    CHECK(strstr(r.headers, "Content-Type: application/json\r\n") != NULL);
    CHECK(strstr(r.headers, "Server: dstack Simulator\r\n") != NULL);
    CHECK(strstr(r.headers, "X-Content-Type-Options: nosniff\r\n") != NULL);
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", r.body_len);
    CHECK(strstr(r.headers, cl) != NULL); /* the JS SDK needs it */
    CHECK(strstr(r.headers, "Transfer-Encoding") == NULL);
    http_reply_free(&r);

    /* GET, HEAD, ?json, and an Empty-input method ignoring garbage. */
    expect(sim.dstack_sock, "GET", "/Version", NULL, NULL, 200, NULL);
    expect(sim.dstack_sock, "GET", "/Version?json", NULL, NULL, 200, NULL);
    expect(sim.dstack_sock, "POST", "/Version?json", NULL, "{}", 200, NULL);
    expect(sim.dstack_sock, "POST", "/Version", "application/json", "not json at all", 200, NULL);
    CHECK(http_unix(sim.dstack_sock, "HEAD", "/Version", NULL, NULL, &r) && r.status == 200);
    CHECK(r.body_len == 0);
    http_reply_free(&r);
}

static void test_routing(void)
{
    /* tappd: /prpc/<M>, with any number of leading "Tappd." prefixes. */
    expect(sim.tappd_sock, "POST", "/prpc/Version", "application/json", "{}", 200, NULL);
    expect(sim.tappd_sock, "POST", "/prpc/Tappd.Version", "application/json", "{}", 200, NULL);
    expect(sim.tappd_sock, "GET", "/prpc/Tappd.Tappd.Version", NULL, NULL, 200, NULL);
    /* Wrong path shapes are 404, on either socket. */
    expect(sim.dstack_sock, "POST", "/prpc/Version", "application/json", "{}", 404, NULL);
    expect(sim.tappd_sock, "POST", "/Version", "application/json", "{}", 404, NULL);
    expect(sim.dstack_sock, "POST", "/", "application/json", "{}", 404, NULL);
    expect(sim.dstack_sock, "GET", "/Version/extra", NULL, NULL, 404, NULL);
    /* Unknown method: 400 with upstream's message (docs/wire.md: 42 bytes). */
    expect_error(sim.dstack_sock, "POST", "/GetFoo", "application/json", "{}",
                 "Service not found: GetFoo");
    expect_error(sim.dstack_sock, "POST", "/DstackGuest.GetKey", "application/json", "{}",
                 "Service not found: DstackGuest.GetKey");
    expect_error(sim.dstack_sock, "POST", "/version", "application/json", "{}",
                 "Service not found: version"); /* case-sensitive */
    expect_error(sim.tappd_sock, "POST", "/prpc/Tappd.GetKey", "application/json", "{}",
                 "Service not found: GetKey");
    /* Other HTTP methods are 404. */
    expect(sim.dstack_sock, "PUT", "/Version", "application/json", "{}", 404, NULL);
    expect(sim.dstack_sock, "DELETE", "/Version", NULL, NULL, 404, NULL);
    expect(sim.dstack_sock, "OPTIONS", "/Version", NULL, NULL, 404, NULL);
    /* Rocket's JSON 404 when the client asks for JSON. */
    struct http_reply r;
    CHECK(http_unix(sim.dstack_sock, "PUT", "/Version", NULL, NULL, &r) && r.status == 404);
    CHECK(strstr(r.body, "404") != NULL);
    http_reply_free(&r);
    still_serving();
}

static void test_bad_inputs(void)
{
    const char *js = "application/json";
    /* invalid JSON, wrong types, duplicate keys */
    expect(sim.dstack_sock, "POST", "/GetKey", js, "{\"path\":", 400, NULL);
    expect(sim.dstack_sock, "POST", "/GetKey", js, "[1,2]", 400,
           "{\n  \"error\": \"invalid type: sequence, expected a JSON object\"\n}");
    expect_error(sim.dstack_sock, "POST", "/GetKey", js, "{\"path\":5}",
                 "path: invalid type: integer `5`, expected a string");
    expect_error(sim.dstack_sock, "POST", "/GetKey", js, "{\"path\":null}",
                 "path: invalid type: null, expected a string");
    expect_error(sim.dstack_sock, "POST", "/GetKey", js, "{\"path\":\"a\",\"path\":\"b\"}",
                 "duplicate object key near '\\\"path\\\"' at line 1 column 18");
    /* lib/json's rules on the request path: UTF-8, no U+0000 (upstream's serde would keep it:
     * docs/api/GetKey.md), integers as serde's u64 */
    expect_error(sim.dstack_sock, "POST", "/GetKey", js, "{\"path\":\"\xff\"}",
                 "unable to decode byte 0xff at line 1 column 10");
    expect_error(sim.dstack_sock, "POST", "/GetKey", js, "{\"path\":\"a\\u0000b\"}",
                 "\\\\u0000 is not allowed in a string at line 1 column 11");
    expect_error(sim.dstack_sock, "POST", "/GetTlsKey", js, "{\"not_before\":1.5}",
                 "not_before: invalid type: floating point `1.5`, expected u64");
    /* invalid and odd-length hex */
    expect_error(sim.dstack_sock, "POST", "/GetQuote", js, "{\"report_data\":\"zz\"}",
                 "report_data: Invalid hex character");
    expect_error(sim.dstack_sock, "POST", "/GetQuote", js, "{\"report_data\":\"abc\"}",
                 "report_data: Odd number of digits");
    expect_error(sim.dstack_sock, "POST", "/GetQuote", js, "{\"report_data\":12}",
                 "report_data: invalid type: integer `12`, expected a hex string");
    /* a body that is not JSON and has no JSON content type */
    expect_error(sim.dstack_sock, "POST", "/GetKey", "application/x-www-form-urlencoded", "path=a",
                 "request body is not JSON; send a JSON object with Content-Type: "
                 "application/json");
    /* ... but JSON without the content type is accepted (curl -d sends a form type) */
    expect(sim.dstack_sock, "POST", "/GetKey", "application/x-www-form-urlencoded",
           "{\"path\":\"a\"}", 200, NULL);
    /* query-string errors */
    expect_error(sim.dstack_sock, "GET", "/GetKey?path=a&path=b", NULL, NULL,
                 "Multiple values for one key: \\\"path\\\"");
    expect_error(sim.dstack_sock, "GET", "/GetQuote?report_data=xyz", NULL, NULL,
                 "report_data: Odd number of digits");
    still_serving();
}

static void test_oversize_and_broken_clients(void)
{
    /* The daemon runs with --max-body 4096. */
    char *big = malloc(10000);
    memset(big, ' ', 9999);
    big[0] = '{';
    big[9998] = '}';
    big[9999] = '\0';
    expect_error(sim.dstack_sock, "POST", "/GetKey", "application/json", big,
                 "failed to read data: payload too large");
    free(big);
    still_serving();

    /* A client that disconnects mid-body. */
    char buf[4096];
    const char *partial = "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100\r\n\r\n{\"path\":";
    CHECK(raw_exchange(sim.dstack_sock, partial, strlen(partial), buf, sizeof buf, 50) >= 0);
    still_serving();

    /* Malformed HTTP gets a 400 from the HTTP layer. */
    const char *garbage = "THIS IS NOT HTTP\r\n\r\n";
    long n = raw_exchange(sim.dstack_sock, garbage, strlen(garbage), buf, sizeof buf, 2000);
    CHECK(n > 0 && strstr(buf, " 400 ") != NULL);
    still_serving();

    /* A client sending its headers slowly is cut by the idle timeout (2 s here), and others
     * are served meanwhile. */
    const char *slow = "POST /Version HTTP/1.1\r\nHost: x\r\n";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = fork();
    if (child == 0) {
        char cbuf[256];
        long got = raw_exchange(sim.dstack_sock, slow, strlen(slow), cbuf, sizeof cbuf, 8000);
        _exit(got == 0 ? 0 : 1); /* closed by the server without an answer */
    }
    usleep(200 * 1000);
    still_serving();
    int status = 0;
    waitpid(child, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(t1.tv_sec - t0.tv_sec < 7); /* the 2 s idle timeout, not the client's 8 s */

    /* Pipelined requests on one connection are answered in order. */
    const char *two = "POST /Version HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                      "GET /Version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    n = raw_exchange(sim.dstack_sock, two, strlen(two), buf, sizeof buf, 3000);
    const char *first = strstr(buf, "HTTP/1.1 200");
    CHECK(n > 0 && first != NULL && strstr(first + 1, "HTTP/1.1 200") != NULL);
    still_serving();
}

int main(void)
{
    const char *args[] = {"--max-body", "4096", "--idle-timeout", "2", NULL};
    if (!sim_start(&sim, args)) {
        return 1;
    }
    test_version_and_headers();
    test_routing();
    test_bad_inputs();
    test_oversize_and_broken_clients();
    CHECK(sim_stop(&sim) == 0);
    CHECK(access(sim.dstack_sock, F_OK) != 0); /* sockets removed on SIGTERM */
    return check_exit();
}
