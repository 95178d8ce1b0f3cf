/* The dstack layer (lib/verify dstack_verify_attestation): upstream's real lite capture
 * (tests/fixtures/upstream/tdx/tdx-lite-getquote.json) replays to its quote's RTMRs and gives the
 * app identity its events carry; a simulated platform (quote_build + its collateral) verifies end
 * to end; tampered event logs, quotes and vm_config are caught (the lite OS-image check on the
 * capture itself: test_dstack_os_image.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dstack/attest.h>
#include <dstack/quote.h>
#include <dstack/verify.h>

#include "tee/sim_pck.h"
#include "check.h"
#include "json/json.h"
#include "verify/dstack_layer.h"

struct capture {
    uint8_t *quote;
    size_t quote_len;
    char *event_log, *vm_config;
};

static void load_capture(struct capture *c)
{
    size_t len;
    char *text = check_read_file(check_fixture("upstream/tdx/tdx-lite-getquote.json"), &len);
    cJSON *j = json_parse(text, len, 0, NULL);
    const char *q = json_get_str(j, "quote");
    CHECK(j != NULL && q != NULL &&
          hex_decode_alloc(q, strlen(q), &c->quote, &c->quote_len) == DSTACK_OK);
    c->event_log = strdup(json_get_str(j, "event_log"));
    c->vm_config = strdup(json_get_str(j, "vm_config"));
    json_free(j);
    free(text);
}

/* Step 3 on the real capture: its quote has no collateral here, so the report comes from the
 * parser and the event log check runs alone. */
static dstack_err check_capture(const struct capture *c, const char *event_log,
                                struct dstack_attestation_result *r)
{
    struct dstack_attestation_input in = {.quote = c->quote,
                                          .quote_len = c->quote_len,
                                          .event_log = event_log,
                                          .event_log_len = strlen(event_log),
                                          .vm_config = c->vm_config,
                                          .vm_config_len = strlen(c->vm_config)};
    struct dl_input d;
    struct dstack_quote q;
    memset(r, 0, sizeof *r);
    if (dl_input_decode(&in, &d) != DSTACK_OK ||
        dstack_quote_parse(d.quote, d.quote_len, &q) != DSTACK_OK) {
        return DSTACK_EFORMAT;
    }
    r->dcap.td = q.report;
    dstack_err err = dl_check_event_log(&d, r);
    dl_input_free(&d);
    return err;
}

static void test_lite_capture(void)
{
    struct capture c;
    struct dstack_attestation_result *r = calloc(1, sizeof *r);
    load_capture(&c);
    CHECK(check_capture(&c, c.event_log, r) == DSTACK_OK);
    CHECK(r->event_log_verified && r->has_app_info);
    CHECK(memcmp(r->app.rtmr, r->dcap.td.rtmr, sizeof r->app.rtmr) == 0);
    CHECK_HEX(r->app.app_id, r->app.app_id_len, "86b0e55f2fa8e4fb69d890f14f54d5612707646e");
    CHECK_HEX(r->app.compose_hash, r->app.compose_hash_len,
              "86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9");
    CHECK_HEX(r->app.instance_id, r->app.instance_id_len,
              "050bf89570575fe8fab4cb8f0a62a9e64efe8ead");
    CHECK_HEX(r->app.os_image_hash, r->app.os_image_hash_len,
              "07a2388c7a6a1b6a646d443f1517990a4ec294471d63146cda9d56972765051d");
    CHECK(r->app.key_provider_info_len == 204);
    uint8_t agg[32];
    CHECK(dstack_mr_aggregated(r->dcap.td.mr_td, r->dcap.td.rtmr, r->dcap.td.mr_config_id,
                               r->dcap.td.mr_owner, r->dcap.td.mr_owner_config, agg) == DSTACK_OK);
    CHECK(memcmp(agg, r->app.mr_aggregated, 32) == 0);

    /* tampering: a runtime payload (compose-hash), then a boot digest (RTMR1) */
    char *bad = strdup(c.event_log);
    char *at = strstr(bad, "86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9");
    CHECK(at != NULL);
    at[0] = '9';
    CHECK(check_capture(&c, bad, r) == DSTACK_OK && !r->event_log_verified);
    CHECK(strstr(r->reason, "RTMR3 mismatch") != NULL);
    free(bad);
    bad = strdup(c.event_log);
    at = strstr(bad, "\"imr\":1");
    char *dig = at ? strstr(at, "\"digest\":\"") : NULL;
    CHECK(dig != NULL);
    dig[10] = dig[10] == 'a' ? 'b' : 'a';
    CHECK(check_capture(&c, bad, r) == DSTACK_OK && !r->event_log_verified);
    CHECK(strstr(r->reason, "RTMR1 mismatch") != NULL);
    free(bad);
    free(r);
    free(c.quote);
    free(c.event_log);
    free(c.vm_config);
}

struct simulated {
    struct quote_pki *pki;
    struct dstack_collateral *col;
    uint8_t *root;
    size_t root_len;
    uint8_t *quote;
    size_t quote_len;
    char *log_json;
};

/* A platform as the simulator runs one: runtime events in RTMR3, a quote over them, the
 * collateral and root the simulator writes. */
static void simulate(struct simulated *s, const uint8_t rd[64])
{
    static const uint8_t seed[QUOTE_SEED_LEN] = {7};
    static const uint8_t app_id[20] = {0xa1, 0xa2};
    static const uint8_t compose[32] = {0xc0};
    static const char kp[] = "{\"name\":\"kms\",\"id\":\"abcd\"}";
    struct dstack_event_log log;
    struct quote_td td;
    uint8_t rtmr[4][DSTACK_MR_LEN];
    memset(s, 0, sizeof *s);
    dstack_event_log_init(&log);
    quote_td_defaults(&td);
    CHECK(dstack_event_log_push_runtime(&log, "app-id", app_id, sizeof app_id, 1) == DSTACK_OK);
    CHECK(dstack_event_log_push_runtime(&log, "compose-hash", compose, sizeof compose, 1) ==
          DSTACK_OK);
    CHECK(dstack_event_log_push_runtime(&log, "key-provider", (const uint8_t *)kp, strlen(kp), 1) ==
          DSTACK_OK);
    CHECK(dstack_event_log_push_runtime(&log, "system-ready", NULL, 0, 1) == DSTACK_OK);
    CHECK(dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK);
    memcpy(td.rtmr, rtmr, sizeof rtmr);
    memset(td.mr_td, 0x3d, sizeof td.mr_td);
    CHECK(dstack_event_log_format(&log, DSTACK_EVLOG_JSON_COMPACT, &s->log_json) == DSTACK_OK);
    CHECK(quote_pki_new(seed, &s->pki) == DSTACK_OK);
    CHECK(quote_build_v4(s->pki, &td, rd, &s->quote, &s->quote_len) == DSTACK_OK);
    CHECK(quote_pki_collateral(s->pki, &s->col) == DSTACK_OK);
    const char *root = quote_pki_root_pem(s->pki);
    CHECK(dstack_cert_to_der(root, strlen(root), &s->root, &s->root_len) == DSTACK_OK);
    dstack_event_log_free(&log);
}

static void simulated_free(struct simulated *s)
{
    quote_pki_free(s->pki);
    dstack_collateral_free(s->col);
    free(s->root);
    free(s->quote);
    free(s->log_json);
}

static void verify_sim_vm(const struct simulated *s, const char *log_json, const uint8_t *quote,
                          const char *vm_config, struct dstack_attestation_result *r)
{
    struct dstack_attestation_input in = {.quote = quote,
                                          .quote_len = s->quote_len,
                                          .event_log = log_json,
                                          .event_log_len = strlen(log_json),
                                          .vm_config = vm_config,
                                          .vm_config_len = strlen(vm_config)};
    struct dstack_dcap_options opts = {s->root, s->root_len};
    CHECK(dstack_verify_attestation(&in, s->col, (uint64_t)time(NULL), &opts, r) == DSTACK_OK);
}

static void verify_sim(const struct simulated *s, const char *log_json, const uint8_t *quote,
                       struct dstack_attestation_result *r)
{
    verify_sim_vm(s, log_json, quote, "{\"os_image_hash\":\"00\"}", r);
}

/* vm_config tampered on a simulated platform, through the whole path: the quote verifies, then
 * the OS-image step refuses (and the event log step does not run). */
static void test_simulated_vm_config(void)
{
    static const struct {
        const char *vm_config, *reason;
    } cases[] = {
        {"{\"os_image_hash\":\"00\"", "Failed to decode VM config: Failed to parse vm config: *"},
        {"{\"os_image_hash\":\"0g\"}",
         "Failed to decode VM config: Failed to parse vm config: `os_image_hash` is not hex of at "
         "most 64 bytes"},
        {"{\"memory_size\":-2}", "Failed to decode VM config: Failed to parse vm config: invalid "
                                 "type: integer, expected u64 for `memory_size`"},
        {"{\"tdx_attestation_variant\":\"lite\"}",
         "tdx lite attestation requires vm_config.tdx_measurement"},
        {"{\"tdx_attestation_variant\":\"lite\",\"os_image_hash\":\"00\",\"tdx_measurement\":"
         "{\"checksum_file\":\"\",\"measurement\":\"\"}}",
         "tdx lite measurement material does not match os_image_hash: os_image_hash mismatch: "
         "expected sha256(sha256sum.txt)=00, actual="
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    };
    uint8_t rd[64] = {0x51};
    struct simulated s;
    struct dstack_attestation_result *r = calloc(1, sizeof *r);
    char want[400];
    simulate(&s, rd);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        verify_sim_vm(&s, s.log_json, s.quote, cases[i].vm_config, r);
        snprintf(want, sizeof want, "OS image hash verification failed: %s", cases[i].reason);
        size_t n = strlen(want);
        bool prefix = want[n - 1] == '*';
        CHECK(!r->is_valid && r->quote_verified && !r->event_log_verified &&
              !r->os_image_hash_verified);
        if (prefix) {
            CHECK(strncmp(r->reason, want, n - 1) == 0);
        } else {
            CHECK_STR(r->reason, want);
        }
    }
    /* the real lite capture's vm_config on a simulated quote: no RTMR0 ACPI events here */
    struct capture c;
    load_capture(&c);
    verify_sim_vm(&s, s.log_json, s.quote, c.vm_config, r);
    CHECK_STR(r->reason, "OS image hash verification failed: TDX lite attestation is missing "
                         "named RTMR0 ACPI DATA digests: TDX lite attestation requires exactly 3 "
                         "RTMR0 ACPI DATA events; found 0 candidates and 0 RTMR0 events");
    free(c.quote);
    free(c.event_log);
    free(c.vm_config);
    free(r);
    simulated_free(&s);
}

static void test_simulated_platform(void)
{
    uint8_t rd[64] = {0x42, 0x43};
    struct simulated s;
    struct dstack_attestation_result *r = calloc(1, sizeof *r);
    simulate(&s, rd);
    verify_sim(&s, s.log_json, s.quote, r);
    CHECK(r->is_valid && r->quote_verified && r->event_log_verified && !r->os_image_hash_verified);
    CHECK_STR(r->reason, "");
    CHECK_STR(r->dcap.status, "UpToDate");
    CHECK(memcmp(r->dcap.td.report_data, rd, 64) == 0);
    CHECK_HEX(r->app.app_id, r->app.app_id_len, "a1a2000000000000000000000000000000000000");
    CHECK_STR(r->os_image_note, "not checked: legacy mode recomputes MRTD and RTMR0-2 from the OS "
                                "image files, which dstack-c does not download");
    char *json = NULL;
    CHECK(dstack_attestation_result_to_json(r, &json) == DSTACK_OK);
    CHECK(json != NULL && strstr(json, "\"is_valid\":true") != NULL &&
          strstr(json, "\"key_provider\":{\"name\":\"kms\",\"id\":\"abcd\"}") != NULL &&
          strstr(json, "\"tee_variant\":\"dstack-tdx\"") != NULL);
    free(json);

    /* a tampered runtime event: the compose hash's first byte */
    char *bad = strdup(s.log_json);
    char *at = strstr(bad, "\"c0000000");
    CHECK(at != NULL);
    at[1] = 'd';
    verify_sim(&s, bad, s.quote, r);
    CHECK(!r->is_valid && r->quote_verified == false);
    CHECK(strstr(r->reason, "Quote verification failed: RTMR3 mismatch") != NULL);
    free(bad);

    /* tampered report data in the quote: the signature no longer holds */
    uint8_t *q = malloc(s.quote_len);
    memcpy(q, s.quote, s.quote_len);
    q[568] ^= 1;
    verify_sim(&s, s.log_json, q, r);
    CHECK(!r->is_valid && strstr(r->reason, "ISV enclave report signature is invalid") != NULL);
    free(q);

    /* Intel's root instead of the simulator's: the chain does not verify */
    struct dstack_attestation_input in = {.quote = s.quote,
                                          .quote_len = s.quote_len,
                                          .event_log = s.log_json,
                                          .event_log_len = strlen(s.log_json)};
    CHECK(dstack_verify_attestation(&in, s.col, (uint64_t)time(NULL), NULL, r) == DSTACK_OK);
    CHECK(!r->is_valid && strstr(r->reason, "certificate chain") != NULL);
    free(r);
    simulated_free(&s);
}

int main(void)
{
    test_lite_capture();
    test_simulated_platform();
    test_simulated_vm_config();
    return check_exit();
}
