/* TLS certificates issued by the agent: GetTlsKey, Tappd.DeriveKey and Info's demo certificate
 * (docs/api/GetTlsKey.md, docs/api/Info.md, docs/api/GetTlsKey.md, docs/api/DeriveKey.md). */
#ifndef DSTACK_AGENT_TLS_H
#define DSTACK_AGENT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "x509/cert.h"
#include "x509/p256.h"

struct agent;

/* A certificate chain as issued, leaf first: [leaf, CA] from a local CA, [leaf, app CA, root]
 * from a KMS. Each PEM is malloc'd and kept verbatim. */
#define TLS_CHAIN_MAX 3
struct tls_chain {
    char *pem[TLS_CHAIN_MAX];
    size_t n;
};
void tls_chain_free(struct tls_chain *c); /* frees the PEMs; the struct is left empty */

/* What one certificate request asks for (upstream CertConfigV2, cert.rs:L140-161). */
struct tls_request {
    const char *subject;
    const char *const *alt_names;
    size_t n_alt_names;
    bool usage_ra_tls; /* ext_quote */
    bool usage_server_auth;
    bool usage_client_auth;
    bool with_app_info; /* ext_app_info */
    bool has_not_before;
    uint64_t not_before;
    bool has_not_after;
    uint64_t not_after;
};

/* What tls_cert_evidence builds (flags). */
#define TLS_EVIDENCE_QUOTE 1u    /* the stripped attestation of the RA-TLS extension */
#define TLS_EVIDENCE_APP_INFO 2u /* the msgpack AppInfo */
#define TLS_EVIDENCE_FULL 4u     /* the whole V0 attestation a KMS CSR carries */

/* The extension payloads that come from the TEE (tls_attest.c). */
struct tls_evidence {
    uint8_t *full; /* whole V0 VersionedAttestation (CSR), or NULL */
    size_t full_len;
    uint8_t *attestation; /* stripped V0 VersionedAttestation, or NULL */
    size_t attestation_len;
    uint8_t *app_info; /* msgpack AppInfo, or NULL */
    size_t app_info_len;
};

/* Quotes SHA-512("ratls-cert:" || spki) through the agent's TEE backend and builds the
 * payloads asked for in `want` (TLS_EVIDENCE_*; none = no quote). Error texts (util/error.h)
 * carry upstream's "Failed to get certificate attestation: ..." prefix. */
dstack_err tls_cert_evidence(struct agent *a, const uint8_t spki[P256_SPKI_LEN], unsigned want,
                             struct tls_evidence *out);
void tls_evidence_free(struct tls_evidence *ev);

/* Issues the chain for key: under the keys file's local CA ([leaf, CA verbatim]) for the None,
 * Local and Tpm providers, through the KMS (kms/kms_client.h) for Kms. On failure the error
 * text (util/error.h) is the RPC error upstream answers. */
dstack_err tls_issue(struct agent *a, const struct p256_key *key, const struct tls_request *req,
                     struct tls_chain *out);

/* Info.app_cert: a fresh demo certificate (random key, CN "demo-cert", client auth, RA-TLS)
 * joined as upstream joins the chain ("\n" between PEMs that already end in "\n",
 * rpc_service.rs:L108-131). *pem is malloc'd; on failure the error text says why. */
dstack_err tls_demo_cert(struct agent *a, char **pem);

#endif
