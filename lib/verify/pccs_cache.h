/* The PCCS client's on-disk cache (pccs_cache.c): one dcap-qvl collateral JSON per
 * (TEE, FMSPC, CA), used while `now` is before the nextUpdate of its TCB info, its QE identity
 * and both CRLs. */
#ifndef DSTACK_VERIFY_PCCS_CACHE_H
#define DSTACK_VERIFY_PCCS_CACHE_H

#include "pccs.h"

/* DSTACK_OK with a fresh bundle; DSTACK_EIO when there is none or it is stale or broken. */
dstack_err pccs_cache_load(const char *dir, const struct pccs_key *k, uint64_t now,
                           struct dstack_collateral **out);
/* Writes through file_write_new (util/file.h): an exclusive temporary renamed into place. */
dstack_err pccs_cache_store(const char *dir, const struct pccs_key *k,
                            const struct dstack_collateral *c);

#endif
