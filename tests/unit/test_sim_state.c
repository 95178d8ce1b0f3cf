/* The simulator's measurement state: default files, the synthetic boot, the system runtime
 * events computed from upstream's own simulator files, EmitEvent persistence (restart, torn
 * write, corruption, new boot), concurrency, and V2 event logs. */
#include <dstack/attest.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"
#include <openssl/evp.h>

#include "attest/runtime_log.h"
#include "check.h"
#include "config.h"
#include "tee/sim_files.h"
#include "tee/sim_boot.h"
#include "tee/sim_state.h"
#include "tee/tee.h"
#include "util/hex.h"

static char tmpdir[256];

static void make_cfg(struct agent_config *cfg, const char *sub, const char *seed)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->backend, sizeof cfg->backend, "simulator");
    snprintf(cfg->sim_dir, sizeof cfg->sim_dir, "%s/%s", tmpdir, sub);
    mkdir(cfg->sim_dir, 0700);
    snprintf(cfg->sim_seed, sizeof cfg->sim_seed, "%s", seed);
    if (snprintf(cfg->compose_file, sizeof cfg->compose_file, "%s/app-compose.json",
                 cfg->sim_dir) >= (int)sizeof cfg->compose_file ||
        snprintf(cfg->sys_config_file, sizeof cfg->sys_config_file, "%s/sys-config.json",
                 cfg->sim_dir) >= (int)sizeof cfg->sys_config_file ||
        snprintf(cfg->keys_file, sizeof cfg->keys_file, "%s/appkeys.json", cfg->sim_dir) >=
            (int)sizeof cfg->keys_file) {
        abort();
    }
}

static void write_text(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    fputs(text, f);
    fclose(f);
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int l = 0;
    EVP_Digest(p, n, out, &l, EVP_sha256(), NULL);
}

/* Replays a snapshot's log and compares with its registers. */
static void check_consistent(struct sim_state *st, struct sim_measurements *m_out,
                             struct dstack_event_log *log_out)
{
    struct sim_measurements m;
    struct dstack_event_log log;
    CHECK(sim_state_copy_log(st, &m, &log) == DSTACK_OK);
    uint8_t rtmr[4][DSTACK_MR_LEN];
    CHECK(dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK);
    CHECK(memcmp(rtmr, m.rtmr, sizeof rtmr) == 0);
    if (m_out != NULL) {
        *m_out = m;
    }
    if (log_out != NULL) {
        *log_out = log;
    } else {
        dstack_event_log_free(&log);
    }
}

static const char *const system_events[] = {
    "system-preparing", "app-id",       "compose-hash", "instance-id",  "boot-mr-done",
    "os-image-hash",    "key-provider", "storage-fs",   "system-ready",
};
#define N_BOOT 20
#define N_SYSTEM (sizeof system_events / sizeof system_events[0])

static void test_default_files_and_boot(void)
{
    struct agent_config cfg;
    make_cfg(&cfg, "defaults", "seed-one");
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);
    size_t len = 0;
    char *compose = check_read_file(cfg.compose_file, &len);
    CHECK_STR(compose, sim_files_default_compose);
    /* An existing file is left alone. */
    write_text(cfg.compose_file, "{\"name\":\"mine\"}", "w");
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);
    free(compose);
    compose = check_read_file(cfg.compose_file, &len);
    CHECK_STR(compose, "{\"name\":\"mine\"}");
    free(compose);
    unlink(cfg.compose_file);
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);
    compose = check_read_file(cfg.compose_file, &len);

    /* sys-config: vm_config string with the development seed's os_image_hash. */
    char *sys = check_read_file(cfg.sys_config_file, &len);
    cJSON *doc = json_parse(sys, strlen(sys), 0, NULL);
    const char *vm = json_str(json_get(doc, "vm_config"));
    CHECK(vm != NULL);
    uint8_t h[SIM_HASH_LEN];
    char hex[65];
    sim_seed_hash("seed-one", "os-image", h);
    hex_encode(h, 32, hex);
    char want_vm[200];
    snprintf(want_vm, sizeof want_vm,
             "{\"os_image_hash\":\"%s\",\"cpu_count\":2,\"memory_size\":2147483648}", hex);
    CHECK_STR(vm, want_vm);

    struct sim_state *st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    if (st == NULL) {
        fprintf(stderr, "open: %s\n", err_text());
        exit(1);
    }
    struct sim_measurements m;
    struct dstack_event_log log;
    check_consistent(st, &m, &log);
    CHECK(log.count == N_BOOT + N_SYSTEM);
    size_t per_imr[4] = {0};
    for (size_t i = 0; i < N_BOOT && i < log.count; i++) {
        CHECK(log.events[i].has_digest && log.events[i].imr < 3);
        CHECK(log.events[i].event_type != DSTACK_RUNTIME_EVENT_TYPE);
        per_imr[log.events[i].imr]++;
    }
    CHECK(per_imr[0] == 13 && per_imr[1] == 5 && per_imr[2] == 2);
    /* The three ACPI DATA events, labelled, with their marker payload. */
    for (size_t i = 8; i < 11; i++) {
        CHECK(log.events[i].event_type == 10 && log.events[i].payload_len == 9 &&
              memcmp(log.events[i].payload, "ACPI DATA", 9) == 0);
    }
    CHECK_STR(log.events[8].event, "acpi-loader");
    CHECK_STR(log.events[9].event, "acpi-rsdp");
    CHECK_STR(log.events[10].event, "acpi-tables");
    /* Events whose digest covers their payload are measured like firmware does. */
    uint8_t d[DSTACK_SHA384_LEN];
    unsigned int dl = 0;
    EVP_Digest(log.events[7].payload, log.events[7].payload_len, d, &dl, EVP_sha384(), NULL);
    CHECK(log.events[7].event_type == 4 && memcmp(d, log.events[7].digest, 48) == 0);
    CHECK(log.events[14].event_type == 0x80000007u && log.events[14].payload_len == 40);
    for (size_t i = 0; i < N_SYSTEM && N_BOOT + i < log.count; i++) {
        CHECK_STR(log.events[N_BOOT + i].event, system_events[i]);
        CHECK(log.events[N_BOOT + i].version == 1 && log.events[N_BOOT + i].imr == 3);
    }
    /* compose-hash = SHA-256(file bytes), app-id its first 20 bytes; os-image-hash from vm_config;
     * no keys file: key-provider "none"; the default compose says ext4. */
    uint8_t ch[32];
    sha256(compose, strlen(compose), ch);
    const struct dstack_event *e = dstack_event_log_find_runtime(&log, "compose-hash");
    CHECK(e != NULL && e->payload_len == 32 && memcmp(e->payload, ch, 32) == 0);
    e = dstack_event_log_find_runtime(&log, "app-id");
    CHECK(e != NULL && e->payload_len == 20 && memcmp(e->payload, ch, 20) == 0);
    e = dstack_event_log_find_runtime(&log, "os-image-hash");
    CHECK(e != NULL && e->payload_len == 32 && memcmp(e->payload, h, 32) == 0);
    e = dstack_event_log_find_runtime(&log, "key-provider");
    /* appkeys.json was generated: the key provider is its CA's P-256 SPKI (204 bytes, as in
     * upstream's fixture, tests/vectors/keys.md). */
    static const char kp_head[] = "{\"name\":\"kms\",\"id\":\"3059301306072a8648ce3d020106082a"
                                  "8648ce3d030107034200";
    CHECK(access(cfg.keys_file, R_OK) == 0);
    CHECK(e != NULL && e->payload_len == 204 && memcmp(e->payload, kp_head, strlen(kp_head)) == 0);
    e = dstack_event_log_find_runtime(&log, "storage-fs");
    CHECK(e != NULL && e->payload_len == 4 && memcmp(e->payload, "ext4", 4) == 0);
    /* instance-id = SHA-256(seed-derived 20 bytes || app_id)[..20]. */
    uint8_t idin[40], id[32];
    sim_seed_hash("seed-one", "instance-id-seed", h);
    memcpy(idin, h, 20);
    memcpy(idin + 20, ch, 20);
    sha256(idin, 40, id);
    e = dstack_event_log_find_runtime(&log, "instance-id");
    CHECK(e != NULL && e->payload_len == 20 && memcmp(e->payload, id, 20) == 0);
    /* MRTD from the seed; config registers zero. */
    sim_seed_hash("seed-one", "mrtd", h);
    CHECK(memcmp(m.mrtd, h, 48) == 0);
    static const uint8_t zero[48];
    CHECK(memcmp(m.mr_config_id, zero, 48) == 0);
    CHECK(m.generation == 0);

    /* Same seed elsewhere: same registers. Other seed: other MRTD, RTMR0, RTMR2 and RTMR3. */
    struct agent_config cfg2, cfg3;
    make_cfg(&cfg2, "defaults2", "seed-one");
    make_cfg(&cfg3, "defaults3", "seed-two");
    struct sim_state *st2 = NULL, *st3 = NULL;
    CHECK(sim_files_ensure(&cfg2) == DSTACK_OK);
    CHECK(sim_files_ensure(&cfg3) == DSTACK_OK);
    CHECK(sim_state_open(&cfg2, &st2) == DSTACK_OK);
    CHECK(sim_state_open(&cfg3, &st3) == DSTACK_OK);
    struct sim_measurements m2, m3;
    check_consistent(st2, &m2, NULL);
    check_consistent(st3, &m3, NULL);
    CHECK(memcmp(&m, &m2, sizeof m) == 0);
    CHECK(memcmp(m.mrtd, m3.mrtd, 48) != 0);
    CHECK(memcmp(m.rtmr[0], m3.rtmr[0], 48) != 0);
    CHECK(memcmp(m.rtmr[1], m3.rtmr[1], 48) != 0);
    CHECK(memcmp(m.rtmr[2], m3.rtmr[2], 48) != 0);
    CHECK(memcmp(m.rtmr[3], m3.rtmr[3], 48) != 0);

    sim_state_free(st);
    sim_state_free(st2);
    sim_state_free(st3);
    dstack_event_log_free(&log);
    json_free(doc);
    free(sys);
    free(compose);
}

/* Upstream's own simulator files, used unchanged: compose-hash is the raw-file hash of
 * vectors computed with upstream's code, key-provider names the CA key's SPKI exactly as upstream's
 * fixture event does (docs/api/Info.md), os-image-hash comes from its sys-config. */
static void test_upstream_files(void)
{
    struct agent_config cfg;
    make_cfg(&cfg, "upstream", "");
    snprintf(cfg.compose_file, sizeof cfg.compose_file, "%s",
             check_fixture("upstream/simulator/app-compose.json"));
    snprintf(cfg.sys_config_file, sizeof cfg.sys_config_file, "%s",
             check_fixture("upstream/simulator/sys-config.json"));
    snprintf(cfg.keys_file, sizeof cfg.keys_file, "%s",
             check_fixture("upstream/simulator/appkeys.json"));
    struct sim_state *st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    if (st == NULL) {
        fprintf(stderr, "open: %s\n", err_text());
        return;
    }
    struct dstack_event_log log;
    check_consistent(st, NULL, &log);
    const struct dstack_event *e = dstack_event_log_find_runtime(&log, "compose-hash");
    CHECK(e != NULL);
    if (e != NULL) {
        CHECK_HEX(e->payload, e->payload_len,
                  "65b4e574f16973956908b6359920593c3b7d9f36f38e81a47f996a0c0d5435bb");
    }
    e = dstack_event_log_find_runtime(&log, "app-id");
    if (e != NULL) {
        CHECK_HEX(e->payload, e->payload_len, "65b4e574f16973956908b6359920593c3b7d9f36");
    }
    e = dstack_event_log_find_runtime(&log, "key-provider");
    CHECK(e != NULL);
    if (e != NULL) {
        char *kp = strndup((const char *)e->payload, e->payload_len);
        CHECK_STR(kp, "{\"name\":\"kms\",\"id\":\"3059301306072a8648ce3d020106082a8648ce3d03010703"
                      "4200041"
                      "9b2457dd9b8aa6446d980f136fff7812ecd6c77740eeb0e28b10d56c0c00028a5b6e59dcea3"
                      "07d583bd1f70769e9c116df2bcfb1758a95d8613e7de1c8482c0\"}");
        free(kp);
    }
    e = dstack_event_log_find_runtime(&log, "os-image-hash");
    CHECK(e != NULL);
    if (e != NULL) {
        CHECK_HEX(e->payload, e->payload_len,
                  "64f0d1545cd510a8dfed7ad609d105b5d41f0cb2afcfdda8867ede00c88add7a");
    }
    dstack_event_log_free(&log);
    sim_state_free(st);
}

static void test_emit_and_persistence(void)
{
    struct agent_config cfg;
    make_cfg(&cfg, "emit", "seed-emit");
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);
    struct sim_state *st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    struct sim_measurements before, after;
    check_consistent(st, &before, NULL);

    static const uint8_t payload[] = {0xde, 0xad, 0xbe, 0xef};
    CHECK(sim_state_emit(st, "custom-event", payload, sizeof payload) == DSTACK_OK);
    check_consistent(st, &after, NULL);
    uint8_t d[48], want[48];
    memcpy(want, before.rtmr[3], 48);
    CHECK(dstack_runtime_event_digest(1, "custom-event", payload, sizeof payload, d) == DSTACK_OK);
    dstack_rtmr_extend(want, d);
    CHECK(memcmp(after.rtmr[3], want, 48) == 0);
    CHECK(memcmp(after.rtmr[0], before.rtmr[0], 48) == 0);
    CHECK(after.generation == 1);

    /* Refused: empty name, invalid UTF-8; nothing moves. */
    CHECK(sim_state_emit(st, "", NULL, 0) == DSTACK_EINVAL);
    CHECK(sim_state_emit(st, "\xff", NULL, 0) == DSTACK_EINVAL);
    struct sim_measurements same;
    check_consistent(st, &same, NULL);
    CHECK(memcmp(&same, &after, sizeof same) == 0);

    /* The file ends with upstream's line for it. */
    char path[1200];
    snprintf(path, sizeof path, "%s/runtime_events.log", cfg.sim_dir);
    size_t len = 0;
    char *text = check_read_file(path, &len);
    static const char last[] = "{\"event\":\"custom-event\",\"payload\":\"3q2+7w==\"}\n";
    CHECK(text != NULL && len > strlen(last) && strcmp(text + len - strlen(last), last) == 0);
    free(text);
    sim_state_free(st);

    /* Restart: same state. */
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    struct sim_measurements re;
    struct dstack_event_log log;
    check_consistent(st, &re, &log);
    CHECK(memcmp(re.rtmr, after.rtmr, sizeof re.rtmr) == 0);
    CHECK(log.count == N_BOOT + N_SYSTEM + 1);
    dstack_event_log_free(&log);
    sim_state_free(st);

    /* A torn last write (crash mid-append) is dropped and the file cut back. */
    text = check_read_file(path, &len);
    write_text(path, "{\"event\":\"half", "a");
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    check_consistent(st, &re, NULL);
    CHECK(memcmp(re.rtmr, after.rtmr, sizeof re.rtmr) == 0);
    size_t len2 = 0;
    char *text2 = check_read_file(path, &len2);
    CHECK(len2 == len && memcmp(text, text2, len) == 0);
    free(text2);
    /* ...and appending afterwards works. */
    CHECK(sim_state_emit(st, "after-crash", NULL, 0) == DSTACK_OK);
    sim_state_free(st);
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    check_consistent(st, NULL, &log);
    CHECK(log.count == N_BOOT + N_SYSTEM + 2);
    CHECK_STR(log.events[log.count - 1].event, "after-crash");
    dstack_event_log_free(&log);
    sim_state_free(st);

    /* A complete entry without its newline is kept. */
    write_text(path, "{\"event\":\"no-newline\",\"payload\":\"\"}", "a");
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    CHECK(sim_state_emit(st, "next", NULL, 0) == DSTACK_OK);
    check_consistent(st, NULL, &log);
    CHECK(log.count == N_BOOT + N_SYSTEM + 4);
    dstack_event_log_free(&log);
    sim_state_free(st);
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    check_consistent(st, NULL, &log);
    CHECK(log.count == N_BOOT + N_SYSTEM + 4);
    CHECK_STR(log.events[log.count - 2].event, "no-newline");
    dstack_event_log_free(&log);
    sim_state_free(st);

    /* A corrupt line in the middle stops start-up with a message naming the file. */
    free(text);
    text = check_read_file(path, &len);
    char *bad = malloc(len + 64);
    snprintf(bad, len + 64, "%s%s", "{\"event\":\"x\",\"payload\":\"***\"}\n", text);
    write_text(path, bad, "w");
    st = NULL;
    err_clear();
    CHECK(sim_state_open(&cfg, &st) == DSTACK_EFORMAT);
    CHECK(st == NULL && strstr(err_text(), "runtime_events.log: line 1") != NULL);
    free(bad);

    /* A different compose is a new boot: the log is rewritten with the system events only. */
    write_text(path, text, "w");
    write_text(cfg.compose_file, "{\"name\":\"other\",\"storage_fs\":\"zfs\"}", "w");
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    check_consistent(st, &re, &log);
    CHECK(log.count == N_BOOT + N_SYSTEM);
    CHECK(memcmp(re.rtmr[3], after.rtmr[3], 48) != 0);
    CHECK(memcmp(re.rtmr[0], after.rtmr[0], 48) == 0);
    const struct dstack_event *e = dstack_event_log_find_runtime(&log, "storage-fs");
    CHECK(e != NULL && e->payload_len == 3 && memcmp(e->payload, "zfs", 3) == 0);
    dstack_event_log_free(&log);
    sim_state_free(st);
    free(text);

    /* Bad inputs name their file. */
    static const struct {
        const char *compose;
        const char *err;
    } bad_compose[] = {
        {"not json", "app-compose.json: not a JSON object"},
        {"[]", "app-compose.json: not a JSON object"},
        {"{\"event_log_version\":3}", "app-compose.json: \"event_log_version\" must be 1 or 2"},
        {"{\"storage_fs\":\"ntfs\"}", "app-compose.json: \"storage_fs\" must be"},
        {"{\"no_instance_id\":1}", "app-compose.json: \"no_instance_id\" must be a boolean"},
    };
    for (size_t i = 0; i < sizeof bad_compose / sizeof bad_compose[0]; i++) {
        write_text(cfg.compose_file, bad_compose[i].compose, "w");
        st = NULL;
        err_clear();
        CHECK(sim_state_open(&cfg, &st) != DSTACK_OK && st == NULL);
        if (strstr(err_text(), bad_compose[i].err) == NULL) {
            CHECK_STR(err_text(), bad_compose[i].err);
        }
    }
    write_text(cfg.compose_file, "{}", "w");
    write_text(cfg.sys_config_file, "{\"vm_config\":1}", "w");
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_EFORMAT && st == NULL);
    CHECK(strstr(err_text(), "sys-config.json: \"vm_config\"") != NULL);
    write_text(cfg.sys_config_file, "{\"vm_config\":\"{}\"}", "w");
    write_text(cfg.keys_file, "{\"ca_cert\":\"nope\"}", "w");
    CHECK(sim_state_open(&cfg, &st) == DSTACK_EFORMAT && st == NULL);
    CHECK(strstr(err_text(), "appkeys.json: \"ca_cert\" is not a PEM certificate") != NULL);
    unlink(cfg.keys_file);
    /* no os_image_hash in vm_config: no os-image-hash event */
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    check_consistent(st, NULL, &log);
    CHECK(log.count == N_BOOT + N_SYSTEM - 1);
    CHECK(dstack_event_log_find_runtime(&log, "os-image-hash") == NULL);
    /* no keys file: key provider "none" with an empty id (system_setup.rs verify_app) */
    e = dstack_event_log_find_runtime(&log, "key-provider");
    CHECK(e != NULL && e->payload_len == 23 &&
          memcmp(e->payload, "{\"name\":\"none\",\"id\":\"\"}", 23) == 0);
    dstack_event_log_free(&log);
    sim_state_free(st);
}

struct emitter {
    struct sim_state *st;
    int id;
    int n;
    int failures;
};

static void *emit_thread(void *arg)
{
    struct emitter *em = arg;
    for (int i = 0; i < em->n; i++) {
        char name[32];
        uint8_t p[2] = {(uint8_t)em->id, (uint8_t)i};
        snprintf(name, sizeof name, "t%d-%d", em->id, i);
        if (sim_state_emit(em->st, name, p, sizeof p) != DSTACK_OK) {
            em->failures++;
        }
        if (i % 10 == 0) {
            struct sim_measurements m;
            struct dstack_event_log log;
            uint8_t r[4][48];
            if (sim_state_copy_log(em->st, &m, &log) != DSTACK_OK ||
                dstack_replay_rtmrs(&log, r) != DSTACK_OK || memcmp(r, m.rtmr, sizeof r) != 0) {
                em->failures++;
            }
            dstack_event_log_free(&log);
        }
    }
    return NULL;
}

static void test_concurrency_and_v2(void)
{
    struct agent_config cfg;
    make_cfg(&cfg, "v2", "seed-v2");
    write_text(cfg.compose_file,
               "{\"name\":\"v2\",\"event_log_version\":2,"
               "\"init_script\":[\"echo a\",\"echo b\"]}",
               "w");
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);
    struct sim_state *st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    if (st == NULL) {
        return;
    }
    CHECK(sim_state_event_version(st) == 2);
    struct emitter em[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        em[i] = (struct emitter){st, i, 50, 0};
        pthread_create(&th[i], NULL, emit_thread, &em[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(em[i].failures == 0);
    }
    struct sim_measurements m;
    struct dstack_event_log log;
    check_consistent(st, &m, &log);
    /* 20 boot + 9 system + 2 init-script-hash + 200 emitted, all runtime events V2. */
    CHECK(log.count == N_BOOT + N_SYSTEM + 2 + 200);
    CHECK(m.generation == 200);
    CHECK_STR(log.events[N_BOOT + 3].event, "init-script-hash");
    uint8_t h[32];
    sha256("echo b", 6, h);
    CHECK(log.events[N_BOOT + 4].payload_len == 32 &&
          memcmp(log.events[N_BOOT + 4].payload, h, 32) == 0);
    for (size_t i = N_BOOT; i < log.count; i++) {
        CHECK(log.events[i].version == 2);
    }
    dstack_event_log_free(&log);
    sim_state_free(st);
    st = NULL;
    CHECK(sim_state_open(&cfg, &st) == DSTACK_OK);
    struct sim_measurements re;
    check_consistent(st, &re, &log);
    CHECK(memcmp(re.rtmr, m.rtmr, sizeof m.rtmr) == 0);
    CHECK(log.count == N_BOOT + N_SYSTEM + 2 + 200);
    dstack_event_log_free(&log);
    sim_state_free(st);
}

static void test_backend(void)
{
    const struct tee_backend *b = tee_backend_find("simulator");
    CHECK(b != NULL && strcmp(b->name, "simulator") == 0);
    CHECK(tee_backend_find("nope") == NULL);
    CHECK(tee_backend_find(NULL) == NULL);
    if (b == NULL) {
        return;
    }
    struct agent_config cfg;
    make_cfg(&cfg, "backend", "seed-b");
    CHECK(sim_files_ensure(&cfg) == DSTACK_OK);
    void *state = NULL;
    CHECK(b->open(&cfg, &state) == DSTACK_OK);
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    CHECK(b->event_log(state, &log) == DSTACK_OK);
    CHECK(log.count == N_BOOT + N_SYSTEM);
    struct tee_measurements m1, m2;
    CHECK(b->measurements(state, &m1) == DSTACK_OK);
    CHECK(b->emit_event != NULL && b->emit_event(state, "x", NULL, 0) == DSTACK_OK);
    CHECK(b->measurements(state, &m2) == DSTACK_OK);
    CHECK(memcmp(m1.rtmr[3], m2.rtmr[3], 48) != 0);
    dstack_event_log_free(&log);
    b->close(state);
    /* open failure names the file */
    make_cfg(&cfg, "backend-missing", "seed-b");
    state = NULL;
    CHECK(b->open(&cfg, &state) == DSTACK_EIO && state == NULL);
    CHECK(strstr(err_text(), "app-compose.json") != NULL);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_sim_state.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        return 1;
    }
    test_default_files_and_boot();
    test_upstream_files();
    test_emit_and_persistence();
    test_concurrency_and_v2();
    test_backend();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) {
        return 1;
    }
    return check_exit();
}
