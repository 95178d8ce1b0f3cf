/* CCEL decoding (lib/attest/ccel.c) on the real table in tests/fixtures/upstream/tdx:
 * byte-exact against upstream's own parser output for it, then hostile variants. */
#include <dstack/attest.h>
#include <dstack/ccel.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/error.h"

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Offsets inside the fixture, found by walking it once: the end of the header record and the
 * start of every event record (and the sentinel). */
#define MAX_RECORDS 64
static size_t record_at[MAX_RECORDS];
static size_t n_records;
static size_t header_end;

static void walk(const uint8_t *d, size_t len)
{
    size_t off = 32 + ((size_t)d[28] | (size_t)d[29] << 8); /* header eventSize is small */
    header_end = off;
    n_records = 0;
    while (off + 4 <= len && n_records < MAX_RECORDS) {
        record_at[n_records++] = off;
        uint32_t idx = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 | (uint32_t)d[off + 2] << 16 |
                       (uint32_t)d[off + 3] << 24;
        if (idx == 0xFFFFFFFFu) {
            break;
        }
        size_t esz_at = off + 12 + 2 + 48;
        uint32_t esz = (uint32_t)d[esz_at] | (uint32_t)d[esz_at + 1] << 8 |
                       (uint32_t)d[esz_at + 2] << 16 | (uint32_t)d[esz_at + 3] << 24;
        off = esz_at + 4 + esz;
    }
}

static void test_fixture_exact(const uint8_t *bin, size_t len)
{
    size_t jlen = 0;
    char *want =
        (char *)(uint8_t *)check_read_file(check_fixture("upstream/tdx/ccel.expected.json"), &jlen);
    CHECK(want != NULL);
    if (want == NULL) {
        return;
    }
    while (jlen > 0 && want[jlen - 1] == '\n') {
        want[--jlen] = '\0'; /* the snapshot file ends with a newline; serde's text does not */
    }
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    err_clear();
    CHECK(dstack_ccel_parse(bin, len, &log) == DSTACK_OK);
    CHECK_STR(err_text(), "");
    CHECK(log.count == 18);
    char *got = NULL;
    CHECK(dstack_event_log_format(&log, DSTACK_EVLOG_JSON_PRETTY, &got) == DSTACK_OK);
    /* ccel.expected.json is upstream's cc-eventlog snapshot of to_cc_event_log() for this file
     * (cc-eventlog/src/lib.rs parse_ccel test): serde_json::to_string_pretty, before the ACPI
     * labelling that decode_ccel/read_event_log apply afterwards. */
    CHECK_STR(got, want);
    free(got);

    /* Labelled as the agent serves it: the three "ACPI DATA" events, in order. */
    CHECK(dstack_event_log_label_acpi(&log) == DSTACK_OK);
    const char *names[18] = {0};
    size_t labelled = 0;
    for (size_t i = 0; i < log.count; i++) {
        names[i] = log.events[i].event;
        labelled += log.events[i].event[0] != '\0';
    }
    CHECK(labelled == 3);
    CHECK_STR(names[8], "acpi-loader");
    CHECK_STR(names[9], "acpi-rsdp");
    CHECK_STR(names[10], "acpi-tables");
    /* Labelling twice changes nothing (the names are not the marker). */
    CHECK(dstack_event_log_label_acpi(&log) == DSTACK_OK);
    CHECK_STR(log.events[8].event, "acpi-loader");

    /* Replay: RTMR0 of this boot, computed from the digests; names do not enter it. */
    uint8_t rtmr[4][DSTACK_MR_LEN];
    CHECK(dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK);
    uint8_t zero[DSTACK_MR_LEN] = {0};
    CHECK(memcmp(rtmr[0], zero, sizeof zero) != 0);
    CHECK(memcmp(rtmr[2], zero, sizeof zero) == 0); /* this boot measured nothing into RTMR2 */
    dstack_event_log_free(&log);
    free(want);
}

/* The sentinel and the padding: the fixture is 64 KiB of log area, the events end early and
 * 0xFF fills the rest. Cut exactly at the sentinel (no sentinel at all) gives the same 18 events;
 * appending to a non-empty log keeps what was there. */
static void test_sentinel_and_end(const uint8_t *bin, size_t len)
{
    size_t sentinel = record_at[n_records - 1];
    CHECK(n_records == 19);
    CHECK(bin[sentinel] == 0xFF && bin[len - 1] == 0xFF);
    for (size_t i = sentinel; i < len; i++) {
        if (bin[i] != 0xFF) {
            CHECK(!"padding after the sentinel is not all 0xFF");
            break;
        }
    }
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    CHECK(dstack_ccel_parse(bin, sentinel, &log) == DSTACK_OK);
    CHECK(log.count == 18);
    CHECK(dstack_event_log_push_runtime(&log, "x", NULL, 0, DSTACK_EVENT_V1) == DSTACK_OK);
    CHECK(dstack_ccel_parse(bin, len, &log) == DSTACK_OK);
    CHECK(log.count == 37);
    CHECK(log.events[18].imr == 3 && log.events[19].imr == 0);
    dstack_event_log_free(&log);

    /* Only the header: no events. */
    CHECK(dstack_ccel_parse(bin, header_end, &log) == DSTACK_OK);
    CHECK(log.count == 0);
    dstack_event_log_free(&log);
}

/* Every truncation: at a record boundary it is a shorter log, anywhere else a clear error;
 * the output log is left untouched on error. */
static void test_truncations(const uint8_t *bin)
{
    size_t end = record_at[n_records - 1];
    size_t ok = 0, bad = 0;
    for (size_t cut = 0; cut < end; cut++) {
        struct dstack_event_log log;
        dstack_event_log_init(&log);
        err_clear();
        uint8_t *copy = malloc(cut + 1); /* exact-size copy: ASan catches any over-read */
        memcpy(copy, bin, cut);
        dstack_err e = dstack_ccel_parse(copy, cut, &log);
        bool boundary = cut == header_end;
        size_t events = 0;
        for (size_t r = 0; r < n_records; r++) {
            if (record_at[r] == cut) {
                boundary = true;
                events = r;
            }
        }
        if (boundary) {
            CHECK(e == DSTACK_OK && log.count == events);
            ok++;
        } else {
            CHECK(e == DSTACK_EFORMAT && log.count == 0 && err_text()[0] != '\0');
            bad++;
        }
        dstack_event_log_free(&log);
        free(copy);
    }
    CHECK(ok == n_records - 1 && bad == end - (n_records - 1));

    err_clear();
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    CHECK(dstack_ccel_parse(bin, record_at[5] + 70, &log) == DSTACK_EFORMAT);
    CHECK(strstr(err_text(), "CCEL record 6 at offset") != NULL &&
          strstr(err_text(), "runs past") != NULL);
}

/* Garbled fields, each alone on a copy of the fixture. */
static void test_garbled(const uint8_t *bin, size_t len)
{
    size_t r3 = record_at[3];
    const struct {
        const char *name;
        size_t off;
        uint32_t value; /* written little-endian, 4 bytes */
        dstack_err want;
        const char *err_has;
    } cases[] = {
        {"header type", 4, 4, DSTACK_EFORMAT, "EV_NO_ACTION"},
        {"header size", 28, 0xFFFFFF00u, DSTACK_EFORMAT, "runs past"},
        {"signature", 32, 0x41414141u, DSTACK_EFORMAT, "Spec ID"},
        {"numAlgs huge", 32 + 24, 0x40000000u, DSTACK_EFORMAT, "algorithms do not fit"},
        /* No table: the vendor-info size is then read from the first table entry. */
        {"numAlgs zero", 32 + 24, 0, DSTACK_EFORMAT, "vendor info runs past"},
        /* SHA-384 listed with 32-byte digests: upstream does not hold the header's table
         * against the records (it sizes digests by algorithm id), neither do we. */
        {"alg size", 32 + 28, 0x00200000u | 0x000C, DSTACK_OK, ""},
        {"digest count 2", r3 + 8, 2, DSTACK_EFORMAT, "2 digests, want 1"},
        {"digest count 0", r3 + 8, 0, DSTACK_EFORMAT, "0 digests, want 1"},
        {"sha256 digest", r3 + 12, 0x000B0000u | 0x000B, DSTACK_EFORMAT, "want SHA-384"},
        {"unknown alg", r3 + 12, 0x12340000u | 0x1234, DSTACK_EFORMAT, "want SHA-384"},
        {"event size huge", r3 + 62, 0xFFFFFFF0u, DSTACK_EFORMAT, "runs past the end"},
        {"event size past end", r3 + 62, (uint32_t)len, DSTACK_EFORMAT, "runs past the end"},
        {"index 0 dropped", r3, 0, DSTACK_OK, ""},
        {"index 4 -> imr 3", r3, 4, DSTACK_OK, ""},
    };
    uint8_t *copy = malloc(len);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(copy, bin, len);
        put_u32(copy + cases[i].off, cases[i].value);
        struct dstack_event_log log;
        dstack_event_log_init(&log);
        err_clear();
        dstack_err e = dstack_ccel_parse(copy, len, &log);
        if (e != cases[i].want || strstr(err_text(), cases[i].err_has) == NULL) {
            fprintf(stderr, "case %s: got %s \"%s\"\n", cases[i].name, dstack_err_str(e),
                    err_text());
        }
        CHECK(e == cases[i].want);
        CHECK(strstr(err_text(), cases[i].err_has) != NULL);
        if (strcmp(cases[i].name, "index 0 dropped") == 0) {
            CHECK(log.count == 17);
        }
        if (strcmp(cases[i].name, "index 4 -> imr 3") == 0) {
            CHECK(log.count == 18 && log.events[3].imr == 3);
        }
        dstack_event_log_free(&log);
    }
    free(copy);
    CHECK(dstack_ccel_parse(NULL, 0, NULL) == DSTACK_EINVAL);
}

static size_t put_record(uint8_t *p, uint32_t imr, const uint16_t *algs, uint32_t count,
                         const char *event)
{
    size_t o = 0;
    put_u32(p + o, imr);
    put_u32(p + o + 4, 1); /* EV_POST_CODE */
    put_u32(p + o + 8, count);
    o += 12;
    for (uint32_t i = 0; i < count; i++) {
        size_t size = algs[i] == DSTACK_TPM_ALG_SHA1     ? 20
                      : algs[i] == DSTACK_TPM_ALG_SHA256 ? 32
                      : algs[i] == DSTACK_TPM_ALG_SHA384 ? 48
                      : algs[i] == DSTACK_TPM_ALG_SHA512 ? 64
                                                         : 8;
        p[o] = (uint8_t)algs[i];
        p[o + 1] = (uint8_t)(algs[i] >> 8);
        memset(p + o + 2, (int)(0x10 + i), size);
        o += 2 + size;
    }
    put_u32(p + o, (uint32_t)strlen(event));
    memcpy(p + o + 4, event, strlen(event));
    return o + 4 + strlen(event);
}

/* Digest banks as GCP and multi-bank firmware write them: records of MR index 0 with any number
 * of SHA-1/256/384/512 digests are dropped (upstream filters them before counting digests),
 * other records need exactly one SHA-384 digest. */
static void test_digest_banks(const uint8_t *bin)
{
    static const uint16_t three[] = {DSTACK_TPM_ALG_SHA1, DSTACK_TPM_ALG_SHA256,
                                     DSTACK_TPM_ALG_SHA512};
    static const uint16_t one384[] = {DSTACK_TPM_ALG_SHA384};
    static const uint16_t two[] = {DSTACK_TPM_ALG_SHA256, DSTACK_TPM_ALG_SHA384};
    static const uint16_t odd[] = {0x1234};
    static const uint16_t sha256[] = {DSTACK_TPM_ALG_SHA256};
    static const struct {
        const char *name;
        uint32_t imr;
        const uint16_t *algs;
        uint32_t count;
        dstack_err want;
        const char *err_has;
    } cases[] = {
        {"imr 0, three banks", 0, three, 3, DSTACK_OK, ""},
        {"imr 0, no digest", 0, NULL, 0, DSTACK_OK, ""},
        {"imr 0, SHA-384", 0, one384, 1, DSTACK_OK, ""},
        {"imr 0, unknown algorithm", 0, odd, 1, DSTACK_EFORMAT, "digest algorithm 0x1234"},
        {"imr 2, two banks", 2, two, 2, DSTACK_EFORMAT, "2 digests, want 1"},
        {"imr 2, SHA-256 only", 2, sha256, 1, DSTACK_EFORMAT, "want SHA-384"},
    };
    uint8_t *buf = malloc(header_end + 1024);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(buf, bin, header_end);
        size_t len = header_end;
        len += put_record(buf + len, cases[i].imr, cases[i].algs, cases[i].count, "gcp");
        len += put_record(buf + len, 1, one384, 1, "kept");
        put_u32(buf + len, 0xFFFFFFFFu);
        len += 4;
        struct dstack_event_log log;
        dstack_event_log_init(&log);
        err_clear();
        dstack_err e = dstack_ccel_parse(buf, len, &log);
        if (e != cases[i].want || strstr(err_text(), cases[i].err_has) == NULL) {
            fprintf(stderr, "case %s: got %s \"%s\"\n", cases[i].name, dstack_err_str(e),
                    err_text());
        }
        CHECK(e == cases[i].want && strstr(err_text(), cases[i].err_has) != NULL);
        if (e == DSTACK_OK) {
            /* The index-0 record is gone; the other one follows it intact. */
            CHECK(log.count == 1 && log.events[0].imr == 0 && log.events[0].payload_len == 4 &&
                  memcmp(log.events[0].payload, "kept", 4) == 0 && log.events[0].digest[0] == 0x10);
        }
        dstack_event_log_free(&log);
    }
    free(buf);
}

/* Labelling only touches events that match all three conditions, and at most three. */
static void test_label_rules(void)
{
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    uint8_t d[DSTACK_SHA384_LEN] = {1};
    const uint8_t acpi[] = "ACPI DATA";
    CHECK(dstack_event_log_push(&log, 1, 10, d, "", acpi, 9, 1) == DSTACK_OK); /* wrong imr */
    CHECK(dstack_event_log_push(&log, 0, 11, d, "", acpi, 9, 1) == DSTACK_OK); /* wrong type */
    CHECK(dstack_event_log_push(&log, 0, 10, d, "", acpi, 10, 1) ==
          DSTACK_OK); /* payload with the NUL */
    for (int i = 0; i < 4; i++) {
        CHECK(dstack_event_log_push(&log, 0, 10, d, "", acpi, 9, 1) == DSTACK_OK);
    }
    CHECK(dstack_event_log_label_acpi(&log) == DSTACK_OK);
    CHECK_STR(log.events[0].event, "");
    CHECK_STR(log.events[1].event, "");
    CHECK_STR(log.events[2].event, "");
    CHECK_STR(log.events[3].event, "acpi-loader");
    CHECK_STR(log.events[4].event, "acpi-rsdp");
    CHECK_STR(log.events[5].event, "acpi-tables");
    CHECK_STR(log.events[6].event, "");
    dstack_event_log_free(&log);
}

int main(void)
{
    size_t len = 0;
    uint8_t *bin = (uint8_t *)check_read_file(check_fixture("upstream/tdx/ccel.bin"), &len);
    CHECK(bin != NULL && len == 65536);
    if (bin == NULL) {
        return check_exit();
    }
    walk(bin, len);
    test_fixture_exact(bin, len);
    test_sentinel_and_end(bin, len);
    test_truncations(bin);
    test_garbled(bin, len);
    test_digest_banks(bin);
    test_label_rules();
    free(bin);
    return check_exit();
}
