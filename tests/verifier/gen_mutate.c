/* Byte-level mutations, signature kept: flips across synthetic and real quotes, signed
 * documents altered, chains swapped, real samples at several times and under each other's
 * collateral. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dstack/verify.h>

#include "gen.h"

static void *read_all(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "dcap_gen: missing fixture %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        exit(2);
    }
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A collateral with one member changed (done through the library's own reader and writer). */
typedef void (*col_edit)(struct dstack_collateral *c, void *arg);

static char *edit_collateral(const char *json, col_edit fn, void *arg)
{
    struct dstack_collateral *c = NULL;
    char *out = NULL;
    if (dstack_collateral_from_json(json, strlen(json), &c) != DSTACK_OK) {
        exit(2);
    }
    fn(c, arg);
    if (dstack_collateral_to_json(c, &out) != DSTACK_OK) {
        exit(2);
    }
    dstack_collateral_free(c);
    return out;
}

static void flip_tcb_sig(struct dstack_collateral *c, void *arg)
{
    c->tcb_info_signature[*(int *)arg] ^= 0x01;
}

static void flip_qe_sig(struct dstack_collateral *c, void *arg)
{
    c->qe_identity_signature[*(int *)arg] ^= 0x01;
}

/* Replace the first occurrence of from (same length as to, or shorter) in a signed document. */
static void replace_in(char **doc, const char *from, const char *to)
{
    char *at = strstr(*doc, from);
    if (at == NULL) {
        return;
    }
    size_t head = (size_t)(at - *doc), fl = strlen(from), tl = strlen(to), n = strlen(*doc);
    char *nd = malloc(n - fl + tl + 1);
    memcpy(nd, *doc, head);
    memcpy(nd + head, to, tl);
    memcpy(nd + head + tl, at + fl, n - head - fl + 1);
    free(*doc);
    *doc = nd;
}

static void alter_tcb(struct dstack_collateral *c, void *arg)
{
    const char *const *pair = arg;
    replace_in(&c->tcb_info, pair[0], pair[1]);
}

static void alter_qe(struct dstack_collateral *c, void *arg)
{
    const char *const *pair = arg;
    replace_in(&c->qe_identity, pair[0], pair[1]);
}

static void swap_chains(struct dstack_collateral *c, void *arg)
{
    int which = *(int *)arg;
    char *t = NULL;
    if (which == 0) { /* TCB info "signed" by the PCK CA's chain */
        t = c->tcb_info_issuer_chain;
        c->tcb_info_issuer_chain = strdup(c->pck_crl_issuer_chain);
    } else if (which == 1) {
        t = c->qe_identity_issuer_chain;
        c->qe_identity_issuer_chain = strdup(c->pck_crl_issuer_chain);
    } else { /* only the leaf of the TCB chain */
        char *end = strstr(c->tcb_info_issuer_chain, "-----END CERTIFICATE-----");
        if (end != NULL) {
            end[strlen("-----END CERTIFICATE-----")] = '\0';
        }
    }
    free(t);
}

static const char *const doc_edits[][2] = {
    {"UpToDate", "OutOfDate"}, {"\"version\":", "\"version\": "},
    {"2025", "2024"},          {"INTEL-SA-00001", "INTEL-SA-00000"},
    {"Revoked", "UpToDate"},
};

static void collateral_edits(struct gen_ctx *c, const uint8_t *q, size_t qlen, const char *col,
                             int64_t now, bool synthetic)
{
    static const int sig_bytes[] = {0, 31, 32, 63};
    for (size_t i = 0; i < 4; i++) {
        char *a = edit_collateral(col, flip_tcb_sig, (void *)&sig_bytes[i]);
        gen_emit(c, "sig_flip", q, qlen, a, now, synthetic);
        free(a);
        a = edit_collateral(col, flip_qe_sig, (void *)&sig_bytes[i]);
        gen_emit(c, "sig_flip", q, qlen, a, now, synthetic);
        free(a);
    }
    for (size_t i = 0; i < sizeof doc_edits / sizeof doc_edits[0]; i++) {
        char *a = edit_collateral(col, alter_tcb, (void *)doc_edits[i]);
        if (strcmp(a, col) != 0) {
            gen_emit(c, "doc_altered", q, qlen, a, now, synthetic);
        }
        free(a);
        a = edit_collateral(col, alter_qe, (void *)doc_edits[i]);
        if (strcmp(a, col) != 0) {
            gen_emit(c, "doc_altered", q, qlen, a, now, synthetic);
        }
        free(a);
    }
    for (int w = 0; w < 3; w++) {
        char *a = edit_collateral(col, swap_chains, &w);
        gen_emit(c, "chain_swapped", q, qlen, a, now, synthetic);
        free(a);
    }
}

/* Flip one byte every `step` bytes of the quote (the trailing padding included). */
static void quote_flips(struct gen_ctx *c, const uint8_t *q, size_t qlen, const char *col,
                        int64_t now, bool synthetic, size_t step)
{
    uint8_t *m = malloc(qlen);
    for (size_t off = 3; off < qlen; off += step) {
        memcpy(m, q, qlen);
        m[off] ^= 0x10;
        gen_emit(c, "quote_flip", m, qlen, col, now, synthetic);
    }
    free(m);
}

/* The quote's PCK chain reordered (CA first): the PEM blocks keep their bytes and total length. */
static void swap_pck_pem(struct gen_ctx *c, const uint8_t *q, size_t qlen, const char *col,
                         int64_t now, bool synthetic)
{
    const char *begin = "-----BEGIN CERTIFICATE-----";
    const char *first = memmem(q, qlen, begin, strlen(begin));
    const char *second = first ? memmem(first + 1, qlen - (size_t)((const uint8_t *)first + 1 - q),
                                        begin, strlen(begin))
                               : NULL;
    const char *third = second
                            ? memmem(second + 1, qlen - (size_t)((const uint8_t *)second + 1 - q),
                                     begin, strlen(begin))
                            : NULL;
    if (third == NULL) {
        return;
    }
    size_t a = (size_t)(second - first), b = (size_t)(third - second);
    uint8_t *m = malloc(qlen);
    memcpy(m, q, qlen);
    size_t at = (size_t)((const uint8_t *)first - q);
    memcpy(m + at, second, b);
    memcpy(m + at + b, first, a);
    gen_emit(c, "pck_chain", m, qlen, col, now, synthetic);
    free(m);
}

static void synthetic(struct gen_ctx *c)
{
    for (int tdx = 0; tdx < 2; tdx++) {
        struct gen_params p;
        struct gen_output o;
        gen_params_default(&p, tdx);
        if (gen_build(&c->keys, &p, &o) != 0) {
            exit(2);
        }
        quote_flips(c, o.quote, o.quote_len, o.collateral_json, GEN_NOW, true, 41);
        collateral_edits(c, o.quote, o.quote_len, o.collateral_json, GEN_NOW, true);
        swap_pck_pem(c, o.quote, o.quote_len, o.collateral_json, GEN_NOW, true);
        gen_output_free(&o);
    }
}

static const struct {
    const char *quote, *collateral;
    int64_t times[6]; /* before issueDate, at it, inside, at nextUpdate, after; 0 ends */
} real[] = {
    {"tdx_quote",
     "tdx_quote_collateral.json",
     {1750328162, 1750328163, 1751328000, 1752920163, 1752920164, 1748736000}},
    {"sgx_quote",
     "sgx_quote_collateral.json",
     {1750328162, 1751328000, 1752000000, 1754006400, 0, 0}},
    {"tdx_quote_outdated",
     "tdx_quote_outdated_collateral.json",
     {1769904000, 1772323200, 1775001600, 0, 0, 0}},
};

/* Is now outside either CRL's thisUpdate..nextUpdate? (Then we are stricter by design.) */
static bool crl_outside(const char *col_json, int64_t now)
{
    struct dstack_collateral *col = NULL;
    bool outside = false;
    time_t t = (time_t)now;
    if (dstack_collateral_from_json(col_json, strlen(col_json), &col) != DSTACK_OK) {
        exit(2);
    }
    const uint8_t *ders[2] = {col->root_ca_crl, col->pck_crl};
    size_t lens[2] = {col->root_ca_crl_len, col->pck_crl_len};
    for (size_t i = 0; i < 2; i++) {
        const unsigned char *p = ders[i];
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)lens[i]);
        outside = outside || crl == NULL || X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &t) > 0 ||
                  X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &t) < 0;
        X509_CRL_free(crl);
    }
    dstack_collateral_free(col);
    return outside;
}

static void real_samples(struct gen_ctx *c)
{
    for (size_t i = 0; i < 3; i++) {
        size_t qlen, clen;
        uint8_t *q = read_all(c->fix, real[i].quote, &qlen);
        char *col = read_all(c->fix, real[i].collateral, &clen);
        for (size_t t = 0; t < 6 && real[i].times[t] != 0; t++) {
            int64_t t_now = real[i].times[t];
            gen_emit(c, crl_outside(col, t_now) ? "crl_window" : "real_time", q, qlen, col, t_now,
                     false);
        }
        int64_t now = real[i].times[i == 2 ? 1 : 2];
        quote_flips(c, q, qlen, col, now, false, 97);
        collateral_edits(c, q, qlen, col, now, false);
        swap_pck_pem(c, q, qlen, col, now, false);
        for (size_t k = 0; k < 3; k++) { /* every other sample's collateral */
            if (k != i) {
                char *other = read_all(c->fix, real[k].collateral, &clen);
                gen_emit(c, "collateral_swapped", q, qlen, other, now, false);
                free(other);
            }
        }
        free(q);
        free(col);
    }
}

void gen_mutations(struct gen_ctx *c)
{
    synthetic(c);
    real_samples(c);
}
