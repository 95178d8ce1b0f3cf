/* AppInfo (see info.h). Field sources: docs/api/Info.md. */
#include "info.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "attest/evlog_internal.h"
#include "log.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/utf8.h"

#define DMI_DIR "/sys/class/dmi/id"

/* The event's payload as hex, "" when there is no such event. */
static cJSON *payload_hex(const struct dstack_event *e)
{
    return e != NULL ? json_hex_string(e->payload, e->payload_len) : json_hex_string(NULL, 0);
}

/* vm_config.os_image_hash, re-encoded as lowercase hex ("" when absent or not hex). */
static cJSON *os_image_hash(const char *vm_config)
{
    cJSON *vm = vm_config != NULL ? json_parse(vm_config, strlen(vm_config), 0, NULL) : NULL;
    const char *h = json_str(json_get(vm, "os_image_hash"));
    uint8_t *b = NULL;
    size_t n = 0;
    if (h == NULL || hex_decode_alloc(h, strlen(h), &b, &n) != DSTACK_OK) {
        n = 0;
    }
    cJSON *out = json_hex_string(b, n);
    free(b);
    json_free(vm);
    return out;
}

struct member {
    const char *key;
    cJSON *value; /* taken */
};

/* An object of the members in order; NULL (every value freed) when one is NULL (OOM, or a
 * string that is not UTF-8). */
static cJSON *object_of(struct member *m, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < n; i++) {
        if (o != NULL && !json_set(o, m[i].key, m[i].value)) {
            json_free(o);
            o = NULL;
        } else if (o == NULL) {
            json_free(m[i].value);
        }
    }
    return o;
}

/* serde_json::to_string_pretty of upstream's tcb_info object (docs/api/Info.md). */
static char *tcb_info_text(const struct info_inputs *in, cJSON *mr_aggregated, cJSON *os_hash,
                           cJSON *compose_hash)
{
    cJSON *log = NULL;
    if (evlog_to_json(in->log, &log) != DSTACK_OK) {
        return NULL;
    }
    cJSON *app_compose = json_string_len(in->compose_text != NULL ? in->compose_text : "",
                                         in->compose_text != NULL ? in->compose_len : 0);
    /* tcb_info fields in upstream's order; the three shared values are copied (o: taken). */
    struct member m[] = {{"mrtd", json_hex_string(in->mrtd, DSTACK_MR_LEN)},
                         {"rtmr0", json_hex_string(in->rtmr[0], DSTACK_MR_LEN)},
                         {"rtmr1", json_hex_string(in->rtmr[1], DSTACK_MR_LEN)},
                         {"rtmr2", json_hex_string(in->rtmr[2], DSTACK_MR_LEN)},
                         {"rtmr3", json_hex_string(in->rtmr[3], DSTACK_MR_LEN)},
                         {"mr_aggregated", cJSON_Duplicate(mr_aggregated, true)},
                         {"os_image_hash", cJSON_Duplicate(os_hash, true)},
                         {"compose_hash", cJSON_Duplicate(compose_hash, true)},
                         {"device_id", cJSON_CreateString(INFO_DEVICE_ID)},
                         {"event_log", log},
                         {"app_compose", app_compose}};
    cJSON *t = object_of(m, sizeof m / sizeof m[0]);
    char *s = t != NULL ? json_dump(t, 2, NULL) : NULL;
    json_free(t);
    return s;
}

dstack_err info_build(const struct info_inputs *in, cJSON **out)
{
    uint8_t replayed[DSTACK_RTMR_COUNT][DSTACK_MR_LEN], mr_agg[DSTACK_SHA256_LEN];
    dstack_err e;

    *out = NULL;
    /* mr_aggregated uses the replayed RTMR3, not the reported one (attestation.rs:L1751-1793). */
    if ((e = dstack_replay_rtmrs(in->log, replayed)) != DSTACK_OK) {
        return e;
    }
    uint8_t regs[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    memcpy(regs, in->rtmr, 3 * DSTACK_MR_LEN);
    memcpy(regs[3], replayed[3], DSTACK_MR_LEN);
    if ((e = dstack_mr_aggregated(in->mrtd, (const uint8_t(*)[DSTACK_MR_LEN])regs, in->mr_config_id,
                                  in->mr_owner, in->mr_owner_config, mr_agg)) != DSTACK_OK) {
        return e;
    }
    const struct dstack_event *kp = dstack_event_log_find_runtime(in->log, "key-provider");
    const char *kp_text = "";
    char *kp_copy = NULL;
    if (kp != NULL && kp->payload_len > 0 &&
        utf8_valid((const char *)kp->payload, kp->payload_len)) {
        kp_copy = strndup((const char *)kp->payload, kp->payload_len);
        if (kp_copy == NULL) {
            return DSTACK_ENOMEM;
        }
        kp_text = kp_copy;
    }
    cJSON *agg = json_hex_string(mr_agg, sizeof mr_agg);
    cJSON *os_hash =
        os_image_hash(in->attested_vm_config != NULL ? in->attested_vm_config : in->vm_config);
    cJSON *compose_hash = payload_hex(dstack_event_log_find_runtime(in->log, "compose-hash"));
    char *tcb = NULL;
    if (!in->hide_tcb_info) {
        tcb = tcb_info_text(in, agg, os_hash, compose_hash);
    }
    /* AppInfo fields in proto order (agent_rpc.proto:L215-243). */
    cJSON *o = NULL;
    if (agg != NULL && os_hash != NULL && compose_hash != NULL &&
        (in->hide_tcb_info || tcb != NULL)) {
        struct member m[] = {
            {"app_id", payload_hex(dstack_event_log_find_runtime(in->log, "app-id"))},
            {"instance_id", payload_hex(dstack_event_log_find_runtime(in->log, "instance-id"))},
            {"app_cert", json_string_utf8(in->app_cert != NULL ? in->app_cert : "")},
            {"tcb_info", json_string_utf8(tcb != NULL ? tcb : "")},
            {"app_name", json_string_utf8(in->app_name != NULL ? in->app_name : "")},
            {"device_id", cJSON_CreateString(INFO_DEVICE_ID)},
            {"mr_aggregated", cJSON_Duplicate(agg, true)},
            {"os_image_hash", cJSON_Duplicate(os_hash, true)},
            {"key_provider_info", json_string_utf8(kp_text)},
            {"compose_hash", cJSON_Duplicate(compose_hash, true)},
            {"vm_config",
             json_string_utf8(in->hide_tcb_info || in->vm_config == NULL ? "" : in->vm_config)},
            {"cloud_vendor", json_string_utf8(in->cloud_vendor != NULL ? in->cloud_vendor : "")},
            {"cloud_product",
             json_string_utf8(in->cloud_product != NULL ? in->cloud_product : "")}};
        o = object_of(m, sizeof m / sizeof m[0]);
    }
    free(tcb);
    free(kp_copy);
    json_free(agg);
    json_free(os_hash);
    json_free(compose_hash);
    if (o == NULL) {
        return DSTACK_ENOMEM;
    }
    *out = o;
    return DSTACK_OK;
}

/* ---- the cache -------------------------------------------------------------------------- */

struct info_cache {
    pthread_mutex_t lock;
    char cloud_vendor[256];
    char cloud_product[256];
    bool public_tcbinfo;
    char *app_cert;
    uint8_t rtmr3[DSTACK_MR_LEN]; /* what `full` was built for */
    cJSON *full;                  /* internal listeners */
    cJSON *external;              /* Worker listener */
    /* The two responses above with app_cert, encoded as the server would (compact), built on
     * first use and dropped with what they encode: Info then costs a copy, not a 20 KB dump
     * (bench/bench_transport.c). [0] = full, [1] = external. */
    char *text[2];
    size_t text_len[2];
};

static void drop_texts(struct info_cache *c)
{
    for (size_t i = 0; i < 2; i++) {
        free(c->text[i]);
        c->text[i] = NULL;
        c->text_len[i] = 0;
    }
}

/* A DMI string, trimmed, "" when unreadable (rpc_service.rs reads /sys/class/dmi/id). */
static void read_dmi(const char *name, char *out, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", DMI_DIR, name);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    size_t start = 0;
    while (out[start] == ' ' || out[start] == '\t' || out[start] == '\n' || out[start] == '\r') {
        start++;
    }
    memmove(out, out + start, n - start + 1);
    n = strlen(out);
    while (n > 0 &&
           (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\n' || out[n - 1] == '\r')) {
        out[--n] = '\0';
    }
    if (!utf8_valid(out, n)) {
        out[0] = '\0';
    }
}

static bool compose_public_tcbinfo(const struct agent *a)
{
    /* AppCompose public_tcbinfo defaults to true (dstack-types lib.rs). */
    cJSON *doc =
        a->compose_text != NULL ? json_parse(a->compose_text, a->compose_len, 0, NULL) : NULL;
    const cJSON *v = json_get(doc, "public_tcbinfo");
    bool pub = !cJSON_IsFalse(v);
    json_free(doc);
    return pub;
}

/* Builds both variants from one consistent (registers, log) pair of the backend. The backend
 * offers the two separately; an event emitted in between shows up as a log that does not
 * replay to the registers' RTMR3, and we read again. */
static dstack_err build_from_backend(struct agent *a, const char *app_cert, const char *vendor,
                                     const char *product, cJSON **full, cJSON **external,
                                     uint8_t rtmr3[DSTACK_MR_LEN])
{
    dstack_err e = DSTACK_ETEE;
    for (int attempt = 0; attempt < 8; attempt++) {
        struct tee_measurements m;
        uint8_t replayed[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
        struct dstack_event_log log;

        dstack_event_log_init(&log);
        if ((e = a->tee->measurements(a->tee_state, &m)) != DSTACK_OK ||
            (e = a->tee->event_log(a->tee_state, &log)) != DSTACK_OK) {
            err_wrap(e, "reading the measurements");
            dstack_event_log_free(&log);
            return e;
        }
        if ((e = dstack_replay_rtmrs(&log, replayed)) != DSTACK_OK) {
            err_set(e, "the event log does not replay: %s", dstack_err_str(e));
            dstack_event_log_free(&log);
            return e;
        }
        if (memcmp(replayed[3], m.rtmr[3], DSTACK_MR_LEN) != 0 && attempt < 7) {
            dstack_event_log_free(&log);
            e = DSTACK_ETEE;
            continue; /* raced with EmitEvent */
        }
        /* Still apart after 8 reads: not a race but a log that does not replay to the
         * register (tdx: measurement mismatch, keys refused). Info reports both as they are,
         * as upstream does: tcb_info has the register, mr_aggregated the replay. */
        const char *attested =
            a->tee->attested_vm_config != NULL ? a->tee->attested_vm_config(a->tee_state) : NULL;
        struct info_inputs in = {
            .mrtd = m.mrtd,
            .mr_config_id = m.mr_config_id,
            .mr_owner = m.mr_owner,
            .mr_owner_config = m.mr_owner_config,
            .rtmr = (const uint8_t(*)[DSTACK_MR_LEN])m.rtmr,
            .log = &log,
            .compose_text = a->compose_text,
            .compose_len = a->compose_len,
            .app_name = a->app_name,
            .vm_config = a->vm_config,
            .attested_vm_config = attested,
            .app_cert = app_cert,
            .cloud_vendor = vendor,
            .cloud_product = product,
        };
        e = info_build(&in, full);
        if (e == DSTACK_OK && external != NULL) {
            in.hide_tcb_info = true;
            e = info_build(&in, external);
            if (e != DSTACK_OK) {
                json_free(*full);
                *full = NULL;
            }
        }
        dstack_event_log_free(&log);
        if (e == DSTACK_OK) {
            memcpy(rtmr3, m.rtmr[3], DSTACK_MR_LEN);
        } else {
            err_set(e, "building Info: %s", dstack_err_str(e));
        }
        return e;
    }
    return err_set(e, "the event log kept changing while Info was built");
}

dstack_err info_cache_new(struct agent *a, struct info_cache **out)
{
    struct info_cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (c == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    read_dmi("sys_vendor", c->cloud_vendor, sizeof c->cloud_vendor);
    read_dmi("product_name", c->cloud_product, sizeof c->cloud_product);
    c->public_tcbinfo = compose_public_tcbinfo(a);
    c->app_cert = strdup("");
    dstack_err e = c->app_cert != NULL
                       ? build_from_backend(a, c->app_cert, c->cloud_vendor, c->cloud_product,
                                            &c->full, &c->external, c->rtmr3)
                       : DSTACK_ENOMEM;
    if (e == DSTACK_ENOMEM) {
        info_cache_free(c);
        return e;
    }
    if (e != DSTACK_OK) {
        /* A TEE that cannot be read yet (tdx: no CCEL, no registers) must not stop start-up
         * (docs/tdx.md "Start-up never bricks the CVM"): Info is built by its first call, which
         * reports the cause. */
        log_warn("Info is built on its first call: %s", err_text());
    }
    *out = c;
    return DSTACK_OK;
}

void info_cache_free(struct info_cache *c)
{
    if (c == NULL) {
        return;
    }
    json_free(c->full);
    json_free(c->external);
    drop_texts(c);
    free(c->app_cert);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

dstack_err info_cache_set_app_cert(struct info_cache *c, const char *pem)
{
    char *copy = strdup(pem != NULL ? pem : "");
    if (copy == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&c->lock);
    free(c->app_cert);
    c->app_cert = copy;
    drop_texts(c);
    pthread_mutex_unlock(&c->lock);
    return DSTACK_OK;
}

/* Locks the cache and rebuilds it first when RTMR3 moved since it was built (an emitted
 * event), under the lock so concurrent requests wait for one rebuild. Unlocked on failure. */
static dstack_err cache_lock_fresh(struct info_cache *c, struct agent *a)
{
    struct tee_measurements m;
    dstack_err e;
    if ((e = a->tee->measurements(a->tee_state, &m)) != DSTACK_OK) {
        return err_wrap(e, "reading the measurements");
    }
    pthread_mutex_lock(&c->lock);
    if (c->full == NULL || memcmp(m.rtmr[3], c->rtmr3, DSTACK_MR_LEN) != 0) {
        cJSON *full = NULL, *ext = NULL;
        e = build_from_backend(a, "", c->cloud_vendor, c->cloud_product, &full, &ext, c->rtmr3);
        if (e != DSTACK_OK) {
            pthread_mutex_unlock(&c->lock);
            return e;
        }
        json_free(c->full);
        json_free(c->external);
        c->full = full;
        c->external = ext;
        drop_texts(c);
    }
    return DSTACK_OK;
}

dstack_err info_get(struct info_cache *c, struct agent *a, bool external, cJSON **out)
{
    uint8_t r3[DSTACK_MR_LEN];
    dstack_err e;

    *out = NULL;
    if (c == NULL) {
        char vendor[256], product[256];
        cJSON *full = NULL;
        read_dmi("sys_vendor", vendor, sizeof vendor);
        read_dmi("product_name", product, sizeof product);
        bool hide = external && !compose_public_tcbinfo(a);
        cJSON *ext = NULL;
        e = build_from_backend(a, "", vendor, product, &full, hide ? &ext : NULL, r3);
        if (e == DSTACK_OK) {
            *out = hide ? ext : full;
            json_free(hide ? full : ext);
        }
        return e;
    }
    if ((e = cache_lock_fresh(c, a)) != DSTACK_OK) {
        return e;
    }
    const cJSON *src = external && !c->public_tcbinfo ? c->external : c->full;
    /* A private copy: the caller owns and may change it; the cached one stays immutable. */
    cJSON *copy = cJSON_Duplicate(src, true);
    if (copy != NULL && !json_set(copy, "app_cert", cJSON_CreateString(c->app_cert))) {
        json_free(copy);
        copy = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (copy == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    *out = copy;
    return DSTACK_OK;
}

dstack_err info_get_text(struct info_cache *c, struct agent *a, bool external, char **out,
                         size_t *len)
{
    *out = NULL;
    *len = 0;
    if (c == NULL) {
        cJSON *obj = NULL;
        dstack_err e = info_get(NULL, a, external, &obj);
        if (e != DSTACK_OK) {
            return e;
        }
        *out = json_dump(obj, 0, NULL);
        json_free(obj);
        if (*out == NULL) {
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
        *len = strlen(*out);
        return DSTACK_OK;
    }
    dstack_err e = cache_lock_fresh(c, a);
    if (e != DSTACK_OK) {
        return e;
    }
    size_t idx = external && !c->public_tcbinfo ? 1 : 0;
    if (c->text[idx] == NULL) {
        /* The same object info_get hands out, encoded once. */
        cJSON *copy = cJSON_Duplicate(idx == 1 ? c->external : c->full, true);
        if (copy != NULL && json_set(copy, "app_cert", cJSON_CreateString(c->app_cert))) {
            c->text[idx] = json_dump(copy, 0, NULL);
            c->text_len[idx] = c->text[idx] != NULL ? strlen(c->text[idx]) : 0;
        }
        json_free(copy);
    }
    char *text = c->text[idx] != NULL ? malloc(c->text_len[idx] + 1) : NULL;
    if (text != NULL) {
        memcpy(text, c->text[idx], c->text_len[idx] + 1);
        *len = c->text_len[idx];
    }
    pthread_mutex_unlock(&c->lock);
    if (text == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    *out = text;
    return DSTACK_OK;
}
