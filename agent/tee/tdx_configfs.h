/* Quotes through Linux configfs-tsm (docs/tdx.md; kernel ABI
 * Documentation/ABI/testing/configfs-tsm-report; upstream tdx-attest/src/linux.rs:L356-452).
 *
 * The report directory holds inblob (write the 64 report-data bytes), outblob (read the quote;
 * the kernel asks the host's quoting service on that read) and generation (a counter bumped on
 * every write to the directory's attributes). Another process may use the same directory, so
 * one quote is: flock(inblob), g1 = generation, write inblob, wait for generation to move,
 * require g2 == g1 + 1, read outblob, require generation still g2. A jump means somebody else
 * wrote between our write and our read; the outblob may then be theirs, so the attempt is
 * thrown away and retried. The quote's own REPORTDATA (offset 568 in v4, 574 in v5) must equal
 * what we asked for: never hand out somebody else's quote. */
#ifndef DSTACK_AGENT_TEE_TDX_CONFIGFS_H
#define DSTACK_AGENT_TEE_TDX_CONFIGFS_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "tee/tdx_paths.h"

#define TDX_QUOTE_MIN_LEN 1020u       /* linux.rs QUOTE_MIN_SIZE: shorter is not a quote */
#define TDX_QUOTE_BUF_LEN (8u * 1024) /* linux.rs QUOTE_BUF_SIZE: a quote is below this */
#define TDX_CONFIGFS_ATTEMPTS 3       /* tries when another writer interferes */
#define TDX_PROVIDER_PREFIX "tdx_guest"

/* Finds or creates the report directory (tdx_paths.h decides which one), checks its provider.
 * DSTACK_EUNSUPPORTED when configfs-tsm is absent altogether (no explicit path, no default
 * directory, no base directory): the caller may then try QGS. Any other failure (explicit path
 * missing, provider not TDX) is DSTACK_ETEE with the reason. */
dstack_err tdx_configfs_prepare(const struct tdx_paths *p, char dir[TDX_PATH_MAX]);

/* One quote from the report directory dir. generation_timeout_ms bounds the wait for the
 * counter. *quote is malloc'd. */
dstack_err tdx_configfs_quote(const char *dir, unsigned generation_timeout_ms,
                              const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **quote,
                              size_t *quote_len);

#endif
