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

/* The extension payloads that come from the TEE (tls_attest.c). */
struct tls_evidence {
    uint8_t *attestation; /* stripped V0 VersionedAttestation, or NULL */
    size_t attestation_len;
    uint8_t *app_info; /* msgpack AppInfo, or NULL */
    size_t app_info_len;
};

/* Quotes SHA-512("ratls-cert:" || spki) through the agent's TEE backend and builds the
 * requested payloads. Errors carry upstream's "Failed to get certificate attestation: ..."
 * prefix in err. */
dstack_err tls_cert_evidence(struct agent *a, const uint8_t spki[P256_SPKI_LEN], bool quote,
                             bool app_info, struct tls_evidence *out, char err[X509_ERR_MAX]);
void tls_evidence_free(struct tls_evidence *ev);

/* Issues the chain [leaf PEM, CA PEM verbatim] for key under the keys file's local CA.
 * *leaf_pem and *ca_pem are malloc'd. err holds the RPC error text on failure. */
dstack_err tls_issue(struct agent *a, const struct p256_key *key, const struct tls_request *req,
                     char **leaf_pem, char **ca_pem, char err[X509_ERR_MAX]);

/* Info.app_cert: a fresh demo certificate (random key, CN "demo-cert", client auth, RA-TLS)
 * joined with the CA as upstream joins the chain ("\n" between PEMs that already end in "\n",
 * rpc_service.rs:L108-131). *pem is malloc'd. */
dstack_err tls_demo_cert(struct agent *a, char **pem);

#endif
