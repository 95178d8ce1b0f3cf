/* The pure parts of the Guest API and the public routes: /logs' duration syntax, flags and
 * entry formats, the Prometheus and HTML escapes, the dashboard, Docker name checks, Empty
 * bodies, vsock URLs, /proc field reading and the helper-program runner. */
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "docker.h"
#include "guest_api/netinfo.h"
#include "guest_api/proc_text.h"
#include "guest_api/run_capture.h"
#include "guest_api/vsock_http.h"
#include "public/logs_format.h"
#include "public/render.h"
#include "request.h"

#define NOW 1700000000

static void test_durations(void)
{
    static const struct {
        const char *in;
        bool ok;
        int64_t want;
    } cases[] = {
        {"", true, 0},
        {"120", true, 120}, /* all digits: absolute epoch seconds (upstream's test) */
        {"30s", true, NOW - 30},
        {"5m", true, NOW - 300},
        {"2h", true, NOW - 7200},
        {"1d", true, NOW - 86400},
        {"+5s", true, NOW - 5},  /* Rust's u64 parse takes one leading '+' */
        {"999999999d", true, 0}, /* before the epoch: saturates at 0 */
        {"365d", true, NOW - 365 * 86400},
        {"30x", false, 0},
        {"h", false, 0},
        {"abc", false, 0},
        {"-5s", false, 0},
        {"5 s", false, 0},
        {"18446744073709551615d", false, 0}, /* overflow */
        {"99999999999999999999", false, 0},  /* not an i64 */
        {"1.5h", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = -1;
        bool ok = logs_parse_duration(cases[i].in, NOW, &got);
        CHECK(ok == cases[i].ok);
        if (ok && cases[i].ok) {
            CHECK(got == cases[i].want);
        }
        if (ok != cases[i].ok) {
            fprintf(stderr, "duration case %zu (%s)\n", i, cases[i].in);
        }
    }
}

static void test_flags(void)
{
    static const struct {
        bool present;
        const char *value;
        bool ok, want;
    } cases[] = {
        {false, NULL, true, false}, {true, NULL, true, true},      {true, "", true, true},
        {true, "true", true, true}, {true, "YES", true, true},     {true, "on", true, true},
        {true, "no", true, false},  {true, "False", true, false},  {true, "off", true, false},
        {true, "1", false, false},  {true, "maybe", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = !cases[i].want;
        CHECK(logs_parse_flag(cases[i].present, cases[i].value, &got) == cases[i].ok);
        CHECK(!cases[i].ok || got == cases[i].want);
    }
}

static void check_lossy(const char *in, size_t len, const char *want)
{
    struct strbuf b = {0};
    logs_utf8_lossy((const uint8_t *)in, len, &b);
    CHECK_STR(b.data != NULL ? b.data : "", want);
    strbuf_free(&b);
}

static void test_text(void)
{
    check_lossy("plain", 5, "plain");
    check_lossy("caf\xC3\xA9", 5, "caf\xC3\xA9");
    check_lossy("a\xFF"
                "b",
                3,
                "a\xEF\xBF\xBD"
                "b");
    /* maximal subparts, as Rust's from_utf8_lossy: E2 82 (truncated) is one U+FFFD */
    check_lossy("\xE2\x82(", 3, "\xEF\xBF\xBD(");
    check_lossy("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    check_lossy("\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80");
    check_lossy("\xF0\x9F\x98", 3, "\xEF\xBF\xBD"); /* cut at the end */

    struct strbuf b = {0};
    const char *ansi = "\x1b[1;31mred\x1b[0m \x1b]0;title\x07tab\there\r\n\x1b(Bx";
    logs_strip_ansi(ansi, strlen(ansi), &b);
    CHECK_STR(b.data, "red tab\there\nx");
    strbuf_free(&b);

    b = (struct strbuf){0};
    logs_json_string("q\"b\\n\n\x01\x7f\xC3\xA9", 10, &b);
    CHECK_STR(b.data, "\"q\\\"b\\\\n\\n\\u0001\x7f\xC3\xA9\"");
    strbuf_free(&b);
}

static void test_entries(void)
{
    static const struct {
        struct logs_format f;
        enum docker_channel ch;
        const char *msg;
        const char *want;
    } cases[] = {
        {{false, false, false},
         DOCKER_STDOUT,
         "hi\n",
         "{\"channel\":\"stdout\",\"message\":\"aGkK\"}\n"},
        {{true, false, false},
         DOCKER_STDERR,
         "hi\n",
         "{\"channel\":\"stderr\",\"message\":\"hi\\n\"}\n"},
        {{true, false, false},
         DOCKER_CONSOLE,
         "x",
         "{\"channel\":\"console\",\"message\":\"x\"}\n"},
        {{true, true, false}, DOCKER_STDOUT, "\x1b[31mred\x1b[0m\n", "red\n"},
        {{true, true, true}, DOCKER_STDOUT, "\x1b[31mred\n", "\x1b[31mred\n"},
        {{false, true, false}, DOCKER_STDOUT, "hi\n", "aGkK"}, /* bare base64: no newline */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf b = {0};
        logs_format_entry(&cases[i].f, cases[i].ch, (const uint8_t *)cases[i].msg,
                          strlen(cases[i].msg), &b);
        CHECK_STR(b.data, cases[i].want);
        strbuf_free(&b);
    }
    struct strbuf b = {0};
    logs_format_error("No such container: \"x\"", &b);
    CHECK_STR(b.data, "{\"error\":\"No such container: \\\"x\\\"\"}");
    strbuf_free(&b);
}

static void test_escapes(void)
{
    struct strbuf b = {0};
    render_label("a\\b\n\"c\"", &b);
    CHECK_STR(b.data, "a\\\\b\\n\\\"c\\\"");
    strbuf_free(&b);
    b = (struct strbuf){0};
    render_html("<script>alert('x') & \"y\"</script>", &b);
    CHECK_STR(b.data, "&lt;script&gt;alert(&#x27;x&#x27;) &amp; &quot;y&quot;&lt;/script&gt;");
    strbuf_free(&b);
}

static void test_metrics_text(void)
{
    struct sysinfo_snapshot s = {.num_cpus = 4, .total_memory = 1ull << 40, .n_disks = 1};
    snprintf(s.os_name, sizeof s.os_name, "Evil \"OS\"\nname\\");
    snprintf(s.disks[0].name, sizeof s.disks[0].name, "/dev/vda1");
    snprintf(s.disks[0].mount_point, sizeof s.disks[0].mount_point, "/");
    s.disks[0].total_size = 400;
    s.disks[0].free_size = 100;
    struct strbuf b = {0};
    render_metrics(&s, &b);
    CHECK(strstr(b.data, "system_os_name{os_name=\"Evil \\\"OS\\\"\\nname\\\\\"} 1\n") != NULL);
    CHECK(strstr(b.data, "system_memory_total 1099511627776\n") != NULL);
    CHECK(strstr(b.data, "system_num_cpus 4\n") != NULL);
    CHECK(strstr(b.data, "disk_used_size{name=\"/dev/vda1\", mount_point=\"/\"} 300\n") != NULL);
    CHECK(strstr(b.data, "disk_usage_percentage{name=\"/dev/vda1\", mount_point=\"/\"} 75\n") !=
          NULL);
    CHECK(strstr(b.data, "# TYPE system_load_average_15m gauge\n") != NULL);
    strbuf_free(&b);
}

static void test_dashboard_page(void)
{
    char *names[] = {"/web<1>"};
    struct docker_container c = {.names = names, .n_names = 1, .status = "Up & running"};
    struct docker_containers list = {.items = &c, .n = 1};
    struct sysinfo_snapshot s = {.total_memory = 3ull << 30, .loadavg_one = 250, .loadavg_five = 7};
    struct dashboard_model m = {.app_name = "<img src=x onerror=alert(1)>",
                                .app_id = "ab",
                                .instance_id = "cd",
                                .device_id = "ef",
                                .key_provider_info = "{\"name\":\"kms\"}",
                                .tcb_info = "</textarea>",
                                .cloud_vendor = "",
                                .cloud_product = "",
                                .public_sysinfo = true,
                                .public_logs = true,
                                .public_tcbinfo = true,
                                .sys = &s,
                                .containers = &list};
    struct strbuf b = {0};
    render_dashboard(&m, &b);
    CHECK(strstr(b.data, "<img") == NULL && strstr(b.data, "&lt;img src=x") != NULL);
    CHECK(strstr(b.data, "&lt;/textarea&gt;</textarea>") != NULL);
    CHECK(strstr(b.data, "<td>web&lt;1&gt;</td><td>Up &amp; running</td>") != NULL);
    CHECK(strstr(b.data, "href=\"/logs/web&lt;1&gt;?text&amp;bare") != NULL);
    CHECK(strstr(b.data, "Total: 3.00 GB") != NULL);
    CHECK(strstr(b.data, "1min: 2.5%, 5min: 0.07%") != NULL);
    CHECK(strstr(b.data, "Machine Provider") == NULL);
    strbuf_free(&b);
    m.public_sysinfo = m.public_logs = m.public_tcbinfo = false;
    b = (struct strbuf){0};
    render_dashboard(&m, &b);
    CHECK(strstr(b.data, "Memory Usage") == NULL && strstr(b.data, "View Logs") == NULL);
    CHECK(strstr(b.data, "TCB info is not public") != NULL);
    strbuf_free(&b);
}

static void test_names_and_bodies(void)
{
    static const struct {
        const char *name;
        bool ok;
    } names[] = {
        {"web", true},  {"app_1.x-2", true}, {"0abc", true},      {"", false},   {"a/b", false},
        {"..", false},  {"a%2Fb", false},    {".a", false},       {"-a", false}, {"a b", false},
        {"a?b", false}, {"a\nb", false},     {"\xC3\xA9", false},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(docker_name_valid(names[i].name) == names[i].ok);
    }
    char longname[DOCKER_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(!docker_name_valid(longname));

    CHECK(request_is_empty_message("", 0));
    CHECK(request_is_empty_message(" {} \n", 5));
    CHECK(request_is_empty_message("null", 4));
    CHECK(!request_is_empty_message("{\"a\":1}", 7));
    CHECK(!request_is_empty_message("\0", 1));
    CHECK(!request_is_empty_message("nul", 3));

    uint32_t cid = 0, port = 0;
    char path[64];
    CHECK(vsock_url_parse("vsock://2:10000/api", &cid, &port, path, sizeof path));
    CHECK(cid == 2 && port == 10000);
    CHECK_STR(path, "/api");
    CHECK(vsock_url_parse("vsock://0xffffffff:8000", &cid, &port, path, sizeof path));
    CHECK(cid == 0xffffffffu && port == 8000 && path[0] == '\0');
    CHECK(!vsock_url_parse("http://2:1/api", &cid, &port, path, sizeof path));
    CHECK(!vsock_url_parse("vsock://2/api", &cid, &port, path, sizeof path));
    CHECK(!vsock_url_parse("vsock://-1:5", &cid, &port, path, sizeof path));
    CHECK(!vsock_url_parse("vsock://2:99999999999", &cid, &port, path, sizeof path));
    CHECK(!vsock_url_parse("vsock://2:1/api", &cid, &port, path, 4)); /* path too long */
    /* without a path buffer (the SDK's Guest API endpoint): the rest only starts with '/' */
    CHECK(vsock_url_parse("vsock://3:0x10/any/thing", &cid, &port, NULL, 0));
    CHECK(cid == 3 && port == 16);
    CHECK(!vsock_url_parse("vsock://3:16x", &cid, &port, NULL, 0));
    CHECK(!vsock_url_parse("vsock://:16", &cid, &port, NULL, 0));

    CHECK(netinfo_iface_reported("eth0") && netinfo_iface_reported("enp1s0") &&
          netinfo_iface_reported("dstack-wg0"));
    CHECK(!netinfo_iface_reported("docker0") && !netinfo_iface_reported("veth12") &&
          !netinfo_iface_reported("lo"));
}

/* NetworkInfo's gateway of an interface as default-net 0.22 finds it: the last gatewayed
 * /proc/net/route row of the interface, counted only when /proc/net/arp has it on that
 * interface. Tables as the kernel prints them (tabs in route, spaces in arp). */
static void test_gateway_pick(void)
{
    static const char route[] =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth1\t00000000\t016433C6\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "eth2\t00000000\t01020A0A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth2\t0000A8C0\tFE020A0A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
    static const char arp[] =
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0\n"
        "198.51.100.1     0x1         0x2         02:fc:00:00:00:06     *        eth0\n"
        "10.10.2.254      0x1         0x2         02:fc:00:00:00:07     *        eth2\n"
        "10.10.2.1        0x1         0x2         02:fc:00:00:00:08     *        eth2\n";
    char gw[NETINFO_ADDR_LEN] = "";
    CHECK(netinfo_gateway_of(route, arp, "eth0", gw));
    CHECK_STR(gw, "192.0.2.1");
    /* eth1's gateway is in the ARP cache, but on eth0: not counted */
    CHECK(!netinfo_gateway_of(route, arp, "eth1", gw));
    /* the last gatewayed row wins, a non-default one included (default-net's loop) */
    CHECK(netinfo_gateway_of(route, arp, "eth2", gw));
    CHECK_STR(gw, "10.10.2.254");
    CHECK(!netinfo_gateway_of(route, arp, "docker0", gw)); /* no gateway on its routes */
    CHECK(!netinfo_gateway_of(route, arp, "eth", gw));     /* names match whole */
    CHECK(!netinfo_gateway_of(route, "IP address HW type\n", "eth0", gw)); /* not in ARP */
    CHECK(!netinfo_gateway_of("", arp, "eth0", gw));
}

static void test_proc_and_run(void)
{
    char v[64];
    const char *text = "MemTotal:  100 kB\ncpu MHz\t\t: 2445.4\nNAME=\"Debian\"\nX=1";
    CHECK(proc_text_field(text, "MemTotal", ':', v, sizeof v));
    CHECK_STR(v, "100 kB");
    CHECK(proc_text_field(text, "cpu MHz", ':', v, sizeof v));
    CHECK_STR(v, "2445.4");
    CHECK(proc_text_field(text, "NAME", '=', v, sizeof v));
    CHECK_STR(v, "Debian");
    CHECK(!proc_text_field(text, "Mem", ':', v, sizeof v));
    CHECK(!proc_text_field(text, "cpu", ':', v, sizeof v));

    const char *const echo[] = {"printf", "a\\nb\\n\\n", NULL};
    char *out = run_capture(echo, 1024, 5000);
    CHECK_STR(out, "a\nb");
    free(out);
    const char *const missing[] = {"dstack-no-such-tool", NULL};
    out = run_capture(missing, 1024, 5000);
    CHECK_STR(out, "dstack-no-such-tool: command not found");
    free(out);
    const char *const failing[] = {"sh", "-c", "echo oops >&2; exit 3", NULL};
    out = run_capture(failing, 1024, 5000);
    CHECK_STR(out, "sh exited with status 3: oops");
    free(out);
    const char *const slow[] = {"sleep", "30", NULL};
    time_t t0 = time(NULL);
    out = run_capture(slow, 1024, 300);
    CHECK_STR(out, "sleep: timed out, killed");
    CHECK(time(NULL) - t0 < 5);
    free(out);
    const char *const chatty[] = {"sh", "-c", "yes | head -c 100000", NULL};
    out = run_capture(chatty, 1000, 5000);
    CHECK(out != NULL && strlen(out) <= 1000);
    free(out);
}

int main(void)
{
    test_durations();
    test_flags();
    test_text();
    test_entries();
    test_escapes();
    test_metrics_text();
    test_dashboard_page();
    test_names_and_bodies();
    test_proc_and_run();
    test_gateway_pick();
    return check_exit();
}
