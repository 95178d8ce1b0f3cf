/* The simulator's quoting side, used by the simulator backend (sim.c):
 *
 *  - normal mode: a seed-derived PCK chain (tee/sim_pck.h) signs a fresh TDX v4 quote
 *    over the simulator's current measurements for every request; the root certificate is
 *    written to <sim_dir>/tdx-root-ca.pem at start so anyone can verify the quotes
 *    (`dstack_quote_verify`, docs/attestation.md), and the matching collateral (TCB info, QE
 *    identity, CRLs under a TCB signing key from the same seed) to <sim_dir>/tdx-collateral.json,
 *    so they verify in full with `dstack_dcap_verify` under that root (docs/verify.md);
 *  - fixture mode (--attestation FILE): an upstream attestation.bin (V0 VersionedAttestation,
 *    docs/wire.md) is served as upstream's simulator serves it: the quote with the
 *    report data written at the version-correct offset (568 v4, 574 v5; docs/wire.md), measurements
 *    and event log from the file, never changing. Those quotes do not verify (upstream's do not
 *    either, upstream dstack/ra-tls/src/kdf.rs): the signature covers the report data;
 *  - seeded fixture mode (the file and core.simulator.mock_attestation_seed, 64 hex digits):
 *    as upstream's simulator with a TdxGenerator, every quote is a new one signed by the PCK
 *    chain of that seed, carrying the file quote's MRTD and RTMR0-3 and the caller's
 *    report_data; the root and collateral are written as in normal mode, so the quotes verify.
 *
 * A struct sim_quoter is immutable after open: any thread may call sim_quoter_quote. */
#ifndef DSTACK_AGENT_TEE_SIM_QUOTE_H
#define DSTACK_AGENT_TEE_SIM_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "tee/sim_pck.h"
#include "attest/versioned.h"
#include "config.h"
#include "tee/tee.h"

#define SIM_ROOT_CA_FILE "tdx-root-ca.pem"
/* Beside it: the matching DCAP collateral (dcap-qvl JSON), docs/simulator.md. */
#define SIM_COLLATERAL_FILE "tdx-collateral.json"

struct sim_quoter;

/* Fixture mode when cfg->attestation_file is set, else normal mode from cfg->sim_seed (64 hex
 * digits, or any text hashed with SHA-256) with the root PEM written into cfg->sim_dir ("."
 * when empty). On failure the error text names the file and the problem. */
dstack_err sim_quoter_open(const struct agent_config *cfg, struct sim_quoter **out);
void sim_quoter_close(struct sim_quoter *q); /* NULL ok */

/* The loaded fixture in fixture mode, NULL in normal mode. Its quote holds the MRTD and RTMRs
 * to report (dstack_quote_parse) and its events the event log (versioned_event_log). */
const struct versioned_attestation *sim_quoter_fixture(const struct sim_quoter *q);

/* Normal mode: a v4 quote signed over td and report_data. Fixture mode: td is ignored (may be
 * NULL) and the fixture's quote comes back with report_data patched in. *out is malloc'd. */
dstack_err sim_quoter_quote(const struct sim_quoter *q, const struct quote_td *td,
                            const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **out,
                            size_t *out_len);

/* Normal mode: the PCK chain (for tests and docs); NULL in fixture mode. */
const struct quote_pki *sim_quoter_pki(const struct sim_quoter *q);

#endif
