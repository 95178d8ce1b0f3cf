/* dstack-test-kms: a small KMS for the test suite, a real TLS server that answers SignCert and
 * GetMeta the way upstream's KMS does (dstack/kms/src/main_service.rs sign_cert, get_meta):
 * client certificate required, CSR decoded and its signature checked, the attestation verified
 * under the simulator's quote root and bound to the CSR key, the app id checked, an app CA
 * derived from the root key and the leaf signed, answering [leaf, app CA, root].
 * See docs/kms.md "The test KMS". */
#ifndef DSTACK_TEST_KMS_PEER_H
#define DSTACK_TEST_KMS_PEER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <dstack/common.h>

#include "x509/p256.h"

#define PEER_MAX_APPS 8

/* Misbehaviours the tests ask for (--answer). */
enum peer_answer {
    ANSWER_NORMAL,
    ANSWER_GARBAGE,     /* 200 with a body that is not JSON */
    ANSWER_TRUNCATED,   /* 200, Content-Length of the whole answer, half of it sent */
    ANSWER_WRONG_SHAPE, /* certificate_chain [leaf, root] */
    ANSWER_WRONG_KEY,   /* a leaf for another key */
    ANSWER_TAMPER_SIG,  /* a bit of the CSR signature flipped before it is checked */
};

struct peer {
    /* configuration */
    char dir[512];
    char *quote_root_pem; /* the simulator's quote root */
    uint8_t apps[PEER_MAX_APPS][DSTACK_APP_ID_LEN];
    size_t n_apps;
    enum peer_answer answer;
    unsigned delay_ms;
    atomic_uint refuse_first; /* SignCert calls still to refuse with 503 (--refuse-first) */
    bool expired_server_cert;

    /* key material, fresh each run */
    struct p256_key root_key;
    X509 *root_cert;
    char *root_pem;
    struct p256_key tmp_key;
    X509 *tmp_cert;
    uint8_t k256_root[32];
    SSL_CTX *ssl;
};

/* kms_peer_pki.c */
X509 *pki_make_cert(const char *org, const char *cn, const struct p256_key *key, X509 *issuer,
                    const struct p256_key *issuer_key, int ca_pathlen, bool expired,
                    const uint8_t *app_id, const char *usage);
char *pki_pem(X509 *x);               /* malloc'd */
dstack_err pki_setup(struct peer *p); /* errors: util/error.h's text */
/* The app CA of upstream's derive_app_ca: key = HKDF(root key, app_id || "app-ca"). */
dstack_err pki_app_ca(const struct peer *p, const uint8_t app_id[DSTACK_APP_ID_LEN],
                      struct p256_key *key, char **pem);
dstack_err pki_write_keys_file(const struct peer *p, const char *path, const char *url,
                               bool wrong_ca);

/* kms_peer_csr.c: CertSigningRequestV2, decoded and checked. */
#define CSR_MAX_ALT_NAMES 256
#define CSR_TEXT_MAX 4096
struct csr {
    char confirm[64];
    const uint8_t *pubkey;
    size_t pubkey_len;
    bool has_org;
    char subject[CSR_TEXT_MAX];
    char *alt[CSR_MAX_ALT_NAMES];
    size_t n_alt;
    bool server, client, ext_quote, ext_app_info;
    bool has_nb, has_na;
    uint64_t nb, na;
    const uint8_t *attestation; /* the rest of the bytes */
    size_t attestation_len;
};
struct versioned_attestation;
struct dstack_event_log;
dstack_err csr_decode(const uint8_t *b, size_t len, struct csr *c);
void csr_free(struct csr *c);
/* Each check sets the error text to upstream's reason when it fails (util/error.h). */
/* The CSR's signature ("Invalid signature", "Invalid confirm word"). */
dstack_err csr_verify(const struct csr *c, const uint8_t *csr, size_t csr_len, const uint8_t *sig,
                      size_t sig_len);
/* The attestation verifies and binds the CSR key; *v and *log are filled. */
dstack_err attestation_verify(const struct peer *p, const struct csr *c,
                              struct versioned_attestation *v, struct dstack_event_log *log);
/* The app-id event names an allowed app; app_id gets it. */
dstack_err app_allowed(const struct peer *p, const struct dstack_event_log *log,
                       uint8_t app_id[DSTACK_APP_ID_LEN]);

/* kms_peer_sign.c: the two methods. status and a malloc'd JSON body out. */
void sign_cert_handle(const struct peer *p, const char *body, size_t len, int *status,
                      char **answer);
void get_meta_handle(const struct peer *p, int *status, char **answer);
char *json_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* kms_peer_http.c: serves forever on the listening socket. */
void http_serve(struct peer *p, int listen_fd);

#endif
