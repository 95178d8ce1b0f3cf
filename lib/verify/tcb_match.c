/* TCB level selection (dcap-qvl src/verify.rs match_platform_tcb, match_tdx_module_identity,
 * verify_qe_identity_policy; Intel's "TCB level matching" rules): the first level, in the
 * order Intel lists them, whose PCESVN and every SGX component (from the PCK certificate) and,
 * for TDX, every TDX component (TEE_TCB_SVN of the TD report) the platform meets or exceeds. */
#include "dcap.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "attest/td_report.h"

static bool meets(const uint8_t *have, size_t have_n, const uint8_t *need, size_t need_n)
{
    if (have_n != need_n) {
        return false;
    }
    for (size_t i = 0; i < need_n; i++) {
        if (have[i] < need[i]) {
            return false;
        }
    }
    return true;
}

static void status_from(struct tcb_status *out, const struct tcb_status *lv)
{
    memcpy(out, lv, sizeof *out);
}

/* TDX module identity: TEE_TCB_SVN[0] is the module's ISVSVN, [1] its major version, which
 * names the identity "TDX_%02X" whose MRSIGNER/SEAMATTRIBUTES must match MRSIGNERSEAM and
 * SEAMATTRIBUTES, and whose levels give a status to merge. Without identities, tdxModule alone
 * is matched. */
static dstack_err match_module(const struct tcb_info *t, const struct dstack_td_report *td,
                               struct tcb_status *st)
{
    const struct tdx_module_identity *m = t->has_module ? &t->module : NULL;
    uint8_t isvsvn = td->tee_tcb_svn[0], version = td->tee_tcb_svn[1];
    if (m == NULL) {
        return err_set(DSTACK_EVERIFY, "TDX TCB Info is missing tdxModule field");
    }
    if (version > 0 && t->n_identities > 0) {
        char want[16];
        snprintf(want, sizeof want, "TDX_%02X", version);
        m = NULL;
        for (size_t i = 0; i < t->n_identities && m == NULL; i++) {
            m = strcasecmp(t->identities[i].id, want) == 0 ? &t->identities[i] : NULL;
        }
        if (m == NULL) {
            return err_set(DSTACK_EVERIFY, "No TDX module identity with id %s found in TCB Info",
                           want);
        }
    }
    if (memcmp(td->mr_signer_seam, m->mrsigner, DSTACK_MR_LEN) != 0) {
        return err_set(DSTACK_EVERIFY, "TDX module MRSIGNER mismatch");
    }
    for (size_t i = 0; i < 8; i++) {
        uint8_t a = td->seam_attributes[i], mask = m->attributes_mask[i];
        if ((a & mask) != (m->attributes[i] & mask) || (a & (uint8_t)~mask) != 0) {
            return err_set(DSTACK_EVERIFY, "TDX module SEAMATTRIBUTES mismatch at byte %zu", i);
        }
    }
    if (m == &t->module) {
        return DSTACK_OK;
    }
    for (size_t i = 0; i < m->n_levels; i++) {
        if (isvsvn >= m->levels[i].isvsvn) {
            tcb_status_merge(st, &m->levels[i].st);
            return DSTACK_OK;
        }
    }
    return err_set(DSTACK_EVERIFY,
                   "TDX module ISVSVN %u is below minimum required from TDX module TCB levels",
                   isvsvn);
}

dstack_err tcb_match_platform(const struct tcb_info *t, const struct dcap_quote *q,
                              const struct pck_ext *pck, struct tcb_status *out)
{
    bool tdx = q->tee_type == DCAP_TEE_TDX;
    struct dstack_td_report td;
    if (tdx) {
        td_report_decode(q->body, q->kind == DSTACK_REPORT_TD15, &td);
    }
    for (size_t i = 0; i < t->n_levels; i++) {
        const struct tcb_level *lv = &t->levels[i];
        if (pck->pce_svn < lv->pcesvn) {
            continue;
        }
        if (lv->sgx_n == 0) {
            return err_set(DSTACK_EVERIFY, "No SGX components in the TCB info");
        }
        if (!meets(pck->cpu_svn, DCAP_SVN_COUNT, lv->sgx, lv->sgx_n)) {
            continue;
        }
        if (tdx) {
            if (lv->tdx_n == 0) {
                return err_set(DSTACK_EVERIFY, "No TDX components in the TCB info");
            }
            if (!meets(td.tee_tcb_svn, DCAP_SVN_COUNT, lv->tdx, lv->tdx_n)) {
                continue;
            }
        }
        status_from(out, &lv->st);
        return tdx ? match_module(t, &td, out) : DSTACK_OK;
    }
    return err_set(DSTACK_EVERIFY, "No matching TCB level found");
}

dstack_err tcb_match_qe(const struct qe_identity *qi, const uint8_t *qe_report,
                        struct tcb_status *out)
{
    struct dstack_sgx_report r;
    dcap_sgx_report_decode(qe_report, &r);
    if (memcmp(r.mr_signer, qi->mrsigner, sizeof r.mr_signer) != 0) {
        return err_set(DSTACK_EVERIFY, "QE MRSIGNER mismatch");
    }
    if (r.isv_prod_id != qi->isvprodid) {
        return err_set(DSTACK_EVERIFY, "QE ISVPRODID mismatch: expected %u, got %u", qi->isvprodid,
                       r.isv_prod_id);
    }
    if (r.attributes[0] & 0x02) {
        return err_set(DSTACK_EVERIFY, "Debug mode is enabled (QE report)");
    }
    if ((r.misc_select & qi->miscselect_mask) != (qi->miscselect & qi->miscselect_mask)) {
        return err_set(DSTACK_EVERIFY, "QE MISCSELECT mismatch");
    }
    for (size_t i = 0; i < sizeof r.attributes; i++) {
        if ((r.attributes[i] & qi->attributes_mask[i]) !=
            (qi->attributes[i] & qi->attributes_mask[i])) {
            return err_set(DSTACK_EVERIFY, "QE ATTRIBUTES mismatch at byte %zu", i);
        }
    }
    for (size_t i = 0; i < qi->n_levels; i++) {
        if (r.isv_svn >= qi->levels[i].isvsvn) {
            status_from(out, &qi->levels[i].st);
            return DSTACK_OK;
        }
    }
    return err_set(DSTACK_EVERIFY, "QE ISVSVN %u is below every level of the QE identity",
                   r.isv_svn);
}
