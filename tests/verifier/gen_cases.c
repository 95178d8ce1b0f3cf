/* dcap_gen: writes the differential suite's cases (tests/verifier/README.md) into a folder:
 * <n>.quote, <n>.json (dcap-qvl collateral), root.der (the synthetic root) and cases.jsonl, one
 * line per case: {"id","cat","quote","collateral","now","root"}; root null = Intel's.
 * Usage: dcap_gen OUT_DIR FIXTURE_DIR (tests/fixtures/dcap-qvl) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/verify.h>

#include "gen.h"

#define NOW GEN_NOW

static int write_file(const char *dir, const char *name, const void *b, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, len, f) != len) {
        fprintf(stderr, "dcap_gen: cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
    return 0;
}

void gen_emit(struct gen_ctx *c, const char *cat, const uint8_t *q, size_t qlen, const char *col,
              int64_t now, bool synthetic)
{
    char qn[32], cn[32];
    int id = c->n++;
    snprintf(qn, sizeof qn, "%d.quote", id);
    snprintf(cn, sizeof cn, "%d.json", id);
    write_file(c->dir, qn, q, qlen);
    write_file(c->dir, cn, col, strlen(col));
    fprintf(c->manifest,
            "{\"id\":%d,\"cat\":\"%s\",\"quote\":\"%s\",\"collateral\":\"%s\",\"now\":%lld,"
            "\"root\":%s}\n",
            id, cat, qn, cn, (long long)now, synthetic ? "\"root.der\"" : "null");
}

void gen_syn(struct gen_ctx *c, const char *cat, const struct gen_params *p)
{
    struct gen_output o;
    if (gen_build(&c->keys, p, &o) != 0) {
        fprintf(stderr, "dcap_gen: build failed (%s)\n", cat);
        exit(2);
    }
    gen_emit(c, cat, o.quote, o.quote_len, o.collateral_json, NOW, true);
    gen_output_free(&o);
}

/* The platform's SVNs set to level l of p's TCB info. */
static void at_level(struct gen_params *p, size_t l)
{
    memcpy(p->cpusvn, p->levels[l].sgx, 16);
    memcpy(p->tee_tcb_svn, p->levels[l].tdx, 16);
    p->pcesvn = p->levels[l].pcesvn;
}

static void g_baselines(struct gen_ctx *c)
{
    struct gen_params p;
    for (int tdx = 0; tdx < 2; tdx++) {
        gen_params_default(&p, tdx);
        gen_syn(c, "baseline", &p);
    }
    static const uint16_t bodies[] = {1, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        gen_params_default(&p, bodies[i] != 1);
        p.version = 5;
        p.body_type = bodies[i];
        gen_syn(c, "v5", &p);
    }
    gen_params_default(&p, true);
    p.version = 5;
    p.body_type = 3;
    p.mr_service_td[7] = 1;
    gen_syn(c, "v5", &p);
    gen_params_default(&p, false);
    p.version = 4; /* SGX must be v3 */
    gen_syn(c, "header", &p);
}

/* Every SVN one below and one above every level's value. */
static void g_svn_sweeps(struct gen_ctx *c, bool tdx)
{
    struct gen_params p;
    for (size_t l = 0; l < 5; l++) {
        for (int i = 0; i < 16; i++) {
            for (int d = -1; d <= 1; d += 2) {
                gen_params_default(&p, tdx);
                at_level(&p, l);
                int v = p.cpusvn[i] + d;
                if (v >= 0 && v <= 255) {
                    p.cpusvn[i] = (uint8_t)v;
                    gen_syn(c, tdx ? "svn_sgx_tdx" : "svn_sgx", &p);
                }
                if (!tdx) {
                    continue;
                }
                gen_params_default(&p, tdx);
                at_level(&p, l);
                v = p.tee_tcb_svn[i] + d;
                if (v >= 0 && v <= 255) {
                    p.tee_tcb_svn[i] = (uint8_t)v;
                    gen_syn(c, "svn_tdx", &p);
                }
            }
        }
        for (int d = -1; d <= 1; d += 2) {
            gen_params_default(&p, tdx);
            at_level(&p, l);
            if (p.pcesvn + d >= 0) {
                p.pcesvn = (uint16_t)(p.pcesvn + d);
                gen_syn(c, "svn_pce", &p);
            }
        }
    }
}

static void g_levels_removed(struct gen_ctx *c)
{
    struct gen_params p;
    for (size_t r = 0; r < 5; r++) {
        for (size_t l = 0; l < 5; l++) {
            gen_params_default(&p, true);
            at_level(&p, l);
            memmove(&p.levels[r], &p.levels[r + 1], (p.n_levels - r - 1) * sizeof p.levels[0]);
            p.n_levels--;
            gen_syn(c, "level_removed", &p);
        }
    }
}

static void g_qe(struct gen_ctx *c)
{
    struct gen_params p;
    static const uint16_t svns[] = {1, 2, 3, 5, 6, 7, 8, 9};
    static const size_t plat[] = {0, 1, 3};
    for (size_t i = 0; i < sizeof svns / sizeof svns[0]; i++) {
        for (size_t k = 0; k < 3; k++) {
            gen_params_default(&p, k != 1);
            at_level(&p, plat[k]);
            p.qe_isvsvn = svns[i];
            gen_syn(c, "qe_svn", &p);
        }
    }
    gen_params_default(&p, true);
    p.qe_mrsigner[5] ^= 1;
    gen_syn(c, "qe_mrsigner", &p);
    gen_params_default(&p, true);
    p.qe_id_mrsigner[31] ^= 0x80;
    gen_syn(c, "qe_mrsigner", &p);
    gen_params_default(&p, true);
    p.qe_prodid = 3;
    gen_syn(c, "qe_policy", &p);
    for (int b = 0; b < 32; b += 3) {
        gen_params_default(&p, b % 2 == 0);
        p.qe_miscselect = 1u << b;
        gen_syn(c, "qe_policy", &p);
    }
    gen_params_default(&p, true);
    p.qe_miscselect = 0xffffffffu;
    p.qe_misc_mask = "00000000";
    gen_syn(c, "qe_policy", &p);
    for (int byte = 0; byte < 16; byte++) {
        for (int bit = 0; bit < 8; bit += 3) {
            gen_params_default(&p, true);
            p.qe_attributes[byte] ^= (uint8_t)(1u << bit);
            gen_syn(c, "qe_policy", &p);
        }
    }
    gen_params_default(&p, true);
    p.qe_attributes[0] |= 0x02; /* DEBUG */
    p.qe_attr_mask = "F9FFFFFFFFFFFFFF0000000000000000";
    gen_syn(c, "qe_policy", &p);
}

static void g_attributes(struct gen_ctx *c)
{
    struct gen_params p;
    for (int bit = 0; bit < 64; bit++) {
        gen_params_default(&p, true);
        p.td_attributes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        gen_syn(c, "td_attributes", &p);
    }
    for (int bit = 0; bit < 8; bit++) {
        gen_params_default(&p, false);
        p.sgx_attributes[0] ^= (uint8_t)(1u << bit);
        gen_syn(c, "sgx_attributes", &p);
    }
}

static void g_documents(struct gen_ctx *c)
{
    struct gen_params p;
    gen_params_default(&p, true);
    p.tcb_fmspc[2] ^= 1;
    gen_syn(c, "fmspc", &p);
    gen_params_default(&p, false);
    p.fmspc[5] = 7;
    gen_syn(c, "fmspc", &p);
    gen_params_default(&p, true);
    p.tcb_pceid = "0100";
    gen_syn(c, "pce_id", &p);
    gen_params_default(&p, true);
    p.tcb_id = "SGX";
    gen_syn(c, "tcb_kind", &p);
    gen_params_default(&p, true);
    p.tcb_version = 2;
    gen_syn(c, "tcb_kind", &p);
    gen_params_default(&p, false);
    p.tcb_id = "TDX";
    gen_syn(c, "tcb_kind", &p);
    gen_params_default(&p, true);
    p.qe_id = "QE";
    gen_syn(c, "qe_kind", &p);
    gen_params_default(&p, false);
    p.qe_version = 3;
    gen_syn(c, "qe_kind", &p);
    gen_params_default(&p, true);
    p.qe_version = 3;
    gen_syn(c, "qe_kind", &p);
    gen_params_default(&p, true);
    p.levels[0].status = "Fabulous";
    gen_syn(c, "status_name", &p);
    gen_params_default(&p, true);
    p.qe_levels[0].status = "Fabulous";
    gen_syn(c, "status_name", &p);
    /* validity windows around NOW */
    static const int64_t shifts[][4] = {
        {1, 0, 0, 0},
        {0, -1, 0, 0},
        {0, 0, 1, 0},
        {0, 0, 0, -1},
        {0, NOW - 1738368000LL, 0, 0}, /* nextUpdate == now */
        {NOW - 1735689600LL, 0, 0, 0}, /* issueDate == now */
    };
    for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++) {
        gen_params_default(&p, i % 2 == 0);
        if (shifts[i][0] == 1) {
            p.tcb_issue = NOW + 1;
        } else if (shifts[i][1] == -1) {
            p.tcb_next = NOW - 1;
        } else if (shifts[i][2] == 1) {
            p.qe_issue = NOW + 1;
        } else if (shifts[i][3] == -1) {
            p.qe_next = NOW - 1;
        } else {
            p.tcb_issue += shifts[i][0];
            p.tcb_next += shifts[i][1];
        }
        gen_syn(c, "doc_window", &p);
    }
    gen_params_default(&p, true);
    p.leaf_not_after = NOW - 10;
    gen_syn(c, "cert_window", &p);
    gen_params_default(&p, true);
    p.leaf_not_before = NOW + 10;
    gen_syn(c, "cert_window", &p);
    gen_params_default(&p, false);
    p.tcb_cert_not_after = NOW - 10;
    gen_syn(c, "cert_window", &p);
}

static void g_crls(struct gen_ctx *c)
{
    struct gen_params p;
    static const struct {
        bool root;
        long serial;
    } rev[] = {{false, GEN_SERIAL_PCK},
               {true, GEN_SERIAL_PCK_CA},
               {true, GEN_SERIAL_TCB},
               {true, GEN_SERIAL_ROOT},
               {false, 77},
               {true, 1234},
               {true, GEN_SERIAL_PCK},
               {false, GEN_SERIAL_TCB}};
    for (size_t i = 0; i < sizeof rev / sizeof rev[0]; i++) {
        gen_params_default(&p, i % 2 == 0);
        struct gen_crl *crl = rev[i].root ? &p.root_crl : &p.pck_crl;
        crl->revoked[crl->n_revoked++] = rev[i].serial;
        crl->revoked[crl->n_revoked++] = 999;
        gen_syn(c, "crl_revoked", &p);
    }
    for (int root = 0; root < 2; root++) {
        gen_params_default(&p, true);
        (root ? &p.root_crl : &p.pck_crl)->next_update = NOW - 5;
        gen_syn(c, "crl_window", &p);
        gen_params_default(&p, true);
        (root ? &p.root_crl : &p.pck_crl)->this_update = NOW + 5;
        gen_syn(c, "crl_window", &p);
        gen_params_default(&p, false);
        (root ? &p.root_crl : &p.pck_crl)->wrong_signer = true;
        gen_syn(c, "crl_signature", &p);
        gen_params_default(&p, true);
        (root ? &p.root_crl : &p.pck_crl)->garbage = true;
        gen_syn(c, "crl_signature", &p);
    }
}

static void g_header(struct gen_ctx *c)
{
    struct gen_params p;
    gen_params_default(&p, true);
    p.ak_type = 3;
    gen_syn(c, "header", &p);
    gen_params_default(&p, true);
    p.qe_vendor[0] ^= 1;
    gen_syn(c, "qe_vendor", &p);
    static const size_t auth_lens[] = {0, 16, 31, 33, 64};
    for (size_t i = 0; i < 5; i++) {
        gen_params_default(&p, i % 2 == 0);
        p.qe_auth_len = auth_lens[i];
        gen_syn(c, "qe_auth_len", &p);
    }
    for (int v = 0; v < 4; v++) {
        gen_params_default(&p, v != 2);
        p.chain_variant = v;
        gen_syn(c, "pck_chain", &p);
    }
}

/* TDX module identity: TEE_TCB_SVN[1] = 9 in every default level, so the identity is TDX_09. */
static void g_module(struct gen_ctx *c)
{
    static const char *const ids[] = {
        "[{\"id\":\"TDX_09\",\"mrsigner\":\"" /* matches: UpToDate */
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000"
        "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
        "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2024-03-13T00:00:00Z\","
        "\"tcbStatus\":\"UpToDate\"}]}]",
        "[{\"id\":\"TDX_09\",\"mrsigner\":\"" /* the module's ISVSVN 8 is OutOfDate */
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000"
        "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
        "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":20},\"tcbDate\":\"2024-03-13T00:00:00Z\","
        "\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":1},\"tcbDate\":\"2023-03-13T00:00:00Z\","
        "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00555\"]}]}]",
        "[{\"id\":\"TDX_03\",\"mrsigner\":\"" /* no identity for version 9 */
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000"
        "\",\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
        "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2024-03-13T00:00:00Z\","
        "\"tcbStatus\":\"UpToDate\"}]}]",
    };
    struct gen_params p;
    for (size_t i = 0; i < 3; i++) {
        gen_params_default(&p, true);
        p.module_identities = ids[i];
        gen_syn(c, "tdx_module", &p);
    }
    gen_params_default(&p, true);
    p.mr_signer_seam[0] = 1;
    gen_syn(c, "tdx_module", &p);
    gen_params_default(&p, true);
    p.seam_attributes[0] = 1;
    gen_syn(c, "tdx_module", &p);
}

int main(int argc, char **argv)
{
    struct gen_ctx c = {0};
    char path[4096];
    if (argc != 3) {
        fprintf(stderr, "usage: dcap_gen OUT_DIR FIXTURE_DIR\n");
        return 2;
    }
    c.dir = argv[1];
    c.fix = argv[2];
    snprintf(path, sizeof path, "%s/cases.jsonl", c.dir);
    if ((c.manifest = fopen(path, "w")) == NULL || gen_keys_new(&c.keys) != 0) {
        fprintf(stderr, "dcap_gen: cannot start in %s\n", c.dir);
        return 2;
    }
    write_file(c.dir, "root.der", c.keys.root_der, c.keys.root_der_len);
    g_baselines(&c);
    g_svn_sweeps(&c, true);
    g_svn_sweeps(&c, false);
    g_levels_removed(&c);
    g_qe(&c);
    g_attributes(&c);
    g_documents(&c);
    g_crls(&c);
    g_header(&c);
    g_module(&c);
    gen_mutations(&c);
    fclose(c.manifest);
    gen_keys_free(&c.keys);
    printf("%d cases\n", c.n);
    return 0;
}
