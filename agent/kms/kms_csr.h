/* The certificate signing request the agent sends to a KMS: upstream's CertSigningRequestV2,
 * SCALE-encoded, and its signature (dstack/ra-tls/src/cert.rs:L140-161, L196-257, L290-334;
 * docs/kms.md "The CSR").
 *
 *   compact+"please sign cert:" ‖ compact+pubkey (SPKI DER)
 *   ‖ CertConfigV2 { Option<String> org_name (always None) ‖ String subject ‖ Vec<String> SANs
 *                    ‖ bool server_auth ‖ bool client_auth ‖ bool ext_quote ‖ bool ext_app_info
 *                    ‖ Option<u64 LE> not_before ‖ Option<u64 LE> not_after }
 *   ‖ VersionedAttestation bytes (no length prefix: it is the last field and takes the rest)
 *
 * The signature is ECDSA-P256-SHA256, DER, over exactly those bytes, made with the key of the
 * certificate being requested. */
#ifndef DSTACK_AGENT_KMS_CSR_H
#define DSTACK_AGENT_KMS_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "tls.h"
#include "x509/p256.h"

#define KMS_CSR_CONFIRM "please sign cert:" /* cert.rs:L182, checked by the KMS (L253) */
#define KMS_CSR_SIG_MAX 72                  /* DER ECDSA-P256 signature */

/* Encodes the CSR of `req` for the key with SubjectPublicKeyInfo `spki`, carrying the whole
 * attestation bytes (malloc'd into *out). */
dstack_err kms_csr_encode(const struct tls_request *req, const uint8_t *spki, size_t spki_len,
                          const uint8_t *attestation, size_t attestation_len, uint8_t **out,
                          size_t *out_len);

/* Signs the encoded CSR with `key`: DER signature into sig (capacity KMS_CSR_SIG_MAX). */
dstack_err kms_csr_sign(const struct p256_key *key, const uint8_t *csr, size_t csr_len,
                        uint8_t sig[KMS_CSR_SIG_MAX], size_t *sig_len);

#endif
