/* The generator's quotes and collateral bundles (gen.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <dstack/verify.h>

#include "gen.h"

#define T_ISSUE 1735689600LL /* 2025-01-01T00:00:00Z */
#define T_NEXT 1738368000LL  /* 2025-02-01T00:00:00Z */

static const uint8_t intel_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                         0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

/* Five platform levels, highest first, with distinct values per component so that each
 * component can be stepped below or above each level. */
static void default_levels(struct gen_params *p)
{
    static const char *const status[] = {"UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
                                         "OutOfDate", "Revoked"};
    static const char *const adv[] = {
        "", "\"INTEL-SA-00001\"", "\"INTEL-SA-00001\",\"INTEL-SA-00002\"",
        "\"INTEL-SA-00003\",\"INTEL-SA-00001\"", "\"INTEL-SA-00009\""};
    p->n_levels = 5;
    for (size_t l = 0; l < 5; l++) {
        struct gen_level *lv = &p->levels[l];
        for (int i = 0; i < 16; i++) {
            int top = 8 + (i % 5); /* 8..12 at the top level */
            lv->sgx[i] = (uint8_t)(top - 2 * (int)l);
            lv->tdx[i] = (uint8_t)(i < 3 ? top - 2 * (int)l : 0);
        }
        lv->pcesvn = (uint16_t)(13 - 3 * l);
        lv->status = status[l];
        lv->advisories = adv[l];
    }
}

void gen_params_default(struct gen_params *p, bool tdx)
{
    memset(p, 0, sizeof *p);
    p->version = tdx ? 4 : 3;
    p->tee_type = tdx ? 0x81 : 0;
    p->body_type = tdx ? 2 : 1;
    p->ak_type = 2;
    memcpy(p->qe_vendor, intel_vendor, 16);
    p->td_attributes[3] = 0x10; /* SEPT_VE_DISABLE */
    p->sgx_attributes[0] = 0x05;
    memset(p->qe_mrsigner, 0xdc, 32);
    p->qe_prodid = tdx ? 2 : 1;
    p->qe_isvsvn = 8;
    p->qe_attributes[0] = 0x11;
    p->qe_auth_len = 32;
    p->pceid[0] = 0;
    p->pceid[1] = 0;
    memcpy(p->fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
    memcpy(p->tcb_fmspc, p->fmspc, 6);
    p->leaf_not_before = 1577836800;
    p->leaf_not_after = 4102444800;
    p->tcb_cert_not_after = 4102444800;
    p->tcb_id = tdx ? "TDX" : "SGX";
    p->tcb_version = 3;
    p->tcb_pceid = "0000";
    p->tcb_issue = p->qe_issue = T_ISSUE;
    p->tcb_next = p->qe_next = T_NEXT;
    default_levels(p);
    memcpy(p->cpusvn, p->levels[0].sgx, 16);
    p->pcesvn = p->levels[0].pcesvn;
    memcpy(p->tee_tcb_svn, p->levels[0].tdx, 16);
    p->qe_id = tdx ? "TD_QE" : "QE";
    p->qe_version = 2;
    memcpy(p->qe_id_mrsigner, p->qe_mrsigner, 32);
    p->qe_id_prodid = p->qe_prodid;
    p->qe_misc = "00000000";
    p->qe_misc_mask = "FFFFFFFF";
    p->qe_attr = "11000000000000000000000000000000";
    p->qe_attr_mask = "FBFFFFFFFFFFFFFF0000000000000000";
    p->n_qe_levels = 3;
    p->qe_levels[0] = (struct gen_qe_level){8, "UpToDate", ""};
    p->qe_levels[1] =
        (struct gen_qe_level){6, "OutOfDate", "\"INTEL-SA-00003\",\"INTEL-SA-00077\""};
    p->qe_levels[2] = (struct gen_qe_level){2, "Revoked", "\"INTEL-SA-00099\""};
    p->root_crl = (struct gen_crl){.this_update = T_ISSUE, .next_update = T_NEXT};
    p->pck_crl = p->root_crl;
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, (uint16_t)v);
    put16(b + 2, (uint16_t)(v >> 16));
}

static size_t body_len(const struct gen_params *p)
{
    uint16_t t = p->version == 5 ? p->body_type : p->tee_type == 0x81 ? 2 : 1;
    return t == 1 ? 384 : t == 2 ? 584 : 648;
}

/* Header (+ v5 descriptor) and report body; returns the signed length. */
static size_t put_header_body(const struct gen_params *p, uint8_t *q)
{
    size_t off = 48, blen = body_len(p);
    put16(q, p->version);
    put16(q + 2, p->ak_type);
    put32(q + 4, p->tee_type);
    memcpy(q + 12, p->qe_vendor, 16);
    if (p->version == 5) {
        put16(q + 48, p->body_type);
        put32(q + 50, (uint32_t)blen);
        off += 6;
    }
    uint8_t *b = q + off;
    if (blen == 384) {
        memcpy(b, p->cpusvn, 16);
        memcpy(b + 48, p->sgx_attributes, 16);
        memset(b + 64, 0xe1, 32);  /* mr_enclave */
        memset(b + 320, 0xad, 64); /* report data */
    } else {
        memcpy(b, p->tee_tcb_svn, 16);
        memcpy(b + 64, p->mr_signer_seam, 48);
        memcpy(b + 112, p->seam_attributes, 8);
        memcpy(b + 120, p->td_attributes, 8);
        memset(b + 136, 0x7d, 48); /* mr_td */
        memset(b + 520, 0xad, 64); /* report data */
        if (blen == 648) {
            memcpy(b + 600, p->mr_service_td, 48);
        }
    }
    return off + blen;
}

static void put_qe_report(const struct gen_keys *k, const struct gen_params *p, const uint8_t *ak,
                          const uint8_t *auth, uint8_t *r, uint8_t *sig)
{
    uint8_t hash_in[96] = {0};
    memset(r, 0, 384);
    put32(r + 16, p->qe_miscselect);
    memcpy(r + 48, p->qe_attributes, 16);
    memcpy(r + 128, p->qe_mrsigner, 32);
    put16(r + 256, p->qe_prodid);
    put16(r + 258, p->qe_isvsvn);
    /* the binding as @phala/dcap-qvl computes it: key || auth data in a 96-byte buffer */
    memcpy(hash_in, ak, 64);
    memcpy(hash_in + 64, auth, p->qe_auth_len < 32 ? p->qe_auth_len : 32);
    SHA256(hash_in, sizeof hash_in, r + 320);
    gen_sign_raw(k->pck, r, 384, sig);
}

static uint8_t *build_quote(const struct gen_keys *k, const struct gen_params *p, const char *pem,
                            size_t *len)
{
    size_t pem_len = strlen(pem), auth = p->qe_auth_len;
    size_t qe_part = 384 + 64 + 2 + auth + 2 + 4 + pem_len;
    size_t sig_data = 64 + 64 + (p->version == 3 ? qe_part : 2 + 4 + qe_part);
    size_t cap = 54 + 648 + 4 + sig_data + 64; /* + 64 trailing zero bytes, as QGS pads */
    uint8_t *q = calloc(1, cap), ak[65];
    size_t ak_len = sizeof ak;
    EVP_PKEY_get_octet_string_param(k->attest, "encoded-pub-key", ak, sizeof ak, &ak_len);
    size_t signed_len = put_header_body(p, q);
    uint8_t *s = q + signed_len;
    put32(s, (uint32_t)sig_data);
    uint8_t *sig = s + 4, *key = s + 68, *c = s + 132;
    memcpy(key, ak + 1, 64);
    if (p->version != 3) {
        put16(c, 6);
        put32(c + 2, (uint32_t)qe_part);
        c += 6;
    }
    uint8_t *auth_data = c + 384 + 64 + 2;
    for (size_t i = 0; i < auth; i++) {
        auth_data[i] = (uint8_t)i;
    }
    put_qe_report(k, p, key, auth_data, c, c + 384);
    put16(c + 448, (uint16_t)auth);
    uint8_t *inner = auth_data + auth;
    put16(inner, 5);
    put32(inner + 2, (uint32_t)pem_len);
    memcpy(inner + 6, pem, pem_len);
    gen_sign_raw(k->attest, q, signed_len, sig);
    *len = signed_len + 4 + sig_data + 64;
    return q;
}

static uint8_t *dup_crl(const struct gen_keys *k, bool root, const struct gen_crl *c, size_t *len)
{
    uint8_t *der = gen_crl_der(k, root, c, len);
    uint8_t *out = malloc(*len ? *len : 1);
    memcpy(out, der, *len);
    if (c->garbage) {
        free(der);
    } else {
        OPENSSL_free(der);
    }
    return out;
}

int gen_build(const struct gen_keys *k, const struct gen_params *p, struct gen_output *out)
{
    X509 *ca = gen_cert(k, GEN_CERT_PCK_CA, p), *leaf = gen_cert(k, GEN_CERT_PCK, p);
    X509 *tcb = gen_cert(k, GEN_CERT_TCB, p);
    X509 *pck_chain[3] = {leaf, ca, k->root_cert}, *ca_chain[2] = {ca, k->root_cert};
    X509 *tcb_chain[2] = {tcb, k->root_cert};
    struct dstack_collateral c = {0};
    uint8_t tsig[64], qsig[64];
    memset(out, 0, sizeof *out);
    if (ca == NULL || leaf == NULL || tcb == NULL) {
        return -1;
    }
    static const int order[4][3] = {{0, 1, 2}, {1, 0, 2}, {0, 2, -1}, {0, 1, -1}};
    X509 *chosen[3];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        int o = order[p->chain_variant][i];
        if (o >= 0) {
            chosen[n++] = pck_chain[o];
        }
    }
    char *pem = gen_pem(chosen, n);
    out->quote = build_quote(k, p, pem, &out->quote_len);
    c.pck_crl_issuer_chain = gen_pem(ca_chain, 2);
    c.root_ca_crl = dup_crl(k, true, &p->root_crl, &c.root_ca_crl_len);
    c.pck_crl = dup_crl(k, false, &p->pck_crl, &c.pck_crl_len);
    c.tcb_info_issuer_chain = gen_pem(tcb_chain, 2);
    c.qe_identity_issuer_chain = gen_pem(tcb_chain, 2);
    c.tcb_info = gen_tcb_info(p);
    c.qe_identity = gen_qe_identity(p);
    gen_sign_raw(k->tcb, (const uint8_t *)c.tcb_info, strlen(c.tcb_info), tsig);
    gen_sign_raw(k->tcb, (const uint8_t *)c.qe_identity, strlen(c.qe_identity), qsig);
    c.tcb_info_signature = tsig;
    c.tcb_info_signature_len = 64;
    c.qe_identity_signature = qsig;
    c.qe_identity_signature_len = 64;
    int rc = dstack_collateral_to_json(&c, &out->collateral_json) == DSTACK_OK ? 0 : -1;
    free(pem);
    free(c.pck_crl_issuer_chain);
    free(c.root_ca_crl);
    free(c.pck_crl);
    free(c.tcb_info_issuer_chain);
    free(c.qe_identity_issuer_chain);
    free(c.tcb_info);
    free(c.qe_identity);
    X509_free(ca);
    X509_free(leaf);
    X509_free(tcb);
    return rc;
}

void gen_output_free(struct gen_output *o)
{
    free(o->quote);
    free(o->collateral_json);
    memset(o, 0, sizeof *o);
}
