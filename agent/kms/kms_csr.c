/* CertSigningRequestV2 encoding and signature; the layout is in kms_csr.h. */
#include "kms/kms_csr.h"

#include <string.h>

#include <openssl/evp.h>

#include "attest/scale.h"

static void put_string(struct scale_buf *b, const char *s)
{
    scale_put_bytes(b, s, strlen(s));
}

static void put_option_u64(struct scale_buf *b, bool has, uint64_t v)
{
    scale_put_u8(b, has ? 1 : 0);
    if (has) {
        uint8_t le[8];
        for (size_t i = 0; i < sizeof le; i++) {
            le[i] = (uint8_t)(v >> (8 * i));
        }
        scale_put_raw(b, le, sizeof le);
    }
}

dstack_err kms_csr_encode(const struct tls_request *req, const uint8_t *spki, size_t spki_len,
                          const uint8_t *attestation, size_t attestation_len, uint8_t **out,
                          size_t *out_len)
{
    struct scale_buf b = {0};

    put_string(&b, KMS_CSR_CONFIRM);
    scale_put_bytes(&b, spki, spki_len);
    /* CertConfigV2: the agent never sets org_name (rpc_service.rs GetTlsKey/DeriveKey). */
    scale_put_u8(&b, 0);
    put_string(&b, req->subject != NULL ? req->subject : "");
    scale_put_compact(&b, req->n_alt_names);
    for (size_t i = 0; i < req->n_alt_names; i++) {
        put_string(&b, req->alt_names[i] != NULL ? req->alt_names[i] : "");
    }
    scale_put_u8(&b, req->usage_server_auth ? 1 : 0);
    scale_put_u8(&b, req->usage_client_auth ? 1 : 0);
    scale_put_u8(&b, req->usage_ra_tls ? 1 : 0);
    scale_put_u8(&b, req->with_app_info ? 1 : 0);
    put_option_u64(&b, req->has_not_before, req->not_before);
    put_option_u64(&b, req->has_not_after, req->not_after);
    /* VersionedAttestation's Encode writes its bytes as they are (attestation.rs:L704-715). */
    scale_put_raw(&b, attestation, attestation_len);
    return scale_buf_finish(&b, out, out_len);
}

dstack_err kms_csr_sign(const struct p256_key *key, const uint8_t *csr, size_t csr_len,
                        uint8_t sig[KMS_CSR_SIG_MAX], size_t *sig_len)
{
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *md = NULL;
    size_t n = KMS_CSR_SIG_MAX;
    dstack_err e = p256_to_evp(key, &pkey);

    if (e != DSTACK_OK) {
        return e;
    }
    e = DSTACK_ECRYPTO;
    md = EVP_MD_CTX_new();
    if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
        EVP_DigestSign(md, sig, &n, csr, csr_len) == 1) {
        *sig_len = n;
        e = DSTACK_OK;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return e;
}
