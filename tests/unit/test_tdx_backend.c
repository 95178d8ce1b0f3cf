/* The tdx backend (agent/tee/tdx*.c) against the fake kernel of fake_tdx.h: configfs quotes and
 * their failure modes, RTMR3 extension before the log line, the start-up replay check and its
 * repair, the quote queue, the QGS message codec. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dstack/attest.h>
#include <dstack/ccel.h>
#include <dstack/quote.h>

#include "attest/evlog_internal.h"
#include "attest/runtime_log.h"
#include "check.h"
#include "config.h"
#include "fake_tdx.h"
#include "fake_tdx_syscalls.h"
#include "log.h"
#include "tee/backends.h"
#include "tee/tdx_gate.h"
#include "tee/tdx_paths.h"
#include "tee/tdx_qgs.h"

static struct fake_tdx fk;
static struct agent_config cfg;
static const char *ccel_path;

static void config_for(struct agent_config *c, const struct fake_tdx *f)
{
    config_defaults(c, false);
    snprintf(c->tdx.configfs_dir, sizeof c->tdx.configfs_dir, "%s", f->report_dir);
    snprintf(c->tdx.rtmr_sysfs_dir, sizeof c->tdx.rtmr_sysfs_dir, "%s", f->rtmr_dir);
    snprintf(c->tdx.runtime_log_dir, sizeof c->tdx.runtime_log_dir, "%s", f->log_dir);
    snprintf(c->tdx.ccel_file, sizeof c->tdx.ccel_file, "%s", ccel_path);
    snprintf(c->tdx.device, sizeof c->tdx.device, "%s/no-tdx-guest", f->root);
    snprintf(c->tdx.attest_config, sizeof c->tdx.attest_config, "%s/no-attest.conf", f->root);
    c->tdx.generation_timeout_ms = 300;
}

static void *open_ok(void)
{
    void *st = NULL;
    dstack_err e = tee_tdx.open(&cfg, &st);
    if (e != DSTACK_OK) {
        fprintf(stderr, "open: %s\n", err_text());
    }
    CHECK(e == DSTACK_OK && st != NULL);
    return st;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    while (f != NULL && (c = fgetc(f)) != EOF) {
        n += c == '\n';
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static void log_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", fk.log_dir, name);
}

/* The boot log from the CCEL (labelled), the registers from a quote. */
static void test_open_and_measure(void)
{
    void *st = open_ok();
    if (st == NULL) {
        return;
    }
    struct dstack_event_log j;
    dstack_event_log_init(&j);
    CHECK(tee_tdx.event_log(st, &j) == DSTACK_OK);
    CHECK(j.count == 18);
    CHECK_STR(j.count == 18 ? j.events[8].event : NULL, "acpi-loader");
    CHECK_STR(j.count == 18 ? j.events[10].event : NULL, "acpi-tables");
    dstack_event_log_free(&j);

    struct tee_measurements m;
    CHECK(tee_tdx.measurements(st, &m) == DSTACK_OK);
    CHECK(memcmp(m.mrtd, fk.mrtd, 48) == 0);
    CHECK(memcmp(m.rtmr, fk.rtmr, sizeof m.rtmr) == 0);
    CHECK(tee_tdx.keys_ready(st) == DSTACK_OK);
    tee_tdx.close(st);
}

/* A quote over our report data, signed by the fake chain; every kernel-side failure mode. */
static void test_quotes(void)
{
    void *st = open_ok();
    if (st == NULL) {
        return;
    }
    uint8_t rd[64];
    for (int i = 0; i < 64; i++) {
        rd[i] = (uint8_t)(0xA0 + i);
    }
    uint8_t *q = NULL;
    size_t qlen = 0;
    CHECK(tee_tdx.quote(st, rd, &q, &qlen) == DSTACK_OK);
    CHECK(qlen > 1020 && memcmp(q + 568, rd, 64) == 0);
    CHECK(dstack_quote_verify(q, qlen, fake_tdx_root_pem(&fk), strlen(fake_tdx_root_pem(&fk))) ==
          DSTACK_OK);
    free(q);

    /* Another writer once: detected by the generation jump, retried, still our quote. */
    unsigned before = atomic_load(&fk.quotes);
    atomic_store(&fk.mode, FAKE_RACE_ONCE);
    CHECK(tee_tdx.quote(st, rd, &q, &qlen) == DSTACK_OK);
    CHECK(atomic_load(&fk.quotes) == before + 2);
    CHECK(q != NULL && memcmp(q + 568, rd, 64) == 0);
    free(q);

    /* v5 layout: report data read back at 574. */
    atomic_store(&fk.mode, FAKE_V5);
    CHECK(tee_tdx.quote(st, rd, &q, &qlen) == DSTACK_OK);
    CHECK(q != NULL && q[0] == 5 && memcmp(q + 574, rd, 64) == 0);
    free(q);

    static const struct {
        int mode;
        const char *err_has;
    } bad[] = {
        {FAKE_RACE_ALWAYS, "another writer used"},
        {FAKE_STUCK, "timed out after 300 ms waiting for"},
        {FAKE_STALE, "over other report data"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        atomic_store(&fk.mode, bad[i].mode);
        rd[0] = (uint8_t)(0x10 + i); /* fresh report data, so a stale outblob cannot match */
        q = NULL;
        CHECK(tee_tdx.quote(st, rd, &q, &qlen) == DSTACK_ETEE);
        CHECK(q == NULL);
        if (strstr(err_text(), bad[i].err_has) == NULL) {
            fprintf(stderr, "mode %d: %s\n", bad[i].mode, err_text());
        }
        CHECK(strstr(err_text(), bad[i].err_has) != NULL);
    }
    atomic_store(&fk.mode, FAKE_NORMAL);
    /* After STUCK the kernel owes a generation; the next quote resynchronises. */
    CHECK(tee_tdx.quote(st, rd, &q, &qlen) == DSTACK_OK);
    free(q);
    tee_tdx.close(st);
}

struct emitter {
    void *st;
    int id;
    int ok;
};

static void *emit_many(void *arg)
{
    struct emitter *em = arg;
    for (int i = 0; i < 10; i++) {
        char name[32];
        uint8_t payload[2] = {(uint8_t)em->id, (uint8_t)i};
        snprintf(name, sizeof name, "ev-%d-%d", em->id, i);
        em->ok += tee_tdx.emit_event(em->st, name, payload, sizeof payload) == DSTACK_OK;
    }
    return NULL;
}

/* The replay of the log file against the fake register. */
static bool log_matches_register(void)
{
    char path[400];
    log_path(path, sizeof path, "runtime_events.log");
    FILE *f = fopen(path, "rb");
    static char text[1 << 20];
    size_t n = f != NULL ? fread(text, 1, sizeof text, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    size_t valid = 0;
    uint8_t rtmr[4][48], reg[48];
    bool ok = runtime_log_parse(text, n, &log, &valid) == DSTACK_OK &&
              dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK;
    fake_tdx_rtmr3(&fk, reg);
    ok = ok && memcmp(rtmr[3], reg, 48) == 0;
    dstack_event_log_free(&log);
    return ok;
}

/* 8 emitters at once: every event reaches the register and the log, in the same order. */
static void test_emit_concurrent(void)
{
    void *st = open_ok();
    if (st == NULL) {
        return;
    }
    pthread_t t[8];
    struct emitter em[8];
    for (int i = 0; i < 8; i++) {
        em[i] = (struct emitter){st, i, 0};
        pthread_create(&t[i], NULL, emit_many, &em[i]);
    }
    int ok = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ok += em[i].ok;
    }
    CHECK(ok == 80);
    char path[400];
    log_path(path, sizeof path, "runtime_events.log");
    CHECK(count_lines(path) == 80);
    CHECK(log_matches_register());
    struct dstack_event_log j;
    dstack_event_log_init(&j);
    CHECK(tee_tdx.event_log(st, &j) == DSTACK_OK);
    CHECK(j.count == 18 + 80);
    dstack_event_log_free(&j);
    /* The quote carries the extended RTMR3. */
    struct tee_measurements m;
    uint8_t reg[48];
    CHECK(tee_tdx.measurements(st, &m) == DSTACK_OK);
    fake_tdx_rtmr3(&fk, reg);
    CHECK(memcmp(m.rtmr[3], reg, 48) == 0);
    log_path(path, sizeof path, "runtime_event.pending");
    CHECK(access(path, F_OK) != 0);
    tee_tdx.close(st);
}

/* The register refuses: no log line, no pending line, keys still served. */
static void test_extend_failures(void)
{
    void *st = open_ok();
    if (st == NULL) {
        return;
    }
    char logp[400], saved[400];
    log_path(logp, sizeof logp, "runtime_events.log");
    snprintf(saved, sizeof saved, "%s.saved", fk.fifo);
    CHECK(rename(fk.fifo, saved) == 0);
    size_t lines = count_lines(logp);
    static const struct {
        const char *what;
        int kind; /* 0 = absent, 1 = /dev/full (ENOSPC), 2 = FIFO without a reader */
        const char *err_has;
    } cases[] = {
        {"absent", 0, "cannot open"},
        {"no space", 1, "No space left"},
        {"no reader", 2, "No such device"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].kind == 1) {
            CHECK(symlink("/dev/full", fk.fifo) == 0);
        } else if (cases[i].kind == 2) {
            CHECK(mkfifo(fk.fifo, 0600) == 0);
        }
        err_clear();
        CHECK(tee_tdx.emit_event(st, "refused", NULL, 0) == DSTACK_ETEE);
        if (strstr(err_text(), cases[i].err_has) == NULL) {
            fprintf(stderr, "%s: %s\n", cases[i].what, err_text());
        }
        CHECK(strstr(err_text(), cases[i].err_has) != NULL);
        CHECK(count_lines(logp) == lines);
        unlink(fk.fifo);
    }
    char pending[400];
    log_path(pending, sizeof pending, "runtime_event.pending");
    CHECK(access(pending, F_OK) != 0);
    CHECK(tee_tdx.keys_ready(st) == DSTACK_OK);
    CHECK(rename(saved, fk.fifo) == 0);
    /* Bad names never touch the register. */
    CHECK(tee_tdx.emit_event(st, "\xff", NULL, 0) == DSTACK_EINVAL);
    CHECK(tee_tdx.emit_event(st, "fine", (const uint8_t *)"x", 1) == DSTACK_OK);
    CHECK(log_matches_register());
    tee_tdx.close(st);
}

/* Start-up: a crash between extend and append is repaired from the pending line; a log that
 * does not replay to the register puts the backend in the mismatch state. */
static void test_startup_check(void)
{
    char logp[400], pending[400];
    log_path(logp, sizeof logp, "runtime_events.log");
    log_path(pending, sizeof pending, "runtime_event.pending");

    /* Crash after the extension: the register has it, the log does not. */
    char *line = NULL;
    size_t line_len = 0;
    uint8_t d[48];
    CHECK(runtime_log_format_line("crashed", (const uint8_t *)"\x01", 1, 1, &line, &line_len) ==
          DSTACK_OK);
    CHECK(dstack_runtime_event_digest(1, "crashed", (const uint8_t *)"\x01", 1, d) == DSTACK_OK);
    CHECK(fake_write_file(fk.log_dir, "runtime_event.pending", line, line_len));
    int fd = open(fk.fifo, O_WRONLY | O_NONBLOCK);
    CHECK(fd >= 0 && write(fd, d, 48) == 48);
    close(fd);
    size_t lines = count_lines(logp);
    void *st = open_ok();
    CHECK(st != NULL && tee_tdx.keys_ready(st) == DSTACK_OK);
    CHECK(count_lines(logp) == lines + 1);
    CHECK(access(pending, F_OK) != 0);
    CHECK(log_matches_register());
    tee_tdx.close(st);

    /* Killed mid-append: a torn partial line in the log, the whole one in the pending file. */
    char *line2 = NULL;
    size_t line2_len = 0;
    CHECK(runtime_log_format_line("torn", NULL, 0, 1, &line2, &line2_len) == DSTACK_OK);
    CHECK(dstack_runtime_event_digest(1, "torn", NULL, 0, d) == DSTACK_OK);
    CHECK(fake_write_file(fk.log_dir, "runtime_event.pending", line2, line2_len));
    fd = open(fk.fifo, O_WRONLY | O_NONBLOCK);
    CHECK(fd >= 0 && write(fd, d, 48) == 48);
    close(fd);
    FILE *tf = fopen(logp, "a");
    fwrite(line2, 1, 9, tf); /* {"event": */
    fclose(tf);
    st = open_ok();
    CHECK(st != NULL && tee_tdx.keys_ready(st) == DSTACK_OK);
    CHECK(count_lines(logp) == lines + 2 && access(pending, F_OK) != 0);
    CHECK(log_matches_register());
    tee_tdx.close(st);
    free(line2);
    lines++;

    /* A pending line that never reached the register is dropped. */
    CHECK(fake_write_file(fk.log_dir, "runtime_event.pending", line, line_len));
    st = open_ok();
    CHECK(st != NULL && tee_tdx.keys_ready(st) == DSTACK_OK);
    CHECK(count_lines(logp) == lines + 1 && access(pending, F_OK) != 0);
    tee_tdx.close(st);

    /* A line the register never saw: mismatch, keys and emission refused. */
    FILE *f = fopen(logp, "a");
    fwrite(line, 1, line_len, f);
    fclose(f);
    st = open_ok();
    CHECK(st != NULL && tee_tdx.keys_ready(st) != DSTACK_OK);
    CHECK(strstr(err_text(), "measurement mismatch") != NULL &&
          strstr(err_text(), "refusing") != NULL);
    CHECK(tee_tdx.emit_event(st, "more", NULL, 0) == DSTACK_ETEE);
    CHECK(strstr(err_text(), "measurement mismatch") != NULL);
    tee_tdx.close(st);

    /* A garbled log is a mismatch too, not a crash. */
    f = fopen(logp, "a");
    fputs("{\"event\":\"x\",\"payload\":\"!!\"}\n", f);
    fclose(f);
    st = open_ok();
    CHECK(st != NULL && tee_tdx.keys_ready(st) != DSTACK_OK);
    CHECK(strstr(err_text(), "runtime event log unreadable") != NULL);
    tee_tdx.close(st);
    unlink(logp);
    free(line);
}

/* What dstack-util does in another process: RTMR3 extended through sysfs, then the line
 * appended, here with only the first `keep` bytes of it written (a crash in between). */
static void foreign_emit(const char *name, size_t keep)
{
    char *line = NULL, logp[400];
    size_t line_len = 0;
    uint8_t d[48];
    CHECK(runtime_log_format_line(name, (const uint8_t *)"p", 1, 1, &line, &line_len) == DSTACK_OK);
    CHECK(dstack_runtime_event_digest(1, name, (const uint8_t *)"p", 1, d) == DSTACK_OK);
    int fd = open(fk.fifo, O_WRONLY | O_NONBLOCK);
    CHECK(fd >= 0 && write(fd, d, 48) == 48);
    close(fd);
    log_path(logp, sizeof logp, "runtime_events.log");
    FILE *f = fopen(logp, "a");
    CHECK(f != NULL && fwrite(line, 1, keep < line_len ? keep : line_len, f) > 0);
    fclose(f);
    free(line);
}

static size_t line_length(const char *name)
{
    char *line = NULL;
    size_t len = 0;
    runtime_log_format_line(name, (const uint8_t *)"p", 1, 1, &line, &len);
    free(line);
    return len;
}

/* dstack-util writes the JSON and its newline in two writes: a crash between them leaves a whole
 * entry without '\n'. Our next append must not glue onto it, at start-up or while running; a
 * torn entry (not JSON) is cut and, since its event may be in RTMR3, keys are refused. */
static void test_log_missing_newline(void)
{
    char logp[400];
    log_path(logp, sizeof logp, "runtime_events.log");
    fake_tdx_reboot(&fk);
    foreign_emit("util-before-start", line_length("util-before-start") - 1);
    void *st = open_ok();
    CHECK(st != NULL && tee_tdx.keys_ready(st) == DSTACK_OK);
    CHECK(tee_tdx.emit_event(st, "agent-1", NULL, 0) == DSTACK_OK);
    CHECK(count_lines(logp) == 2 && log_matches_register());

    /* While the agent runs. */
    foreign_emit("util-while-running", line_length("util-while-running") - 1);
    CHECK(tee_tdx.emit_event(st, "agent-2", NULL, 0) == DSTACK_OK);
    tee_tdx.close(st);
    CHECK(count_lines(logp) == 4 && log_matches_register());
    st = open_ok(); /* restart: the log replays, keys are served */
    CHECK(st != NULL && tee_tdx.keys_ready(st) == DSTACK_OK);
    struct dstack_event_log j;
    dstack_event_log_init(&j);
    CHECK(tee_tdx.event_log(st, &j) == DSTACK_OK && j.count == 18 + 4);
    dstack_event_log_free(&j);

    /* Torn in the middle of the JSON: cut, and keys refused (its event reached RTMR3). */
    foreign_emit("util-torn", 9);
    err_clear();
    CHECK(tee_tdx.emit_event(st, "agent-3", NULL, 0) == DSTACK_ETEE);
    CHECK(strstr(err_text(), "torn line") != NULL);
    CHECK(tee_tdx.keys_ready(st) != DSTACK_OK &&
          strstr(err_text(), "measurement mismatch") != NULL);
    CHECK(count_lines(logp) == 4);
    tee_tdx.close(st);
}

/* Without runtime_event_version nothing is emitted (upstream refuses too), nor with a bad one. */
static void test_event_version(void)
{
    char ver[400], logp[400];
    fake_tdx_reboot(&fk);
    log_path(ver, sizeof ver, "runtime_event_version");
    log_path(logp, sizeof logp, "runtime_events.log");
    void *st = open_ok();
    static const struct {
        const char *content; /* NULL: no file */
        dstack_err want;
        const char *err_has;
    } cases[] = {
        {NULL, DSTACK_ETEE, "runtime event version is not configured"},
        {"", DSTACK_EFORMAT, "is not a runtime event version"},
        {"3\n", DSTACK_EFORMAT, "\"3\" is not a runtime event version"},
        {"2\n", DSTACK_OK, ""},
    };
    for (size_t i = 0; st != NULL && i < sizeof cases / sizeof cases[0]; i++) {
        unlink(ver);
        if (cases[i].content != NULL) {
            fake_write_file(fk.log_dir, "runtime_event_version", cases[i].content,
                            strlen(cases[i].content));
        }
        err_clear();
        CHECK(tee_tdx.emit_event(st, "versioned", NULL, 0) == cases[i].want);
        if (strstr(err_text(), cases[i].err_has) == NULL) {
            fprintf(stderr, "version case %zu: %s\n", i, err_text());
        }
        CHECK(strstr(err_text(), cases[i].err_has) != NULL);
        CHECK(count_lines(logp) == (cases[i].want == DSTACK_OK ? 1u : 0u));
    }
    CHECK(log_matches_register());
    if (st != NULL) {
        tee_tdx.close(st);
    }
    fake_write_file(fk.log_dir, "runtime_event_version", "1", 1);
}

/* Registers from sysfs regular files; no quote path at all: quotes fail clearly, the rest runs.
 * Then configuration mistakes that must stop start-up. */
static void test_unavailable_and_misconfigured(void)
{
    char root[128] = "/tmp/tdx-sysfs-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    struct agent_config c;
    config_for(&c, &fk);
    snprintf(c.tdx.configfs_dir, sizeof c.tdx.configfs_dir, "%s", "");
    snprintf(c.tdx.rtmr_sysfs_dir, sizeof c.tdx.rtmr_sysfs_dir, "%s", root);
    snprintf(c.tdx.runtime_log_dir, sizeof c.tdx.runtime_log_dir, "%s/log", root);
    uint8_t zero[48] = {0}, mrtd[48];
    memset(mrtd, 0x22, sizeof mrtd);
    uint8_t config_id[48];
    memset(config_id, 0x33, sizeof config_id);
    fake_write_file(root, "mrtd:sha384", mrtd, 48);
    fake_write_file(root, "mrconfigid", config_id, 48);
    fake_write_file(root, "mrowner", zero, 48);
    fake_write_file(root, "mrownerconfig", zero, 48);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "rtmr%d:sha384", i);
        fake_write_file(root, name, zero, 48);
    }
    unsetenv("DCAP_TDX_QUOTE_CONFIGFS_PATH");
    void *st = NULL;
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK);
    if (st != NULL) {
        uint8_t rd[64] = {1}, *q = NULL;
        struct tee_measurements got;
        size_t qlen = 0;
        CHECK(tee_tdx.quote(st, rd, &q, &qlen) == DSTACK_EUNSUPPORTED);
        CHECK(strstr(err_text(), "quotes unavailable: no configfs-tsm") != NULL);
        CHECK(strstr(err_text(), "no QGS vsock port") != NULL);
        CHECK(tee_tdx.measurements(st, &got) == DSTACK_OK);
        CHECK(memcmp(got.mrtd, mrtd, 48) == 0);
        CHECK(memcmp(got.mr_config_id, config_id, 48) == 0); /* feeds mr_aggregated */
        CHECK(tee_tdx.keys_ready(st) == DSTACK_OK);
        tee_tdx.close(st);
    }
    /* A short register file is an error, not a zero register: with no TDREPORT and no quote
     * either, the agent still starts; Info says why, keys wait for the RTMR3 check. */
    fake_write_file(root, "rtmr2:sha384", zero, 47);
    st = NULL;
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK && st != NULL);
    if (st != NULL) {
        struct tee_measurements got;
        CHECK(tee_tdx.measurements(st, &got) != DSTACK_OK);
        CHECK(strstr(err_text(), "quotes unavailable") != NULL);
        CHECK(tee_tdx.keys_ready(st) != DSTACK_OK);
        CHECK(strstr(err_text(), "cannot check RTMR3 against the runtime event log yet") != NULL);
        CHECK(tee_tdx.emit_event(st, "early", NULL, 0) == DSTACK_ETEE);
        CHECK(strstr(err_text(), "cannot check RTMR3") != NULL);
        tee_tdx.close(st);
    }

    /* Broken paths, each alone: start-up succeeds, the call that needs the path fails with the
     * cause (upstream reports these on get_quote / read_event_log too). */
    static const struct {
        const char *what;
        bool on_quote; /* else on the event log */
        const char *err_has;
    } cases[] = {
        {"configfs missing", true, "does not exist"},
        {"provider", true, "not a TDX guest"},
        {"ccel", false, "CCEL header"},
        {"ccel missing", false, "boot event log"},
        {"env relative", true, "must be an absolute path"},
        {"ccel env relative", false, "DSTACK_CCEL_FILE must be an absolute path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config_for(&c, &fk);
        if (i == 0) {
            snprintf(c.tdx.configfs_dir, sizeof c.tdx.configfs_dir, "%s/nowhere", root);
        } else if (i == 1) {
            fake_write_file(fk.report_dir, "provider", "sev_guest\n", 10);
        } else if (i == 2) {
            snprintf(c.tdx.ccel_file, sizeof c.tdx.ccel_file, "%s/mrtd:sha384", root);
        } else if (i == 3) {
            snprintf(c.tdx.ccel_file, sizeof c.tdx.ccel_file, "%s/no-ccel", root);
        } else if (i == 4) {
            c.tdx.configfs_dir[0] = '\0';
            setenv("DCAP_TDX_QUOTE_CONFIGFS_PATH", "relative/dir", 1);
        } else {
            c.tdx.ccel_file[0] = '\0';
            setenv("DSTACK_CCEL_FILE", "relative.bin", 1);
        }
        st = NULL;
        err_clear();
        CHECK(tee_tdx.open(&c, &st) == DSTACK_OK && st != NULL);
        if (st == NULL) {
            fprintf(stderr, "%s: %s\n", cases[i].what, err_text());
            continue;
        }
        uint8_t rd[64] = {7}, *q = NULL;
        size_t qlen = 0;
        struct dstack_event_log j;
        dstack_event_log_init(&j);
        dstack_err e =
            cases[i].on_quote ? tee_tdx.quote(st, rd, &q, &qlen) : tee_tdx.event_log(st, &j);
        CHECK(e != DSTACK_OK && q == NULL);
        dstack_event_log_free(&j);
        if (strstr(err_text(), cases[i].err_has) == NULL) {
            fprintf(stderr, "%s: %s\n", cases[i].what, err_text());
        }
        CHECK(strstr(err_text(), cases[i].err_has) != NULL);
        /* The other half still works: quotes with a broken CCEL, the log with a broken quote. */
        e = cases[i].on_quote ? tee_tdx.event_log(st, &j) : tee_tdx.quote(st, rd, &q, &qlen);
        CHECK(e == DSTACK_OK);
        dstack_event_log_free(&j);
        free(q);
        tee_tdx.close(st);
        fake_write_file(fk.report_dir, "provider", "tdx_guest\n", 10);
        unsetenv("DCAP_TDX_QUOTE_CONFIGFS_PATH");
        unsetenv("DSTACK_CCEL_FILE");
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    (void)!system(cmd);
}

/* A kernel before 6.16: no sysfs registers, RTMR3 extended through dstack's ioctl. Start-up
 * reads RTMR3 from a local TDREPORT and asks the host for no quote; Info's registers come from
 * TDREPORTs too. The ioctl works in either of its two numbers, and a v0.5 module's truncated
 * TDCALL failure (success returned, nothing extended) is caught by reading RTMR3 back. */
static void test_old_kernel(void)
{
    struct agent_config c;
    char logp[400];
    log_path(logp, sizeof logp, "runtime_events.log");
    fake_tdx_reboot(&fk);
    unsetenv("DCAP_TDX_RTMR_SYSFS_PATH");
    config_for(&c, &fk);
    c.tdx.rtmr_sysfs_dir[0] = '\0'; /* upstream's default, absent on this machine */
    snprintf(c.tdx.device, sizeof c.tdx.device, "%.200s", fk.device);
    unsigned quotes = atomic_load(&fk.quotes), reports = atomic_load(&fk.reports);
    void *st = NULL;
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK && st != NULL);
    if (st == NULL) {
        return;
    }
    CHECK(atomic_load(&fk.reports) > reports); /* the RTMR3 check read a TDREPORT */
    CHECK(tee_tdx.keys_ready(st) == DSTACK_OK);
    struct tee_measurements m;
    CHECK(tee_tdx.measurements(st, &m) == DSTACK_OK);
    CHECK(memcmp(m.mrtd, fk.mrtd, 48) == 0 && memcmp(m.rtmr, fk.rtmr, sizeof m.rtmr) == 0);

    static const struct {
        int mode;
        dstack_err want;
        const char *err_has;
    } modes[] = {
        {FAKE_IOCTL_IOR, DSTACK_OK, ""},
        {FAKE_IOCTL_IOW, DSTACK_OK, ""},
        {FAKE_IOCTL_RAW_STATUS, DSTACK_ETEE, "reported success but RTMR3 did not move"},
        {FAKE_IOCTL_IOR, DSTACK_OK, ""},
    };
    size_t lines = 0;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "ioctl-%zu", i);
        atomic_store(&fk.ioctl_mode, modes[i].mode);
        err_clear();
        CHECK(tee_tdx.emit_event(st, name, NULL, 0) == modes[i].want);
        if (strstr(err_text(), modes[i].err_has) == NULL) {
            fprintf(stderr, "ioctl mode %d: %s\n", modes[i].mode, err_text());
        }
        CHECK(strstr(err_text(), modes[i].err_has) != NULL);
        lines += modes[i].want == DSTACK_OK;
        CHECK(count_lines(logp) == lines && log_matches_register());
        CHECK(tee_tdx.keys_ready(st) == DSTACK_OK); /* nothing moved: log and register agree */
    }
    tee_tdx.close(st);
    st = NULL; /* restart */
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK && st != NULL && tee_tdx.keys_ready(st) == DSTACK_OK);
    CHECK(atomic_load(&fk.quotes) == quotes); /* not one host quote in all of it */
    if (st != NULL) {
        tee_tdx.close(st);
    }
}

static bool quote_ok(void *st)
{
    uint8_t rd[64] = {0x5a}, *q = NULL;
    size_t qlen = 0;
    dstack_err e = tee_tdx.quote(st, rd, &q, &qlen);
    free(q);
    return e == DSTACK_OK;
}

/* configfs-tsm without a provider (the TDX driver not bound yet): mkdir of the report directory
 * gets ENXIO, and so does reading `provider` when it goes away. Start-up goes on; quotes fail
 * with the cause until the provider is there, then work without a restart. */
static void test_configfs_enxio(void)
{
    struct agent_config c;
    unsetenv("DCAP_TDX_QUOTE_CONFIGFS_PATH");
    config_for(&c, &fk);
    c.tdx.configfs_dir[0] = '\0'; /* the default directory, made under the base */
    snprintf(c.tdx.configfs_base, sizeof c.tdx.configfs_base, "%s", fk.tsm_base);
    snprintf(c.tdx.device, sizeof c.tdx.device, "%.200s", fk.device); /* RTMR3 from TDREPORTs */
    atomic_store(&fk.no_provider, true);
    void *st = NULL;
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK && st != NULL);
    if (st != NULL) {
        CHECK(!quote_ok(st));
        CHECK(strstr(err_text(), "No such device or address (no TSM provider") != NULL);
        CHECK(tee_tdx.keys_ready(st) == DSTACK_OK);
        atomic_store(&fk.no_provider, false); /* the driver registers */
        CHECK(quote_ok(st));
        tee_tdx.close(st);
    }
    atomic_store(&fk.no_provider, false);
    char made[400];
    snprintf(made, sizeof made, "%s/com.intel.dcap", fk.tsm_base);
    unlink(made);

    /* `provider` unreadable with ENXIO (open(2) on a socket fails so, as the provider's does). */
    char prov[400], saved[400];
    snprintf(prov, sizeof prov, "%s/provider", fk.report_dir);
    snprintf(saved, sizeof saved, "%s/provider.saved", fk.report_dir);
    CHECK(rename(prov, saved) == 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", prov);
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(sock >= 0 && bind(sock, (struct sockaddr *)&sa, sizeof sa) == 0);
    config_for(&c, &fk);
    st = NULL;
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK && st != NULL);
    if (st != NULL) {
        CHECK(!quote_ok(st));
        CHECK(strstr(err_text(), "no TSM provider registered") != NULL);
        close(sock);
        unlink(prov);
        CHECK(rename(saved, prov) == 0);
        CHECK(quote_ok(st));
        tee_tdx.close(st);
    }
}

struct quoter {
    void *st;
    uint8_t rd0;
    dstack_err e;
    char err[ERR_TEXT_MAX];
};

static void *quote_once(void *arg)
{
    struct quoter *q = arg;
    uint8_t rd[64], *out = NULL;
    size_t len = 0;
    memset(rd, q->rd0, sizeof rd);
    q->e = tee_tdx.quote(q->st, rd, &out, &len);
    snprintf(q->err, sizeof q->err, "%s", err_text()); /* this thread's: it asked */
    if (q->e == DSTACK_OK && memcmp(out + 568, rd, 64) != 0) {
        q->e = DSTACK_EFORMAT;
    }
    free(out);
    return NULL;
}

/* Real quote timings (2-2.5 s each, as on hardware) with the product's default deadlines: a
 * boot storm that fills the queue is served in full, though the last waiter waits three quotes
 * (6-7.5 s, past the old 5 s deadline); one more than the queue holds is refused at once. */
static void test_boot_storm(void)
{
    struct agent_config c;
    struct tdx_paths p;
    config_for(&c, &fk);
    c.tdx.generation_timeout_ms = 0; /* defaults */
    CHECK(tdx_paths_resolve(&c, &p) == DSTACK_OK);
    CHECK(p.quote_queue >= 64 && p.quote_timeout_ms >= 35000 && p.generation_timeout_ms >= 35000);
    c.tdx.quote_queue = 3; /* a small queue, so the flood is 5 callers, not 66 */
    void *st = NULL;
    CHECK(tee_tdx.open(&c, &st) == DSTACK_OK);
    if (st == NULL) {
        return;
    }
    atomic_store(&fk.delay_ms, 2000);
    atomic_store(&fk.delay_jitter_ms, 500);
    struct quoter q[5];
    pthread_t t[5];
    for (int i = 0; i < 5; i++) {
        q[i] = (struct quoter){.st = st, .rd0 = (uint8_t)(0x40 + i)};
        pthread_create(&t[i], NULL, quote_once, &q[i]);
        usleep(50 * 1000); /* arrive in order, all while the first quote runs */
    }
    int served = 0, refused = 0;
    for (int i = 0; i < 5; i++) {
        pthread_join(t[i], NULL);
        served += q[i].e == DSTACK_OK;
        refused += q[i].e == DSTACK_ETEE && strstr(q[i].err, "3 requests already waiting") != NULL;
        if (q[i].e != DSTACK_OK) {
            fprintf(stderr, "storm quote %d: %s\n", i, q[i].err);
        }
    }
    CHECK(served == 4 && refused == 1 && q[4].e == DSTACK_ETEE);
    atomic_store(&fk.delay_ms, 0);
    atomic_store(&fk.delay_jitter_ms, 0);
    tee_tdx.close(st);
}

struct gate_try {
    struct tdx_gate *g;
    unsigned hold_ms; /* how long the quote takes once admitted */
    dstack_err e;
    char err[128];
};

static void *gate_try(void *arg)
{
    struct gate_try *t = arg;
    t->e = tdx_gate_enter(t->g);
    snprintf(t->err, sizeof t->err, "%s", t->e != DSTACK_OK ? err_text() : "");
    if (t->e == DSTACK_OK) {
        usleep(t->hold_ms * 1000);
        tdx_gate_leave(t->g);
    }
    return NULL;
}

/* The queue: 1 running, 2 waiting, the rest turned away at once; a waiter gives up only when no
 * quote finished for the stall time (100 ms here), so slow quotes that keep finishing serve a
 * queue far longer than that. */
static void test_gate(void)
{
    struct tdx_gate g;
    CHECK(tdx_gate_init(&g, 1, 2, 100) == DSTACK_OK);
    CHECK(tdx_gate_enter(&g) == DSTACK_OK); /* held by the test: a stuck quote */
    struct gate_try t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct gate_try){.g = &g};
        pthread_create(&th[i], NULL, gate_try, &t[i]);
    }
    int full = 0, stalled = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        full += t[i].e == DSTACK_ETEE && strstr(t[i].err, "already waiting") != NULL;
        stalled += t[i].e == DSTACK_ETEE &&
                   strstr(t[i].err, "no quote finished in the last 100 ms") != NULL;
    }
    CHECK(full == 2 && stalled == 2);
    CHECK(g.refused_full == 2 && g.refused_stalled == 2);
    tdx_gate_leave(&g);
    tdx_gate_destroy(&g);

    /* A boot storm of slow quotes: 6 callers, 100 ms each (600 ms in all, past the 400 ms
     * stall time), 5 may wait: everyone is served, in turn. The 300 ms between a quote's length
     * and the stall time absorbs a loaded machine's late wake-ups. */
    CHECK(tdx_gate_init(&g, 1, 5, 400) == DSTACK_OK);
    struct gate_try s[6];
    pthread_t sh[6];
    for (int i = 0; i < 6; i++) {
        s[i] = (struct gate_try){.g = &g, .hold_ms = 100};
        pthread_create(&sh[i], NULL, gate_try, &s[i]);
    }
    int served = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(sh[i], NULL);
        served += s[i].e == DSTACK_OK;
        if (s[i].e != DSTACK_OK) {
            fprintf(stderr, "storm caller %d: %s\n", i, s[i].err);
        }
    }
    CHECK(served == 6 && g.admitted == 6 && g.refused_stalled == 0);
    tdx_gate_destroy(&g);
}

/* QGS framing (docs/tdx.md), table-driven over the response parser. */
static void test_qgs_codec(void)
{
    uint8_t report[TDX_REPORT_LEN], msg[TDX_QGS_REQUEST_LEN];
    memset(report, 0x7c, sizeof report);
    tdx_qgs_build_request(report, msg);
    static const uint8_t head[24] = {1, 0, 0, 0, 0, 0, 0, 0, 0x18, 0x04, 0, 0,
                                     0, 0, 0, 0, 0, 4, 0, 0, 0,    0,    0, 0};
    CHECK(memcmp(msg, head, 24) == 0 && memcmp(msg + 24, report, TDX_REPORT_LEN) == 0);

    enum { QLEN = 1100, ID = 5 };
    static uint8_t resp[24 + ID + QLEN];
    const struct {
        const char *what;
        uint32_t type, code, id, qsize;
        size_t len;
        dstack_err want;
        const char *err_has;
    } cases[] = {
        {"good", 1, 0, ID, QLEN, sizeof resp, DSTACK_OK, ""},
        {"short", 1, 0, ID, QLEN, 23, DSTACK_ETEE, "too short"},
        {"request type", 0, 0, ID, QLEN, sizeof resp, DSTACK_ETEE, "unexpected message type"},
        {"error code", 1, 0x12, ID, QLEN, sizeof resp, DSTACK_ETEE, "QGS error code 0x12"},
        {"id past end", 1, 0, 0xFFFFFFF0u, QLEN, sizeof resp, DSTACK_ETEE, "truncated"},
        {"quote past end", 1, 0, ID, QLEN + 1, sizeof resp, DSTACK_ETEE, "truncated"},
        {"tiny quote", 1, 0, ID, 1000, sizeof resp, DSTACK_ETEE, "quote too short"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(resp, 0, sizeof resp);
        resp[0] = 1;
        uint32_t v[4] = {cases[i].type, cases[i].code, cases[i].id, cases[i].qsize};
        size_t at[4] = {4, 12, 16, 20};
        for (int k = 0; k < 4; k++) {
            for (int b = 0; b < 4; b++) {
                resp[at[k] + (size_t)b] = (uint8_t)(v[k] >> (8 * b));
            }
        }
        memset(resp + 24 + ID, 0x42, QLEN);
        uint8_t *q = NULL;
        size_t qlen = 0;
        dstack_err e = tdx_qgs_parse_response(resp, cases[i].len, &q, &qlen);
        CHECK(e == cases[i].want);
        CHECK(strstr(err_text(), cases[i].err_has) != NULL);
        if (e == DSTACK_OK) {
            CHECK(qlen == QLEN && q[0] == 0x42 && q[QLEN - 1] == 0x42);
        }
        free(q);
    }
    static const struct {
        const char *text;
        unsigned port;
    } conf[] = {
        {"port=4050\n", 4050},
        {"# comment\n  port = 4051 \n", 4051},
        {"#port=1\n", 0},
        {"port=abc\n", 0},
        {"port=99999999999\n", 0},
        {"portal=3\n", 0},
        {"", 0},
        {"x=1\nport =7", 7},
    };
    for (size_t i = 0; i < sizeof conf / sizeof conf[0]; i++) {
        CHECK(tdx_qgs_port_parse(conf[i].text) == conf[i].port);
    }
}

int main(void)
{
    log_set_level(LOG_ERROR);
    ccel_path = check_fixture("upstream/tdx/ccel.bin");
    if (!fake_tdx_start(&fk, ccel_path)) {
        fprintf(stderr, "cannot start the fake TDX kernel\n");
        return 1;
    }
    config_for(&cfg, &fk);
    fake_syscalls = &fk;
    test_open_and_measure();
    test_quotes();
    test_emit_concurrent();
    test_extend_failures();
    test_startup_check();
    test_log_missing_newline();
    test_event_version();
    test_unavailable_and_misconfigured();
    test_gate();
    test_boot_storm();
    test_old_kernel();
    test_configfs_enxio();
    test_qgs_codec();
    fake_tdx_stop(&fk);
    return check_exit();
}
