/* Parsed certificates and CRLs kept by the SHA-256 of their DER. Under OpenSSL 3.0 parsing a
 * certificate (its public key goes through the provider decoders) costs more than verifying an
 * ECDSA signature, and the same Intel CA certificates, TCB signing certificate and CRLs come
 * with every quote. Only the parse is kept: every signature, validity window and revocation is
 * checked again on every call. A slot holds one reference; callers get their own. */
#include "dcap.h"

#include <pthread.h>
#include <string.h>

#include <openssl/sha.h>

#define CACHE_SLOTS 32

struct slot {
    uint8_t key[SHA256_DIGEST_LENGTH];
    bool used;
    X509 *cert;
    X509_CRL *crl;
};

static struct slot slots[CACHE_SLOTS];
static size_t next_victim;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* key = SHA-256(DER) with its kind's first byte flipped for CRLs: a certificate and a CRL
 * never share a slot. */
static void cache_key(char kind, const uint8_t *der, size_t len, uint8_t key[SHA256_DIGEST_LENGTH])
{
    SHA256(der, len, key);
    if (kind == 'r') {
        key[0] ^= 0xff;
        key[1] ^= 0x5a;
    }
}

static struct slot *find(const uint8_t key[SHA256_DIGEST_LENGTH])
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (slots[i].used && memcmp(slots[i].key, key, SHA256_DIGEST_LENGTH) == 0) {
            return &slots[i];
        }
    }
    return NULL;
}

static void put(const uint8_t key[SHA256_DIGEST_LENGTH], X509 *cert, X509_CRL *crl)
{
    struct slot *s = &slots[next_victim];
    next_victim = (next_victim + 1) % CACHE_SLOTS;
    X509_free(s->cert);
    X509_CRL_free(s->crl);
    memcpy(s->key, key, SHA256_DIGEST_LENGTH);
    s->used = true;
    s->cert = cert;
    s->crl = crl;
    if (cert != NULL) {
        X509_up_ref(cert);
    }
    if (crl != NULL) {
        X509_CRL_up_ref(crl);
    }
}

X509 *der_cache_x509(const uint8_t *der, size_t len)
{
    uint8_t key[SHA256_DIGEST_LENGTH];
    X509 *x = NULL;
    if (der == NULL || len == 0 || len > LONG_MAX) {
        return NULL;
    }
    cache_key('c', der, len, key);
    pthread_mutex_lock(&lock);
    struct slot *s = find(key);
    if (s != NULL && s->cert != NULL && X509_up_ref(s->cert) == 1) {
        x = s->cert;
    }
    pthread_mutex_unlock(&lock);
    if (x != NULL) {
        return x;
    }
    const unsigned char *p = der;
    x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) { /* trailing bytes: not exactly one certificate */
        X509_free(x);
        return NULL;
    }
    if (x != NULL) {
        pthread_mutex_lock(&lock);
        put(key, x, NULL);
        pthread_mutex_unlock(&lock);
    }
    return x;
}

X509_CRL *der_cache_crl(const uint8_t *der, size_t len)
{
    uint8_t key[SHA256_DIGEST_LENGTH];
    X509_CRL *crl = NULL;
    if (der == NULL || len == 0 || len > LONG_MAX) {
        return NULL;
    }
    cache_key('r', der, len, key);
    pthread_mutex_lock(&lock);
    struct slot *s = find(key);
    if (s != NULL && s->crl != NULL && X509_CRL_up_ref(s->crl) == 1) {
        crl = s->crl;
    }
    pthread_mutex_unlock(&lock);
    if (crl != NULL) {
        return crl;
    }
    const unsigned char *p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl != NULL && p != der + len) { /* trailing bytes: not the CRL Intel signed */
        X509_CRL_free(crl);
        return NULL;
    }
    if (crl != NULL) {
        pthread_mutex_lock(&lock);
        put(key, NULL, crl);
        pthread_mutex_unlock(&lock);
    }
    return crl;
}
