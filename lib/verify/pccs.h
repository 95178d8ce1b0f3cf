/* Collateral from a PCCS or Intel's PCS over HTTP(S) (PCS API v4, the paths dcap-qvl's
 * src/collateral.rs uses), with an optional on-disk cache keyed by TEE, FMSPC and CA that is
 * used until the earliest nextUpdate of what it holds. docs/verify.md. */
#ifndef DSTACK_VERIFY_PCCS_H
#define DSTACK_VERIFY_PCCS_H

#include <stdbool.h>
#include <stdint.h>

#include <dstack/verify.h>

struct pccs_options {
    const char *url;       /* base URL, e.g. https://pccs.phala.network (v4 suffixes stripped) */
    const char *cache_dir; /* NULL: no cache */
    uint64_t now;          /* for the cache's freshness */
    long timeout_ms;       /* per request; 0: 10 s */
};

/* Which collateral a quote needs: its TEE, its PCK leaf's FMSPC and issuing CA. */
struct pccs_key {
    bool sgx;
    char fmspc[2 * DSTACK_FMSPC_LEN + 1]; /* upper-case hex, as the PCS wants it */
    const char *ca;                       /* "processor" or "platform" */
};

/* Errors set the thread's text (util/error.h), naming the URL that failed. */
dstack_err pccs_key_for_quote(const uint8_t *q, size_t len, struct pccs_key *out);
dstack_err pccs_fetch(const struct pccs_options *o, const struct pccs_key *k,
                      struct dstack_collateral **out);
dstack_err pccs_fetch_for_quote(const struct pccs_options *o, const uint8_t *q, size_t len,
                                struct dstack_collateral **out);

/* The raw text of the value of a top-level key of a JSON object (the bytes Intel signed). */
bool pccs_json_raw_value(const char *json, size_t len, const char *key, const char **at, size_t *n);

#endif
