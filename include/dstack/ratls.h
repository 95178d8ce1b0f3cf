/* RA-TLS certificates: what a peer checks before trusting a dstack app's TLS certificate.
 *
 * dstack leaf certificates carry the app's attestation in extension 1.3.6.1.4.1.62397.1.8 (a
 * stripped VersionedAttestation whose quote's report data is SHA-512("ratls-cert:" || SPKI DER)
 * of the certificate key), the app info in ...1.9 (msgpack) and the usage in ...1.4
 * (upstream dstack/ra-tls/src/cert.rs). Upstream verifies these only
 * in Go; this is the C equivalent.
 *
 * Ownership: a struct dstack_ratls_cert owns a parsed certificate and its extension bytes; the
 * pointers handed out stay valid until dstack_ratls_cert_free. */
#ifndef DSTACK_RATLS_H
#define DSTACK_RATLS_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSTACK_RATLS_ATTESTATION_OID "1.3.6.1.4.1.62397.1.8"
#define DSTACK_RATLS_APP_INFO_OID "1.3.6.1.4.1.62397.1.9"
#define DSTACK_RATLS_CERT_USAGE_OID "1.3.6.1.4.1.62397.1.4"
#define DSTACK_RATLS_SPKI_MAX 1024

struct dstack_ratls_cert;

/* Parses one certificate, PEM (the first CERTIFICATE block) or DER. DSTACK_EFORMAT when it does
 * not parse or an extension is not a DER OCTET STRING of its payload. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_ratls_cert_parse(const void *data, size_t len,
                                                                struct dstack_ratls_cert **out);
DSTACK_API void dstack_ratls_cert_free(struct dstack_ratls_cert *c); /* NULL ok */

/* The SubjectPublicKeyInfo DER of the certificate. */
DSTACK_API const uint8_t *dstack_ratls_cert_spki(const struct dstack_ratls_cert *c, size_t *len);

/* The raw payload of a dstack extension (inner OCTET STRING content), borrowed.
 * DSTACK_EFORMAT when absent. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_ratls_cert_attestation(
    const struct dstack_ratls_cert *c, const uint8_t **bytes, size_t *len);
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_ratls_cert_app_info(const struct dstack_ratls_cert *c, const uint8_t **bytes, size_t *len);
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_ratls_cert_usage(const struct dstack_ratls_cert *c,
                                                                const uint8_t **bytes, size_t *len);

/* report_data = SHA-512("ratls-cert:" || spki) (attestation.rs QuoteContentType::RaTlsCert). */
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_ratls_report_data(const uint8_t *spki, size_t spki_len, uint8_t out[DSTACK_REPORT_DATA_LEN]);

/* Checks that the attestation extension binds this certificate's key: it decodes (V0), its
 * report_data and its quote's REPORTDATA both equal dstack_ratls_report_data(SPKI). When
 * quote_root_pem is not NULL the quote is also verified under that root (dstack_quote_verify).
 * DSTACK_EVERIFY when it does not, with the reason in dstack_last_error(). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_ratls_check_binding(
    const struct dstack_ratls_cert *c, const char *quote_root_pem, size_t root_len);

/* Verifies a PEM chain (leaf first, as GetTlsKey returns it concatenated) up to the trusted
 * CA PEM with OpenSSL, then checks the leaf's RA-TLS binding as dstack_ratls_check_binding.
 * On success *leaf_out (may be NULL) receives the parsed leaf for reading the app info. On
 * failure dstack_last_error() says which step failed: "certificate chain: <OpenSSL reason>",
 * "quote verification failed: <reason>", .... */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_ratls_verify_chain(
    const char *chain_pem, size_t chain_len, const char *ca_pem, size_t ca_len,
    const char *quote_root_pem, size_t root_len, struct dstack_ratls_cert **leaf_out);

#ifdef __cplusplus
}
#endif
#endif
