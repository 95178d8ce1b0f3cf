/* The generator's signed documents: TCB info and QE identity JSON in Intel's PCS v4 shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

void gen_iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hex_up(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02X", b[i]);
    }
}

struct text {
    char *b;
    size_t n, cap;
};

static void add(struct text *t, const char *s)
{
    size_t l = strlen(s);
    if (t->n + l + 1 > t->cap) {
        t->cap = (t->n + l + 1) * 2;
        t->b = realloc(t->b, t->cap);
    }
    memcpy(t->b + t->n, s, l + 1);
    t->n += l;
}

static void add_svns(struct text *t, const uint8_t *svn)
{
    char one[48];
    add(t, "[");
    for (int i = 0; i < 16; i++) {
        snprintf(one, sizeof one, "%s{\"svn\":%u}", i ? "," : "", svn[i]);
        add(t, one);
    }
    add(t, "]");
}

static void add_level(struct text *t, const struct gen_level *l, bool tdx)
{
    char buf[256];
    add(t, "{\"tcb\":{\"sgxtcbcomponents\":");
    add_svns(t, l->sgx);
    snprintf(buf, sizeof buf, ",\"pcesvn\":%u", l->pcesvn);
    add(t, buf);
    if (tdx) {
        add(t, ",\"tdxtcbcomponents\":");
        add_svns(t, l->tdx);
    }
    snprintf(buf, sizeof buf, "},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"%s\"",
             l->status);
    add(t, buf);
    if (l->advisories != NULL && l->advisories[0] != '\0') {
        add(t, ",\"advisoryIDs\":[");
        add(t, l->advisories);
        add(t, "]");
    }
    add(t, "}");
}

char *gen_tcb_info(const struct gen_params *p)
{
    struct text t = {0};
    char issue[32], next[32], fmspc[13], buf[512];
    bool tdx = strcmp(p->tcb_id, "TDX") == 0;
    gen_iso_time(p->tcb_issue, issue);
    gen_iso_time(p->tcb_next, next);
    hex_up(p->tcb_fmspc, 6, fmspc);
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"version\":%d,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
             "\"fmspc\":\"%s\",\"pceId\":\"%s\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17",
             p->tcb_id, p->tcb_version, issue, next, fmspc, p->tcb_pceid);
    add(&t, buf);
    if (tdx) {
        add(&t, ",\"tdxModule\":{\"mrsigner\":\"");
        for (int i = 0; i < 48; i++) {
            add(&t, "00");
        }
        add(&t, "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}");
        if (p->module_identities != NULL) {
            add(&t, ",\"tdxModuleIdentities\":");
            add(&t, p->module_identities);
        }
    }
    add(&t, ",\"tcbLevels\":[");
    for (size_t i = 0; i < p->n_levels; i++) {
        if (i) {
            add(&t, ",");
        }
        add_level(&t, &p->levels[i], tdx);
    }
    add(&t, "]}");
    return t.b;
}

char *gen_qe_identity(const struct gen_params *p)
{
    struct text t = {0};
    char issue[32], next[32], mrsigner[65], buf[768];
    gen_iso_time(p->qe_issue, issue);
    gen_iso_time(p->qe_next, next);
    hex_up(p->qe_id_mrsigner, 32, mrsigner);
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"version\":%d,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
             "\"tcbEvaluationDataNumber\":17,\"miscselect\":\"%s\",\"miscselectMask\":\"%s\","
             "\"attributes\":\"%s\",\"attributesMask\":\"%s\",\"mrsigner\":\"%s\","
             "\"isvprodid\":%u,\"tcbLevels\":[",
             p->qe_id, p->qe_version, issue, next, p->qe_misc, p->qe_misc_mask, p->qe_attr,
             p->qe_attr_mask, mrsigner, p->qe_id_prodid);
    add(&t, buf);
    for (size_t i = 0; i < p->n_qe_levels; i++) {
        const struct gen_qe_level *l = &p->qe_levels[i];
        snprintf(buf, sizeof buf,
                 "%s{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"2024-03-13T00:00:00Z\","
                 "\"tcbStatus\":\"%s\"",
                 i ? "," : "", l->isvsvn, l->status);
        add(&t, buf);
        if (l->advisories != NULL && l->advisories[0] != '\0') {
            add(&t, ",\"advisoryIDs\":[");
            add(&t, l->advisories);
            add(&t, "]");
        }
        add(&t, "}");
    }
    add(&t, "]}");
    return t.b;
}
