/* The SGX extension of a PCK certificate (Intel SGX PCK Certificate and CRL Profile, OID
 * 1.2.840.113741.1.13.1): a SEQUENCE of { OID, value } pairs giving the PPID, the TCB (CPUSVN
 * and PCESVN), the PCE ID and the FMSPC. A small DER walker reads it; every length is checked
 * against its container. */
#include "dcap.h"

#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

/* DER bodies of the OIDs under 1.2.840.113741.1.13.1 (06 len 2a 86 48 86 f8 4d 01 0d 01 ...). */
static const uint8_t oid_sgx[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
#define OID_SGX_LEN sizeof oid_sgx
enum { SGX_PPID = 1, SGX_TCB = 2, SGX_PCEID = 3, SGX_FMSPC = 4 };
enum { TCB_PCESVN = 17, TCB_CPUSVN = 18 };

struct tlv {
    uint8_t tag;
    const uint8_t *v;
    size_t len;
};

/* Reads one TLV at *p (< end); definite lengths up to 4 bytes. */
static bool tlv_next(const uint8_t **p, const uint8_t *end, struct tlv *t)
{
    if (end - *p < 2) {
        return false;
    }
    const uint8_t *q = *p;
    t->tag = *q++;
    size_t len = *q++;
    if (len & 0x80) {
        size_t nb = len & 0x7f;
        if (nb == 0 || nb > 4 || (size_t)(end - q) < nb) {
            return false;
        }
        len = 0;
        for (size_t i = 0; i < nb; i++) {
            len = (len << 8) | *q++;
        }
    }
    if (len > (size_t)(end - q)) {
        return false;
    }
    t->v = q;
    t->len = len;
    *p = q + len;
    return true;
}

/* The value of the pair whose OID is oid_sgx[.sub][.sub2] inside a SEQUENCE OF pairs. */
static bool find_pair(const uint8_t *seq, size_t seq_len, const uint8_t *prefix, size_t plen,
                      uint8_t sub, struct tlv *val)
{
    const uint8_t *p = seq, *end = seq + seq_len;
    while (p < end) {
        struct tlv pair, oid;
        if (!tlv_next(&p, end, &pair) || pair.tag != 0x30) {
            return false;
        }
        const uint8_t *ip = pair.v, *iend = pair.v + pair.len;
        if (!tlv_next(&ip, iend, &oid) || oid.tag != 0x06 || !tlv_next(&ip, iend, val)) {
            return false;
        }
        if (oid.len == plen + 1 && memcmp(oid.v, prefix, plen) == 0 && oid.v[plen] == sub) {
            return true;
        }
    }
    return false;
}

static bool octets(const struct tlv *t, uint8_t *out, size_t len)
{
    if (t->tag != 0x04 || t->len != len) {
        return false;
    }
    memcpy(out, t->v, len);
    return true;
}

static bool parse_tcb(const struct tlv *tcb, struct pck_ext *out)
{
    uint8_t prefix[OID_SGX_LEN + 1];
    struct tlv v;
    memcpy(prefix, oid_sgx, OID_SGX_LEN);
    prefix[OID_SGX_LEN] = SGX_TCB;
    if (tcb->tag != 0x30 || !find_pair(tcb->v, tcb->len, prefix, sizeof prefix, TCB_CPUSVN, &v) ||
        !octets(&v, out->cpu_svn, sizeof out->cpu_svn) ||
        !find_pair(tcb->v, tcb->len, prefix, sizeof prefix, TCB_PCESVN, &v) || v.tag != 0x02 ||
        v.len < 1 || v.len > 2) {
        return false;
    }
    out->pce_svn = (uint16_t)(v.len == 1 ? v.v[0] : (v.v[0] << 8) | v.v[1]);
    return true;
}

static const ASN1_OCTET_STRING *sgx_extension(X509 *leaf)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = obj ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
    int again = idx >= 0 ? X509_get_ext_by_OBJ(leaf, obj, idx) : -1;
    ASN1_OBJECT_free(obj);
    if (idx < 0 || again >= 0) {
        err_set(DSTACK_EVERIFY, "%s",
                idx < 0 ? "Intel extension not found" : "Intel extension ambiguity");
        return NULL;
    }
    return X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
}

dstack_err pck_ext_parse(X509 *leaf, struct pck_ext *out)
{
    const ASN1_OCTET_STRING *ext = sgx_extension(leaf);
    struct tlv outer, v;
    memset(out, 0, sizeof *out);
    if (ext == NULL) {
        return DSTACK_EVERIFY;
    }
    const uint8_t *p = ASN1_STRING_get0_data(ext);
    const uint8_t *end = p + ASN1_STRING_length(ext);
    if (!tlv_next(&p, end, &outer) || outer.tag != 0x30 ||
        !find_pair(outer.v, outer.len, oid_sgx, OID_SGX_LEN, SGX_FMSPC, &v) ||
        !octets(&v, out->fmspc, sizeof out->fmspc) ||
        !find_pair(outer.v, outer.len, oid_sgx, OID_SGX_LEN, SGX_TCB, &v) || !parse_tcb(&v, out) ||
        !find_pair(outer.v, outer.len, oid_sgx, OID_SGX_LEN, SGX_PCEID, &v) ||
        !octets(&v, out->pce_id, sizeof out->pce_id)) {
        return err_set(DSTACK_EVERIFY, "malformed Intel SGX extension in the PCK certificate");
    }
    if (find_pair(outer.v, outer.len, oid_sgx, OID_SGX_LEN, SGX_PPID, &v) && v.tag == 0x04 &&
        v.len <= sizeof out->ppid) {
        memcpy(out->ppid, v.v, v.len);
        out->ppid_len = v.len;
    }
    return DSTACK_OK;
}
