/* The external Worker service (docs/api/Worker.md): public Info, Version and
 * GetAttestationForAppKey, on the simulator's external.sock. */
#include "json/json.h"
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "util/hex.h"

static cJSON *call_json(const char *sock, const char *path, const char *body, long *status)
{
    struct http_reply r;
    cJSON *j = NULL;
    if (http_post_json(sock, path, body, &r)) {
        *status = r.status;
        j = json_parse(r.body, strlen(r.body), 0, NULL);
    }
    http_reply_free(&r);
    return j;
}

/* The report data in a GetQuoteResponse, as text (trailing zero bytes cut). */
static void report_text(const cJSON *resp, char *out, size_t cap)
{
    const char *hex = json_str(json_get(resp, "report_data"));
    uint8_t rd[64] = {0};
    size_t n = 0;
    out[0] = '\0';
    if (hex != NULL && hex_decode(hex, strlen(hex), rd, sizeof rd, &n) == DSTACK_OK) {
        size_t len = strnlen((const char *)rd, sizeof rd);
        snprintf(out, cap, "%.*s", (int)len, (const char *)rd);
    }
}

static void test_upstream_vectors(void)
{
    struct sim s;
    if (!sim_start_upstream(&s, NULL)) {
        CHECK(false);
        return;
    }
    char ext[300];
    snprintf(ext, sizeof ext, "%s/external.sock", s.dir);
    long status = 0;
    char text[80];
    /* docs/api/Worker.md: the simulator's report data for both algorithms. */
    cJSON *j = call_json(ext, "/prpc/Worker.GetAttestationForAppKey",
                         "{\"algorithm\":\"secp256k1\"}", &status);
    CHECK(status == 200);
    report_text(j, text, sizeof text);
    CHECK_STR(text, "dip1::secp256k1c-pk:A2EF8B0f14FWj3wgiwh7HE9SJgFBDtfpx4cNVz3nxG1U");
    CHECK(json_str_len(json_get(j, "quote")) > 1000);
    json_free(j);
    j = call_json(ext, "/prpc/GetAttestationForAppKey", "{\"algorithm\":\"ed25519\"}", &status);
    CHECK(status == 200);
    report_text(j, text, sizeof text);
    CHECK_STR(text, "dip1::ed25519-pk:aY9WvVh9jOPKjbDhw2G6nRkAifmNxNnfgA_5LtBzpl0");
    json_free(j);
    j = call_json(ext, "/prpc/GetAttestationForAppKey", "{\"algorithm\":\"k256\"}", &status);
    CHECK(status == 200);
    json_free(j);
    static const char *const refused[] = {"{}", "{\"algorithm\":\"\"}",
                                          "{\"algorithm\":\"secp256k1_prehashed\"}",
                                          "{\"algorithm\":\"rsa\"}"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        j = call_json(ext, "/prpc/Worker.GetAttestationForAppKey", refused[i], &status);
        CHECK(status == 400);
        CHECK_STR(json_str(json_get(j, "error")), "Unsupported algorithm");
        json_free(j);
    }
    /* Public information only: no key methods, no dstack paths. */
    j = call_json(ext, "/prpc/GetKey", "{}", &status);
    CHECK(status == 400);
    CHECK_STR(json_str(json_get(j, "error")), "Service not found: GetKey");
    json_free(j);
    struct http_reply r;
    CHECK(http_post_json(ext, "/GetKey", "{}", &r) && r.status == 404);
    http_reply_free(&r);
    j = call_json(ext, "/prpc/Worker.Version", "{}", &status);
    CHECK(status == 200 && cJSON_IsString(json_get(j, "version")));
    json_free(j);
    /* Info with tcb_info: upstream's app-compose.json has public_tcbinfo true. */
    j = call_json(ext, "/prpc/Worker.Info", "{}", &status);
    CHECK(status == 200 && json_str_len(json_get(j, "tcb_info")) > 100);
    json_free(j);
    CHECK(sim_stop(&s) == 0);
}

static void test_hidden_tcb_info(void)
{
    char path[] = "/tmp/dstack-it-compose-XXXXXX";
    int fd = mkstemp(path);
    const char *compose = "{\"manifest_version\":2,\"name\":\"private-app\",\"runner\":"
                          "\"docker-compose\",\"docker_compose_file\":\"services: {}\\n\","
                          "\"public_tcbinfo\":false}\n";
    CHECK(fd >= 0 && write(fd, compose, strlen(compose)) == (ssize_t)strlen(compose));
    close(fd);
    struct sim s;
    const char *args[] = {"--compose", path, NULL};
    if (!sim_start(&s, args)) {
        CHECK(false);
        unlink(path);
        return;
    }
    char ext[300];
    snprintf(ext, sizeof ext, "%s/external.sock", s.dir);
    long status = 0;
    cJSON *j = call_json(ext, "/prpc/Worker.Info", "{}", &status);
    CHECK(status == 200);
    CHECK_STR(json_str(json_get(j, "tcb_info")), "");
    CHECK_STR(json_str(json_get(j, "vm_config")), "");
    CHECK_STR(json_str(json_get(j, "app_name")), "private-app");
    json_free(j);
    /* The internal socket still shows everything. */
    j = call_json(s.dstack_sock, "/Info", "{}", &status);
    CHECK(status == 200 && json_str_len(json_get(j, "tcb_info")) > 100);
    json_free(j);
    CHECK(sim_stop(&s) == 0);
    unlink(path);
}

int main(void)
{
    test_upstream_vectors();
    test_hidden_tcb_info();
    return check_exit();
}
