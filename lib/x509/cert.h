/* Leaf certificates exactly as upstream's ra-tls + rcgen 0.13.2 issue them (upstream
 * dstack/ra-tls/src/cert.rs:L361-423, rcgen
 * src/certificate.rs:L634-836). The TBS is written by hand (OpenSSL's X509 API cannot reproduce
 * rcgen's non-minimal KeyUsage, per-attribute RDNs or serial); only the ECDSA signature comes from
 * OpenSSL. */
#ifndef DSTACK_X509_CERT_H
#define DSTACK_X509_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "x509/p256.h"

/* rcgen's default notBefore, 1975-01-01T00:00:00Z (certificate.rs:L92-118). */
#define X509_DEFAULT_NOT_BEFORE 157766400ull
/* Upstream's default lifetime: now + 365 * 10 days (cert.rs:L404-411). */
#define X509_DEFAULT_LIFETIME (3650ull * 86400ull)

/* The cert-usage value of leaves issued by a local CA (cert-client/src/lib.rs:L33-36). */
#define X509_USAGE_APP_CUSTOM "app:custom"

/* The raw dstack extension payloads (1.3.6.1.4.1.62397.1.x, ra-tls/src/oids.rs:L7-18). */
enum x509_ext_id {
    X509_EXT_APP_ID = 3,
    X509_EXT_CERT_USAGE = 4,
    X509_EXT_ATTESTATION = 8,
    X509_EXT_APP_INFO = 9,
};

/* What the caller asks for; every pointer is borrowed. */
struct x509_leaf_req {
    const char *subject;          /* CN, UTF-8 */
    const char *const *alt_names; /* IP literals become IP SANs, the rest DNS (ASCII) */
    size_t n_alt_names;
    bool server_auth;
    bool client_auth;
    uint64_t not_before; /* unix seconds, <= DER_TIME_MAX */
    uint64_t not_after;
    const uint8_t *app_id; /* APP_ID extension (KMS-issued certificates); NULL = none */
    size_t app_id_len;
    const char *usage;       /* cert-usage extension; NULL = none */
    const uint8_t *app_info; /* msgpack AppInfo; NULL = none */
    size_t app_info_len;
    const uint8_t *attestation; /* stripped versioned attestation; NULL = none */
    size_t attestation_len;
};

/* The issuing CA: its Name as rcgen re-encodes it, its key, and the PEM verbatim. */
struct x509_ca;

/* Loads the CA of the keys file (ca_cert + key_provider key). Fails, with upstream's wording in
 * the error text (util/error.h) where it has one, when either does not parse, the Name has a
 * multi-valued RDN or an unsupported string type (rcgen DistinguishedName::from_name,
 * lib.rs:L352-393), or the key is not the certificate's ("CA certificate does not match private
 * key", cert.rs:L44-66). */
dstack_err x509_ca_load(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                        struct x509_ca **out);
void x509_ca_free(struct x509_ca *ca); /* NULL ok; wipes the key */
/* The CA certificate PEM exactly as loaded (the second element of every chain). */
const char *x509_ca_pem(const struct x509_ca *ca);
/* The issuer Name DER written into leaves. */
const uint8_t *x509_ca_name(const struct x509_ca *ca, size_t *len);

/* Splits validity the way GetTlsKey does: notBefore = given or 1975-01-01, notAfter = given or
 * now + 10 years. DSTACK_EINVAL (message in the error text) when a value is beyond year 9999 or
 * not_before >= not_after with both given. */
dstack_err x509_validity(bool has_nb, uint64_t nb, bool has_na, uint64_t na, uint64_t now,
                         uint64_t *not_before, uint64_t *not_after);

/* True when s is an IP literal in Rust's IpAddr::from_str syntax; writes 4 or 16 bytes. */
bool x509_parse_ip(const char *s, uint8_t out[16], size_t *out_len);

/* The to-be-signed DER of a leaf for public point `point` issued under `issuer` (Name DER).
 * DSTACK_EINVAL with a message for a non-ASCII DNS name (rcgen's "Invalid IA5String: '<s>'"),
 * an out-of-range time, or a certificate beyond the size cap. */
dstack_err x509_leaf_tbs(const struct x509_leaf_req *req, const uint8_t point[P256_POINT_LEN],
                         const uint8_t *issuer, size_t issuer_len, uint8_t **tbs, size_t *tbs_len);

/* Wraps a TBS into a Certificate signed with ECDSA-P256-SHA256 by `key`. */
dstack_err x509_sign_tbs(const uint8_t *tbs, size_t tbs_len, EVP_PKEY *key, uint8_t **der,
                         size_t *der_len);

/* Issues a leaf for `point` under `ca`: PEM "CERTIFICATE" text, malloc'd. */
dstack_err x509_leaf_issue(const struct x509_ca *ca, const struct x509_leaf_req *req,
                           const uint8_t point[P256_POINT_LEN], char **pem);

#endif
