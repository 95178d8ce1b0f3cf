/* The collateral cache (pccs_cache.h). A stale entry is simply fetched again and overwritten. */
#include "pccs_cache.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "dcap.h"
#include "util/file.h"

#define CACHE_MAX (8u << 20)

static void cache_path(const char *dir, const struct pccs_key *k, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s-%s-%s.json", dir, k->sgx ? "sgx" : "tdx", k->fmspc, k->ca);
}

static bool crl_fresh(const uint8_t *der, size_t len, uint64_t now)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    time_t t = (time_t)now;
    bool ok = crl != NULL && X509_CRL_get0_nextUpdate(crl) != NULL &&
              X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &t) > 0;
    X509_CRL_free(crl);
    return ok;
}

static bool fresh(const struct dstack_collateral *c, uint64_t now)
{
    struct tcb_info t;
    struct qe_identity q;
    bool ok = false;
    if (tcb_info_parse(c->tcb_info, &t) != DSTACK_OK) {
        return false;
    }
    if (qe_identity_parse(c->qe_identity, &q) == DSTACK_OK) {
        ok = (int64_t)now <= t.next_update && (int64_t)now <= q.next_update &&
             crl_fresh(c->root_ca_crl, c->root_ca_crl_len, now) &&
             crl_fresh(c->pck_crl, c->pck_crl_len, now);
        qe_identity_clear(&q);
    }
    tcb_info_clear(&t);
    return ok;
}

dstack_err pccs_cache_load(const char *dir, const struct pccs_key *k, uint64_t now,
                           struct dstack_collateral **out)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    bool missing = false;
    struct dstack_collateral *c = NULL;
    cache_path(dir, k, path, sizeof path);
    if (file_read_all(path, CACHE_MAX, &text, &len, &missing) != DSTACK_OK || missing) {
        return missing ? err_set(DSTACK_EIO, "%s: not cached", path) : DSTACK_EIO;
    }
    dstack_err err = dstack_collateral_from_json(text, len, &c);
    free(text);
    if (err != DSTACK_OK || !fresh(c, now)) {
        dstack_collateral_free(c);
        return err_set(DSTACK_EIO, "%s: %s", path,
                       err != DSTACK_OK ? "not collateral" : "past its nextUpdate");
    }
    *out = c;
    return DSTACK_OK;
}

dstack_err pccs_cache_store(const char *dir, const struct pccs_key *k,
                            const struct dstack_collateral *c)
{
    char path[4096];
    char *json = NULL;
    if (dstack_collateral_to_json(c, &json) != DSTACK_OK) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    cache_path(dir, k, path, sizeof path);
    dstack_err err = DSTACK_OK;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) { /* the folder itself, not its parents */
        err = err_set(DSTACK_EIO, "%s: %s", dir, strerror(errno));
    } else {
        /* A fresh exclusive temporary renamed into place: a name planted in a shared cache
         * folder is never written through, and readers see the old entry or the new one. */
        err = file_write_new(path, json, strlen(json), 0644, true);
    }
    free(json);
    return err;
}
