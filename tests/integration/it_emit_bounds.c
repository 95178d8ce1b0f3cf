/* EmitEvent's bounds (docs/api/EmitEvent.md): a long name, a large payload, a full log (bytes)
 * and a full log (events) are each refused with a 400 naming the limit, before RTMR3 moves; every
 * acknowledged event survives a restart, the simulator starts again on the full log, and
 * GetQuote and Info still answer on it. */
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"
#include "json/json.h"

#define NAME_MAX_BYTES 256
#define PAYLOAD_MAX_BYTES (128 * 1024)
#define LOG_MAX_BYTES (4 << 20)
#define RUNTIME_EVENTS_MAX 10000

struct emitter {
    CURL *curl;
    char *reply;
    size_t reply_len;
};

static size_t on_reply(char *p, size_t size, size_t n, void *ud)
{
    struct emitter *em = ud;
    size_t len = size * n;
    char *grown = realloc(em->reply, em->reply_len + len + 1);
    if (grown == NULL) {
        return 0;
    }
    memcpy(grown + em->reply_len, p, len);
    em->reply_len += len;
    grown[em->reply_len] = '\0';
    em->reply = grown;
    return len;
}

/* One EmitEvent on a kept connection; the status, the answer in em->reply. */
static long emit(struct emitter *em, const char *sock, const char *name, size_t payload_len)
{
    size_t cap = strlen(name) + 2 * payload_len + 64;
    char *body = malloc(cap);
    int n = snprintf(body, cap, "{\"event\":\"%s\",\"payload\":\"", name);
    memset(body + n, 'a', 2 * payload_len);
    memcpy(body + n + 2 * payload_len, "\"}", 3);
    if (em->curl == NULL) {
        em->curl = curl_easy_init();
    }
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    free(em->reply);
    em->reply = NULL;
    em->reply_len = 0;
    curl_easy_setopt(em->curl, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(em->curl, CURLOPT_URL, "http://dstack/EmitEvent");
    curl_easy_setopt(em->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(em->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(em->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(em->curl, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(em->curl, CURLOPT_WRITEDATA, em);
    curl_easy_setopt(em->curl, CURLOPT_TIMEOUT, 20L);
    long status = 0;
    if (curl_easy_perform(em->curl) == CURLE_OK) {
        curl_easy_getinfo(em->curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(h);
    free(body);
    return status;
}

static void emitter_free(struct emitter *em)
{
    curl_easy_cleanup(em->curl);
    free(em->reply);
}

/* Info's tcb_info.rtmr3, and how many events named `name` its event log holds. */
static bool info_state(const char *sock, char rtmr3[97], const char *name, size_t *named)
{
    struct http_reply r;
    bool ok = http_post_json(sock, "/Info", "{}", &r) && r.status == 200;
    cJSON *info = ok ? json_parse(r.body, r.body_len, 0, NULL) : NULL;
    const char *tcb = json_get_str(info, "tcb_info");
    cJSON *t = tcb != NULL ? json_parse(tcb, strlen(tcb), 0, NULL) : NULL;
    const char *r3 = json_get_str(t, "rtmr3");
    const cJSON *log = json_get(t, "event_log");
    ok = r3 != NULL && strlen(r3) == 96 && log != NULL;
    if (ok) {
        memcpy(rtmr3, r3, 97);
        *named = 0;
        for (size_t i = 0; json_at(log, i) != NULL; i++) {
            const char *ev = json_get_str(json_at(log, i), "event");
            *named += ev != NULL && strcmp(ev, name) == 0;
        }
    }
    json_free(t);
    json_free(info);
    http_reply_free(&r);
    return ok;
}

/* GetQuote answers 200 (the event log and the attestation encode) on a full log. */
static long get_quote_status(const char *sock, size_t *len)
{
    struct http_reply r;
    long st = http_post_json(sock, "/GetQuote", "{\"report_data\":\"00\"}", &r) ? r.status : 0;
    *len = r.body_len;
    if (st != 200) {
        fprintf(stderr, "GetQuote on a full log: %ld %.300s\n", st, r.body ? r.body : "");
    }
    http_reply_free(&r);
    return st;
}

/* A refusal: 400, the message naming the limit, RTMR3 where it was. */
static void check_refused(struct emitter *em, const struct sim *s, const char *name,
                          size_t payload_len, const char *limit_text)
{
    char before[97] = "", after[97] = "";
    size_t n = 0;
    CHECK(info_state(s->dstack_sock, before, "-", &n));
    long status = emit(em, s->dstack_sock, name, payload_len);
    CHECK(info_state(s->dstack_sock, after, "-", &n));
    bool named = em->reply != NULL && strstr(em->reply, limit_text) != NULL;
    if (status != 400 || !named) {
        fprintf(stderr, "refusal (want \"%s\"): %ld %s\n", limit_text, status,
                em->reply ? em->reply : "");
    }
    CHECK(status == 400 && named);
    CHECK(strcmp(before, after) == 0);
}

static void test_name_and_payload(void)
{
    struct sim s;
    if (!sim_start(&s, NULL)) {
        CHECK(false);
        return;
    }
    struct emitter em = {0};
    char name[NAME_MAX_BYTES + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0'; /* 257 bytes */
    check_refused(&em, &s, name, 1, "over the limit of 256 bytes");
    name[NAME_MAX_BYTES] = '\0'; /* 256: fine */
    CHECK(emit(&em, s.dstack_sock, name, 1) == 200);
    check_refused(&em, &s, "big", PAYLOAD_MAX_BYTES + 1, "over the limit of 131072 bytes");
    CHECK(emit(&em, s.dstack_sock, "big", PAYLOAD_MAX_BYTES) == 200);
    printf("EmitEvent: a 257-byte name and a 131073-byte payload refused (400, RTMR3 unmoved); "
           "256 and 131072 accepted\n");
    emitter_free(&em);
    CHECK(sim_stop(&s) == 0);
}

/* 128 KiB payloads until the log is full; then a restart on the full log. */
static void test_log_bytes(void)
{
    struct sim s;
    if (!sim_start(&s, NULL)) {
        CHECK(false);
        return;
    }
    struct emitter em = {0};
    size_t acked = 0;
    long status = 200;
    for (int i = 0; i < 200 && status == 200; i++) { /* 200 x 128 KiB would be 34 MiB of log */
        status = emit(&em, s.dstack_sock, "fill", PAYLOAD_MAX_BYTES);
        acked += status == 200;
    }
    bool named = em.reply != NULL && strstr(em.reply, "its limit of 4194304 bytes") != NULL;
    if (status != 400 || !named) {
        fprintf(stderr, "log bytes: %ld %s\n", status, em.reply ? em.reply : "");
    }
    CHECK(status == 400 && named);
    check_refused(&em, &s, "fill", PAYLOAD_MAX_BYTES, "its limit of 4194304 bytes");
    char log_path[400];
    snprintf(log_path, sizeof log_path, "%s/runtime_events.log", s.dir);
    size_t log_len = 0;
    char *log = check_read_file(log_path, &log_len);
    free(log);
    char r3[97], r3_after[97];
    size_t named_before = 0, named_after = 0;
    CHECK(info_state(s.dstack_sock, r3, "fill", &named_before));
    emitter_free(&em);
    /* Every acknowledged event is still there after a restart, and the restart works. */
    bool restarted = sim_restart(&s, SIGTERM, NULL);
    CHECK(restarted);
    CHECK(restarted && info_state(s.dstack_sock, r3_after, "fill", &named_after));
    printf("EmitEvent log bytes: %zu events of 128 KiB acknowledged, then 400 at %zu bytes of log "
           "(limit %d); after a restart %zu/%zu present, RTMR3 %s\n",
           acked, log_len, LOG_MAX_BYTES, named_after, acked,
           strcmp(r3, r3_after) == 0 ? "the same" : "DIFFERENT");
    CHECK(log_len <= LOG_MAX_BYTES);
    size_t quote_len = 0;
    CHECK(get_quote_status(s.dstack_sock, &quote_len) == 200);
    printf("GetQuote on the full log: %zu bytes\n", quote_len);
    CHECK(named_before == acked && named_after == acked);
    CHECK(strcmp(r3, r3_after) == 0);
    CHECK(sim_stop(&s) == 0);
}

/* Tiny events until the count is full. */
static void test_event_count(void)
{
    struct sim s;
    if (!sim_start(&s, NULL)) {
        CHECK(false);
        return;
    }
    char r3[97];
    size_t boot_runtime = 0;
    struct http_reply r;
    CHECK(http_post_json(s.dstack_sock, "/Info", "{}", &r) && r.status == 200);
    http_reply_free(&r);
    struct emitter em = {0};
    size_t acked = 0;
    long status = 200;
    for (int i = 0; i < RUNTIME_EVENTS_MAX + 10 && status == 200; i++) {
        status = emit(&em, s.dstack_sock, "tick", 0);
        acked += status == 200;
    }
    bool named = em.reply != NULL && strstr(em.reply, "holds 10000 events, its limit") != NULL;
    if (status != 400 || !named) {
        fprintf(stderr, "event count: %ld %s\n", status, em.reply ? em.reply : "");
    }
    CHECK(status == 400 && named);
    check_refused(&em, &s, "tick", 0, "holds 10000 events, its limit");
    size_t ticks = 0;
    CHECK(info_state(s.dstack_sock, r3, "tick", &ticks));
    (void)boot_runtime;
    emitter_free(&em);
    bool restarted = sim_restart(&s, SIGTERM, NULL);
    size_t ticks_after = 0;
    char r3_after[97];
    CHECK(restarted && info_state(s.dstack_sock, r3_after, "tick", &ticks_after));
    printf("EmitEvent count: %zu events acknowledged, then 400 (limit %d runtime events); after a "
           "restart %zu present\n",
           acked, RUNTIME_EVENTS_MAX, ticks_after);
    CHECK(ticks == acked && ticks_after == acked);
    size_t quote_len = 0;
    CHECK(get_quote_status(s.dstack_sock, &quote_len) == 200);
    CHECK(acked < RUNTIME_EVENTS_MAX);
    CHECK(sim_stop(&s) == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_name_and_payload();
    test_log_bytes();
    test_event_count();
    curl_global_cleanup();
    return check_exit();
}
