/* Info: AppInfo from a real TDX capture (values computed independently from the fixture), field
 * order, tcb_info shape, the external variant, and the cache over the simulator backend
 * (rebuilt when RTMR3 moves, app_cert hook, h_info). */
#include <dstack/attest.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"

#include "agent.h"
#include "check.h"
#include "handlers.h"
#include "info.h"
#include "tee/sim_files.h"
#include "tee/sim_state.h"
#include "util/hex.h"

static const char *const info_keys[] = {
    "app_id",    "instance_id",   "app_cert",      "tcb_info",          "app_name",
    "device_id", "mr_aggregated", "os_image_hash", "key_provider_info", "compose_hash",
    "vm_config", "cloud_vendor",  "cloud_product",
};
static const char *const tcb_keys[] = {
    "mrtd",          "rtmr0",        "rtmr1",     "rtmr2",     "rtmr3",       "mr_aggregated",
    "os_image_hash", "compose_hash", "device_id", "event_log", "app_compose",
};

static void check_order(const cJSON *o, const char *const *keys, size_t n)
{
    size_t i = 0;
    const char *k;
    const cJSON *v;
    CHECK((size_t)cJSON_GetArraySize(o) == n);
    cJSON_ArrayForEach(v, (cJSON *)o)
    {
        k = v->string;
        (void)v;
        if (i < n) {
            CHECK_STR(k, keys[i]);
        }
        i++;
    }
}

static const char *str(const cJSON *o, const char *k)
{
    return json_str(json_get(o, k));
}

static void test_build_lite(void)
{
    size_t len = 0;
    char *text = check_read_file(check_fixture("upstream/tdx/tdx-lite-getquote.json"), &len);
    cJSON *root = json_parse(text, len, 0, NULL);
    const char *qh = str(root, "quote"), *lh = str(root, "event_log"), *vm = str(root, "vm_config");
    uint8_t *q = NULL;
    size_t qlen = 0;
    CHECK(hex_decode_alloc(qh, strlen(qh), &q, &qlen) == DSTACK_OK && qlen > 632);
    struct dstack_event_log log;
    CHECK(dstack_event_log_parse(lh, strlen(lh), &log) == DSTACK_OK);
    const uint8_t *body = q + 48;
    static const char compose[] = "{\"name\":\"lite\"}\n";
    struct info_inputs in = {
        .mrtd = body + 136,
        .rtmr = (const uint8_t(*)[DSTACK_MR_LEN])(body + 328),
        .mr_config_id = body + 184,
        .mr_owner = body + 232,
        .mr_owner_config = body + 280,
        .log = &log,
        .compose_text = compose,
        .compose_len = strlen(compose),
        .app_name = "lite",
        .vm_config = vm,
        .app_cert = "",
        .cloud_vendor = "QEMU",
        .cloud_product = "Standard PC",
    };
    cJSON *info = NULL;
    CHECK(info_build(&in, &info) == DSTACK_OK);
    check_order(info, info_keys, sizeof info_keys / sizeof info_keys[0]);
    CHECK_STR(str(info, "app_id"), "86b0e55f2fa8e4fb69d890f14f54d5612707646e");
    CHECK_STR(str(info, "instance_id"), "050bf89570575fe8fab4cb8f0a62a9e64efe8ead");
    CHECK_STR(str(info, "compose_hash"),
              "86b0e55f2fa8e4fb69d890f14f54d5612707646e2573d54e0d2ddaaade77caa9");
    CHECK_STR(str(info, "os_image_hash"),
              "e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db");
    /* SHA-256 over MRTD, RTMR0-2, replayed RTMR3 and the non-zero MRCONFIGID (+ owner regs),
     * computed from the fixture with Python's hashlib. */
    CHECK_STR(str(info, "mr_aggregated"),
              "c758fa624b62536ca77504c4c52745e70880220a178a615a859c52f8b101d2ee");
    CHECK_STR(str(info, "device_id"), INFO_DEVICE_ID);
    CHECK_STR(str(info, "key_provider_info"),
              "{\"name\":\"kms\",\"id\":\"3059301306072a8648ce3d020106082a8648ce3d03010703420004"
              "2f71e234d7339a1ceaca09c3c391eb816c533f980adaab34f16ead093ff0ac100d9c03253a3056f6d2"
              "7735125433180b3e61c54a78f3fd13337869e0051dee06\"}");
    CHECK_STR(str(info, "vm_config"), vm);
    CHECK_STR(str(info, "app_name"), "lite");
    CHECK_STR(str(info, "cloud_vendor"), "QEMU");
    CHECK_STR(str(info, "app_cert"), "");

    /* tcb_info: serde's to_string_pretty shape, every key, the quote's registers. */
    const char *tcb = str(info, "tcb_info");
    CHECK(tcb != NULL && strncmp(tcb, "{\n  \"mrtd\": \"", 13) == 0);
    CHECK(tcb != NULL && strstr(tcb, "\n  \"event_log\": [\n    {\n      \"imr\": 0,\n") != NULL);
    cJSON *t = json_parse(tcb, strlen(tcb), 0, NULL);
    check_order(t, tcb_keys, sizeof tcb_keys / sizeof tcb_keys[0]);
    char hex[97];
    hex_encode(body + 328 + 3 * 48, 48, hex);
    CHECK_STR(str(t, "rtmr3"), hex);
    hex_encode(body + 136, 48, hex);
    CHECK_STR(str(t, "mrtd"), hex);
    CHECK_STR(str(t, "app_compose"), compose);
    CHECK_STR(str(t, "mr_aggregated"), str(info, "mr_aggregated"));
    CHECK((size_t)cJSON_GetArraySize(json_get(t, "event_log")) == log.count);
    json_free(t);
    json_free(info);

    /* External listener without public_tcbinfo: tcb_info and vm_config are "". */
    in.hide_tcb_info = true;
    CHECK(info_build(&in, &info) == DSTACK_OK);
    check_order(info, info_keys, sizeof info_keys / sizeof info_keys[0]);
    CHECK_STR(str(info, "tcb_info"), "");
    CHECK_STR(str(info, "vm_config"), "");
    CHECK_STR(str(info, "app_id"), "86b0e55f2fa8e4fb69d890f14f54d5612707646e");
    json_free(info);

    /* No runtime events: ids are "", key_provider_info "", vm_config without a hash gives "". */
    struct dstack_event_log empty;
    dstack_event_log_init(&empty);
    uint8_t zero[4][48] = {{0}};
    in.log = &empty;
    in.rtmr = (const uint8_t(*)[DSTACK_MR_LEN])zero;
    in.vm_config = "{\"cpu_count\":1}";
    in.hide_tcb_info = false;
    CHECK(info_build(&in, &info) == DSTACK_OK);
    CHECK_STR(str(info, "app_id"), "");
    CHECK_STR(str(info, "key_provider_info"), "");
    CHECK_STR(str(info, "os_image_hash"), "");
    json_free(info);
    /* A log that cannot replay is refused. */
    CHECK(dstack_event_log_push(&empty, 7, 1, NULL, "", NULL, 0, 1) == DSTACK_OK);
    CHECK(info_build(&in, &info) == DSTACK_EFORMAT && info == NULL);
    dstack_event_log_free(&empty);

    dstack_event_log_free(&log);
    free(q);
    json_free(root);
    free(text);
}

/* h_info answers with encoded text (rpc.h result_text); decode it and reset the call. */
static cJSON *handler_answer(struct rpc_call *call)
{
    cJSON *j = call->result;
    if (call->result_text != NULL) {
        CHECK(j == NULL);
        j = json_parse(call->result_text, call->result_text_len, 0, NULL);
        CHECK(j != NULL);
        free(call->result_text);
    }
    call->result = NULL;
    call->result_text = NULL;
    call->result_text_len = 0;
    return j;
}

/* The cached encoding (info_get_text) is byte for byte what the server makes of info_get. */
static void check_text_matches(struct agent *a, bool external)
{
    cJSON *obj = NULL;
    char *text = NULL;
    size_t len = 0;
    CHECK(info_get(a->info, a, external, &obj) == DSTACK_OK);
    CHECK(info_get_text(a->info, a, external, &text, &len) == DSTACK_OK);
    char *want = json_dump(obj, 0, NULL);
    CHECK(want != NULL && text != NULL && len == strlen(want));
    CHECK_STR(text, want);
    free(want);
    free(text);
    json_free(obj);
}

static void test_cache_over_simulator(void)
{
    char dir[] = "/tmp/test_info.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct agent_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.backend, sizeof cfg.backend, "simulator");
    snprintf(cfg.sim_dir, sizeof cfg.sim_dir, "%s", dir);
    snprintf(cfg.sim_seed, sizeof cfg.sim_seed, "info-test");
    snprintf(cfg.compose_file, sizeof cfg.compose_file, "%s/app-compose.json", dir);
    snprintf(cfg.sys_config_file, sizeof cfg.sys_config_file, "%s/sys-config.json", dir);
    snprintf(cfg.keys_file, sizeof cfg.keys_file, "%s/appkeys.json", dir);
    /* public_tcbinfo false: the external variant hides the TCB. */
    FILE *f = fopen(cfg.compose_file, "w");
    fputs("{\"name\":\"info-app\",\"public_tcbinfo\":false}", f);
    fclose(f);
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);

    struct agent a;
    memset(&a, 0, sizeof a);
    a.cfg = &cfg;
    a.tee = tee_backend_find("simulator");
    a.compose_text = check_read_file(cfg.compose_file, &a.compose_len);
    a.app_name = strdup("info-app");
    size_t n = 0;
    char *sys = check_read_file(cfg.sys_config_file, &n);
    cJSON *sysj = json_parse(sys, strlen(sys), 0, NULL);
    a.vm_config = strdup(str(sysj, "vm_config"));
    json_free(sysj);
    free(sys);
    CHECK(a.tee != NULL && a.tee->open(&cfg, &a.tee_state) == DSTACK_OK);

    /* Without a cache (a->info NULL) h_info still answers. */
    struct rpc_call call;
    memset(&call, 0, sizeof call);
    call.agent = &a;
    call.args = cJSON_CreateObject();
    CHECK(h_info(&call) == DSTACK_OK);
    cJSON *uncached = handler_answer(&call);
    check_order(uncached, info_keys, sizeof info_keys / sizeof info_keys[0]);

    CHECK(info_cache_new(&a, &a.info) == DSTACK_OK);
    CHECK(h_info(&call) == DSTACK_OK);
    cJSON *i1 = handler_answer(&call);
    CHECK(cJSON_Compare(i1, uncached, true));
    CHECK_STR(str(i1, "app_name"), "info-app");
    check_text_matches(&a, false);
    /* RTMR3 of tcb_info equals the simulator's register and the replay of tcb_info.event_log. */
    cJSON *t1 = json_parse_str(str(i1, "tcb_info"), 0, NULL);
    struct dstack_event_log log;
    char *logtxt = json_dump(json_get(t1, "event_log"), 0, NULL);
    CHECK(dstack_event_log_parse(logtxt, strlen(logtxt), &log) == DSTACK_OK);
    uint8_t rtmr[4][48];
    struct tee_measurements reg;
    CHECK(dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK);
    CHECK(a.tee->measurements(a.tee_state, &reg) == DSTACK_OK);
    CHECK(memcmp(rtmr, reg.rtmr, sizeof rtmr) == 0);
    char hex[97];
    hex_encode(reg.rtmr[3], 48, hex);
    CHECK_STR(str(t1, "rtmr3"), hex);
    CHECK_STR(str(t1, "app_compose"), a.compose_text);
    free(logtxt);
    dstack_event_log_free(&log);

    /* The response is the caller's: changing it does not touch the cache. */
    json_set(i1, "app_id", cJSON_CreateString("changed"));
    cJSON *i2 = NULL;
    CHECK(info_get(a.info, &a, false, &i2) == DSTACK_OK);
    CHECK(strcmp(str(i2, "app_id"), "changed") != 0 && strlen(str(i2, "app_id")) == 40);
    json_free(i2);

    /* EmitEvent moves RTMR3: Info follows (rtmr3, mr_aggregated, event_log), ids do not. */
    CHECK(a.tee->emit_event(a.tee_state, "my-event", (const uint8_t *)"x", 1) == DSTACK_OK);
    check_text_matches(&a, false); /* the encoding follows RTMR3 too */
    CHECK(info_get(a.info, &a, false, &i2) == DSTACK_OK);
    cJSON *t2 = json_parse_str(str(i2, "tcb_info"), 0, NULL);
    CHECK(strcmp(str(t2, "rtmr3"), str(t1, "rtmr3")) != 0);
    CHECK_STR(str(t2, "rtmr0"), str(t1, "rtmr0"));
    CHECK(strcmp(str(i2, "mr_aggregated"), str(uncached, "mr_aggregated")) != 0);
    CHECK_STR(str(i2, "compose_hash"), str(uncached, "compose_hash"));
    CHECK((size_t)cJSON_GetArraySize(json_get(t2, "event_log")) ==
          (size_t)cJSON_GetArraySize(json_get(t1, "event_log")) + 1);
    CHECK(a.tee->measurements(a.tee_state, &reg) == DSTACK_OK);
    hex_encode(reg.rtmr[3], 48, hex);
    CHECK_STR(str(t2, "rtmr3"), hex);
    json_free(t2);
    json_free(i2);

    /* The app_cert hook. */
    CHECK(info_cache_set_app_cert(a.info, "-----BEGIN CERTIFICATE-----\nx\n") == DSTACK_OK);
    CHECK(info_get(a.info, &a, false, &i2) == DSTACK_OK);
    CHECK_STR(str(i2, "app_cert"), "-----BEGIN CERTIFICATE-----\nx\n");
    check_text_matches(&a, false);
    check_text_matches(&a, true);
    check_order(i2, info_keys, sizeof info_keys / sizeof info_keys[0]);
    json_free(i2);

    /* External listener: compose has public_tcbinfo false. */
    CHECK(info_get(a.info, &a, true, &i2) == DSTACK_OK);
    CHECK_STR(str(i2, "tcb_info"), "");
    CHECK_STR(str(i2, "vm_config"), "");
    CHECK(strlen(str(i2, "mr_aggregated")) == 64);
    json_free(i2);
    CHECK(info_get(NULL, &a, true, &i2) == DSTACK_OK);
    CHECK_STR(str(i2, "tcb_info"), "");
    json_free(i2);

    json_free(t1);
    json_free(i1);
    json_free(uncached);
    json_free((cJSON *)call.args);
    info_cache_free(a.info);
    a.tee->close(a.tee_state);
    free(a.compose_text);
    free(a.app_name);
    free(a.vm_config);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    test_build_lite();
    test_cache_over_simulator();
    return check_exit();
}
