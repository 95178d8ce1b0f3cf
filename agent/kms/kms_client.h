/* Certificates issued by a KMS, for a keys file whose key_provider is Kms (upstream
 * CertRequestClient::Kms, dstack/cert-client/src/lib.rs; docs/kms.md).
 *
 * The client identity is made once, on first use: a fresh P-256 key and an RA-TLS certificate
 * for it ("RA-TLS TEMP Cert", the quote binding the key) signed by the keys file's temporary CA
 * (generate_ra_cert, ra-tls/src/cert.rs:L541-580). After that the temporary CA key is wiped
 * from the loaded keys. Each certificate request then becomes one SignCert call. */
#ifndef DSTACK_AGENT_KMS_CLIENT_H
#define DSTACK_AGENT_KMS_CLIENT_H

#include <dstack/common.h>

#include "kms/kms_http.h"
#include "tls.h"

struct agent;
struct kms_client;

/* Only allocates (no network, no quote). */
dstack_err kms_client_new(struct kms_client **out);
void kms_client_free(struct kms_client *kc); /* NULL ok; wipes the client key */

/* Makes every call in flight and every later one fail at once (agent shutdown). NULL ok. */
void kms_client_cancel(struct kms_client *kc);

/* SignCert for `key` and `req`: builds the CSR with the whole attestation of the key, signs it
 * with the key and sends {api_version 2, csr, signature, vm_config}. The answer must be
 * [leaf, app CA, root] with the leaf for this key, verifying to the keys file's ca_cert; the
 * PEMs are returned verbatim in *out. On failure the error text (util/error.h) is the RPC
 * error (upstream's "Failed to sign the CSR: " prefix, then the KMS URL and the cause). */
dstack_err kms_sign_cert(struct agent *a, const struct p256_key *key, const struct tls_request *req,
                         struct tls_chain *out);

/* Checks a SignCert answer (kms_chain.c): {"certificate_chain": [3 PEM certificates]}, the
 * leaf's key is spki, and the chain verifies to ca_pem. The error text gives the cause. */
dstack_err kms_chain_check(const char *json, size_t len, const uint8_t *spki, size_t spki_len,
                           const char *ca_pem, struct tls_chain *out);

#endif
