/* Leaf TBS and signing, rcgen 0.13.2 byte-exact (upstream dstack/ra-tls/src/cert.rs). */
#include "x509/cert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/hash.h"
#include "util/error.h"
#include "x509/der.h"
#include "x509/pem.h"

/* ecdsa-with-SHA256 AlgorithmIdentifier, no NULL parameters (RFC 5758 §3.2). */
static const uint8_t alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};
static const uint8_t oid_key_usage[] = {0x55, 0x1d, 0x0f};
static const uint8_t oid_eku[] = {0x55, 0x1d, 0x25};
static const uint8_t oid_server_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
static const uint8_t oid_client_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
/* 1.3.6.1.4.1.62397.1.<n> without its last byte (62397 = 83 e7 3d in base 128). */
static const uint8_t oid_phala_prefix[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xe7, 0x3d, 0x01};

/* SAN GeneralName tags (RFC 5280 §4.2.1.6). */
#define SAN_DNS 0x82
#define SAN_IP 0x87

/* Bounds the whole certificate; GetTlsKey bodies are capped by the server long before. */
#define X509_CERT_MAX (16u * 1024u * 1024u)

dstack_err x509_validity(bool has_nb, uint64_t nb, bool has_na, uint64_t na, uint64_t now,
                         uint64_t *not_before, uint64_t *not_after)
{
    /* Upstream checks the order first (rpc_service.rs:L274-281), then converts; seconds past
     * 9999-12-31 make its SystemTime -> OffsetDateTime conversion panic, so refuse them. */
    if (has_nb && has_na && nb >= na) {
        return err_set(DSTACK_EINVAL, "not_before must be earlier than not_after");
    }
    if (has_nb && nb > DER_TIME_MAX) {
        return err_set(DSTACK_EINVAL, "not_before is out of range (after 9999-12-31T23:59:59Z)");
    }
    if (has_na && na > DER_TIME_MAX) {
        return err_set(DSTACK_EINVAL, "not_after is out of range (after 9999-12-31T23:59:59Z)");
    }
    *not_before = has_nb ? nb : X509_DEFAULT_NOT_BEFORE;
    *not_after = has_na ? na : now + X509_DEFAULT_LIFETIME;
    return DSTACK_OK;
}

bool x509_parse_ip(const char *s, uint8_t out[16], size_t *out_len)
{
    /* glibc inet_pton follows the same strict grammar as Rust's IpAddr::from_str: four decimal
     * octets without leading zeros, or RFC 4291 text (optionally ending in dotted quad). */
    if (inet_pton(AF_INET, s, out) == 1) {
        *out_len = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *out_len = 16;
        return true;
    }
    return false;
}

static bool is_ascii(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80) {
            return false;
        }
    }
    return true;
}

/* Extension ::= SEQ { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. The
 * value is opened here and closed by ext_end (rcgen lib.rs:L608-633). */
static void ext_begin(struct der_writer *w, const uint8_t *oid, size_t oid_len, bool critical)
{
    der_begin(w, DER_SEQUENCE);
    der_tlv(w, DER_OID, oid, oid_len);
    if (critical) {
        der_bool(w, true);
    }
    der_begin(w, DER_OCTET_STRING);
}

static void ext_end(struct der_writer *w)
{
    der_end(w);
    der_end(w);
}

/* dstack custom extension: the value is itself a DER OCTET STRING of the payload, so the bytes
 * are double-wrapped (cert.rs:L416-423 add_ext with yasna write_bytes). */
static void ext_custom(struct der_writer *w, enum x509_ext_id id, const void *payload, size_t len)
{
    uint8_t oid[sizeof oid_phala_prefix + 1];
    memcpy(oid, oid_phala_prefix, sizeof oid_phala_prefix);
    oid[sizeof oid_phala_prefix] = (uint8_t)id;
    ext_begin(w, oid, sizeof oid, false);
    der_tlv(w, DER_OCTET_STRING, payload, len);
    ext_end(w);
}

static void write_subject(struct der_writer *w, const char *cn)
{
    /* One RDN per attribute, UTF8String even when empty (rcgen lib.rs:L571-605). */
    der_begin(w, DER_SEQUENCE);
    der_begin(w, DER_SET);
    der_begin(w, DER_SEQUENCE);
    der_tlv(w, DER_OID, oid_cn, sizeof oid_cn);
    der_tlv(w, DER_UTF8_STRING, cn, strlen(cn));
    der_end(w);
    der_end(w);
    der_end(w);
}

static dstack_err write_san(struct der_writer *w, const struct x509_leaf_req *req)
{
    ext_begin(w, oid_san, sizeof oid_san, false);
    der_begin(w, DER_SEQUENCE);
    for (size_t i = 0; i < req->n_alt_names; i++) {
        const char *name = req->alt_names[i];
        uint8_t ip[16];
        size_t ip_len = 0;
        if (name == NULL) {
            return err_set(DSTACK_EINVAL, "invalid alt name");
        }
        if (x509_parse_ip(name, ip, &ip_len)) {
            der_tlv(w, SAN_IP, ip, ip_len);
        } else if (is_ascii(name)) {
            der_tlv(w, SAN_DNS, name, strlen(name));
        } else {
            /* rcgen Ia5String::try_from -> Error::InvalidAsn1String (error.rs:L122-130). */
            return err_set(DSTACK_EINVAL, "Invalid IA5String: '%.224s'", name);
        }
    }
    der_end(w);
    ext_end(w);
    return DSTACK_OK;
}

static void write_extensions(struct der_writer *w, const struct x509_leaf_req *req)
{
    /* KeyUsage {digitalSignature}: rcgen writes 9 declared bits, so the BIT STRING is
     * 03 03 07 80 00 instead of DER-minimal 03 02 07 80 (certificate.rs:L458-474). */
    static const uint8_t ku_bits[] = {0x80, 0x00};
    ext_begin(w, oid_key_usage, sizeof oid_key_usage, true);
    der_bit_string(w, 7, ku_bits, sizeof ku_bits);
    ext_end(w);

    if (req->server_auth || req->client_auth) {
        ext_begin(w, oid_eku, sizeof oid_eku, false);
        der_begin(w, DER_SEQUENCE);
        if (req->server_auth) {
            der_tlv(w, DER_OID, oid_server_auth, sizeof oid_server_auth);
        }
        if (req->client_auth) {
            der_tlv(w, DER_OID, oid_client_auth, sizeof oid_client_auth);
        }
        der_end(w);
        ext_end(w);
    }
    /* Custom extensions in upstream's push order (cert.rs:L381-395). */
    if (req->app_id != NULL) {
        ext_custom(w, X509_EXT_APP_ID, req->app_id, req->app_id_len);
    }
    if (req->app_info != NULL) {
        ext_custom(w, X509_EXT_APP_INFO, req->app_info, req->app_info_len);
    }
    if (req->usage != NULL) {
        ext_custom(w, X509_EXT_CERT_USAGE, req->usage, strlen(req->usage));
    }
    if (req->attestation != NULL) {
        ext_custom(w, X509_EXT_ATTESTATION, req->attestation, req->attestation_len);
    }
}

dstack_err x509_leaf_tbs(const struct x509_leaf_req *req, const uint8_t point[P256_POINT_LEN],
                         const uint8_t *issuer, size_t issuer_len, uint8_t **tbs, size_t *tbs_len)
{
    struct der_writer w;
    uint8_t digest[DSTACK_SHA256_LEN];
    dstack_err e;

    *tbs = NULL;
    *tbs_len = 0;
    if (req->subject == NULL || (req->n_alt_names > 0 && req->alt_names == NULL)) {
        return err_set(DSTACK_EINVAL, "invalid certificate request");
    }
    if (req->not_before > DER_TIME_MAX || req->not_after > DER_TIME_MAX) {
        return err_set(DSTACK_EINVAL, "certificate validity is out of range");
    }
    /* Serial: SHA-256 of the raw 65-byte point, first 20 bytes, top bit cleared
     * (rcgen certificate.rs:L646-662), written as a minimal INTEGER. */
    e = hash_sha256(point, P256_POINT_LEN, digest);
    if (e != DSTACK_OK) {
        return err_set(e, "SHA-256 failed");
    }
    digest[0] &= 0x7f;

    der_init(&w, X509_CERT_MAX);
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_CONTEXT | DER_CONSTRUCTED | 0); /* [0] EXPLICIT version */
    der_uint(&w, 2);
    der_end(&w);
    der_uint_bytes(&w, digest, 20);
    der_raw(&w, alg_ecdsa_sha256, sizeof alg_ecdsa_sha256);
    der_raw(&w, issuer, issuer_len);
    der_begin(&w, DER_SEQUENCE);
    der_time(&w, req->not_before);
    der_time(&w, req->not_after);
    der_end(&w);
    write_subject(&w, req->subject);
    uint8_t spki[P256_SPKI_LEN];
    p256_spki(point, spki);
    der_raw(&w, spki, sizeof spki);

    /* [3] EXPLICIT Extensions, present only when one exists (certificate.rs:L680-689); the
     * KeyUsage is always there for leaves, so always written. */
    der_begin(&w, DER_CONTEXT | DER_CONSTRUCTED | 3);
    der_begin(&w, DER_SEQUENCE);
    if (req->n_alt_names > 0) {
        e = write_san(&w, req);
        if (e != DSTACK_OK) {
            der_free(&w);
            return e;
        }
    }
    write_extensions(&w, req);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    e = der_finish(&w, tbs, tbs_len);
    if (e != DSTACK_OK) {
        return err_set(e, e == DSTACK_ENOMEM ? "out of memory" : "certificate too large");
    }
    return DSTACK_OK;
}

dstack_err x509_sign_tbs(const uint8_t *tbs, size_t tbs_len, EVP_PKEY *key, uint8_t **der,
                         size_t *der_len)
{
    dstack_err err = DSTACK_ECRYPTO;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t sig[80]; /* DER ECDSA-Sig-Value for P-256: at most 72 bytes */
    size_t sig_len = sizeof sig;
    struct der_writer w;

    *der = NULL;
    *der_len = 0;
    der_init(&w, X509_CERT_MAX);
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, tbs, tbs_len) != 1) {
        goto out;
    }
    der_begin(&w, DER_SEQUENCE);
    der_raw(&w, tbs, tbs_len);
    der_raw(&w, alg_ecdsa_sha256, sizeof alg_ecdsa_sha256);
    der_bit_string(&w, 0, sig, sig_len);
    der_end(&w);
    err = der_finish(&w, der, der_len);
out:
    der_free(&w);
    EVP_MD_CTX_free(md);
    return err;
}
