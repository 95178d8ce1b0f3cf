/* libdstack against the real dstack-simulator: every client method over the Unix socket and over
 * TCP, the byte-exact vectors of tests/vectors/keys.md on upstream's simulator files,
 * error paths (agent down, HTTP 400, timeout), and the dstack command over the same simulator. */
#include <arpa/inet.h>
#include "json/json.h"
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dstack/attest.h>
#include <dstack/client.h>
#include <dstack/helpers.h>
#include <dstack/crypto.h>
#include <dstack/quote.h>
#include <dstack/ratls.h>

#include "attest/versioned.h"
#include "check.h"
#include "harness.h"
#include "util/hex.h"
#include "util/error.h"

static struct sim sim; /* our simulator on its own generated files, plus a TCP listener */
static char tcp_url[64];

static struct dstack_client *client_for(const char *endpoint, unsigned timeout_ms)
{
    struct dstack_client_options o = {.timeout_ms = timeout_ms};
    struct dstack_client *c = NULL;
    dstack_err err = dstack_client_new(endpoint, &o, &c);
    if (err != DSTACK_OK) {
        fprintf(stderr, "client for %s: %s\n", endpoint, dstack_last_error());
    }
    CHECK(err == DSTACK_OK);
    return c;
}

static void log_count(enum dstack_log_level level, const char *msg, void *user)
{
    (void)msg;
    if (level == DSTACK_LOG_WARN) {
        (*(int *)user)++;
    }
}

/* ---- Vectors on upstream's simulator files (tests/vectors/keys.md) ---------------- */

#define UPSTREAM_APP_ID "5bb4ff9a3837357f19dc176407a5709c62eb6c56"
#define UPSTREAM_APP_PUB "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c"
#define UPSTREAM_KMS_PUB "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6"
/* UPSTREAM_APP_ID is the app the KMS issued the fixture's keys for (its "app-id" event, spec
 * tests/vectors/keys.md); Info's app_id is derived from the fixture's compose and differs. */
static char upstream_info_app_id[41];

static const struct {
    const char *path, *purpose, *alg, *key, *pub, *sig0;
} key_vectors[] = {
    {"", "", "secp256k1", "aa221ae548b5a8f52fcb8687cfd873712f6a1232b2717e5ee3d58ab74f21905b",
     "027458ba47c31272b5076edebdc1ecdaedef806b10d76dd0a209cbd1fa14a3f9cf",
     "64ce2f1b381d04f7404fda78bdc942c314d89b7069d97eea1897e51b249dd3b1700995cbf7efe7ff04195dd6e31f1"
     "53b702eeeeaffc5941510739dc39b9bd9cf01"},
    {"/test/path", "test-purpose", "secp256k1",
     "b9fbb7171185c421c58610a2acba8ceae93623ae47815618cbad1e98fc042cb7",
     "02c1082e78670feed1c847db81dbd71be37e4d53200a746c0a89f0afa8173cf566",
     "f50c51735a97072f0c98125ed61fc84e2fdb36e95990b9e57337dadc0e2a9712227f04e07209faecb8891d59ec1"
     "44a6c13e411dc90b3423f28071bd3fe11978d01"},
    {"vms", "signing", "secp256k1",
     "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2",
     "036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54",
     "51ec279eb0da3fb45335c2fd6badaf701905bf35f229912976c4ae3c9d649cf97f964473f2dce7118743bad84a6"
     "df707d11c9b5f0b38379204e14fd2c7baddba01"},
    {"vms", "signing", "ed25519",
     "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2",
     "698f56bd587d8ce3ca8db0e1c361ba9d190089f98dc4d9df800ff92ed073a65d",
     "d61ff204728dae76ba4e29313003433d533d069f9c98ebb3382104145f1c664c59fac4326a86420ec3f450303d3"
     "a675d595f546448076a464343bcc25143c4a300"},
    {"test", "signing", "ed25519",
     "133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8",
     "1cbb894af8792a8f6e1e9d58ae2a37364fd8e8378ce9d2300fab933b58aaa6cb",
     "d85afcef55a4be6b46dc03f2644537c6bbf29c1184472aa812012846c8352eaa414ea1d1bc7c4958257bbc19cbb"
     "4b1c7b4b1230f6356ccca5ccfd23375240d7801"},
    {"my/path", "eth", "secp256k1",
     "d30f18bd6ff895e190f41f86009d502748f1da5a8b8ee504d784bd313b08570e",
     "031516c03b742062ae5ae2a2a7afd7be347dd6a9265069f456a09a8ec8e9185fd3",
     "19fb4a86cb7f329e165a5446f98fdfe600e5b19368a17844d784172dbe76ec756055cf7a9389feceeef82337bfe"
     "062250d075f5dd03a3713ae84fca50a2e7bfe00"},
};

static void test_upstream_get_key(struct dstack_client *c)
{
    uint8_t app_id[DSTACK_APP_ID_LEN];
    size_t n = 0;
    CHECK(hex_decode(UPSTREAM_APP_ID, 40, app_id, sizeof app_id, &n) == DSTACK_OK);
    for (size_t i = 0; i < sizeof key_vectors / sizeof key_vectors[0]; i++) {
        struct dstack_get_key_response *k = NULL;
        dstack_err err =
            dstack_get_key(c, key_vectors[i].path, key_vectors[i].purpose, key_vectors[i].alg, &k);
        if (err != DSTACK_OK) {
            fprintf(stderr, "get_key %s: %s\n", key_vectors[i].path, dstack_last_error());
        }
        CHECK(err == DSTACK_OK);
        if (k == NULL) {
            continue;
        }
        CHECK(k->key_len == DSTACK_KEY_LEN);
        CHECK_HEX(k->key, DSTACK_KEY_LEN, key_vectors[i].key);
        CHECK(k->signature_chain_len == 2);
        if (k->signature_chain_len == 2) {
            CHECK_HEX(k->signature_chain[0].data, k->signature_chain[0].len, key_vectors[i].sig0);
            uint8_t pub[DSTACK_K256_PUBKEY_LEN], app_pub[DSTACK_K256_PUBKEY_LEN],
                kms_pub[DSTACK_K256_PUBKEY_LEN];
            size_t pub_len = 0;
            CHECK(dstack_key_public(k->key, key_vectors[i].alg, pub, &pub_len) == DSTACK_OK);
            CHECK_HEX(pub, pub_len, key_vectors[i].pub);
            /* The chain recovers the app root and the KMS root of the Go SDK's test. */
            CHECK(
                dstack_get_key_chain_recover(k->key, key_vectors[i].purpose, key_vectors[i].alg,
                                             k->signature_chain[0].data, k->signature_chain[0].len,
                                             k->signature_chain[1].data, k->signature_chain[1].len,
                                             app_id, sizeof app_id, app_pub, kms_pub) == DSTACK_OK);
            CHECK_HEX(app_pub, sizeof app_pub, UPSTREAM_APP_PUB);
            CHECK_HEX(kms_pub, sizeof kms_pub, UPSTREAM_KMS_PUB);
            /* ... and not for another purpose. */
            CHECK(dstack_get_key_chain_recover(
                      k->key, "other", key_vectors[i].alg, k->signature_chain[0].data,
                      k->signature_chain[0].len, k->signature_chain[1].data,
                      k->signature_chain[1].len, app_id, sizeof app_id, app_pub,
                      kms_pub) != DSTACK_OK ||
                  memcmp(app_pub, "\x02\x81\x84\x94", 4) != 0);
        }
        dstack_get_key_response_free(k);
    }
    /* The agent's 400 text surfaces in the error. */
    struct dstack_get_key_response *k = NULL;
    CHECK(dstack_get_key(c, "x", NULL, "rsa", &k) == DSTACK_ESERVER && k == NULL);
    CHECK(strstr(dstack_last_error(), "Unsupported algorithm") != NULL);
}

static void test_upstream_sign(struct dstack_client *c)
{
    static const struct {
        const char *alg;
        const char *data_hex;
        const char *sig;
        const char *pub;
    } v[] = {
        {"ed25519", "68656c6c6f2064737461636b",
         "8dbbc7f61a6a87b4a9e39694555dd2475037a450147a222064c5a64426cfcb582e226476553516a5e983cee"
         "53c5724a810c334f09f89c9dcbf9387f32dbcb90d",
         "698f56bd587d8ce3ca8db0e1c361ba9d190089f98dc4d9df800ff92ed073a65d"},
        {"secp256k1", "68656c6c6f2064737461636b",
         "372ee0e4cf6c19c38762c8fdad740b221bb530d5c5346f8d95083f6e905e79ab02212b0d849c304764b4af0"
         "f9b5598e9e8cad053bdd6b51de3fd0869e9d35acb",
         "036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54"},
        {"secp256k1_prehashed", "62def9deb63593d05474b22851c0616dbc10ca66aa4f93900ab923a0fa52c54f",
         "d79fbb0129ff07098837226231994646c809cda435f3783b2c752728e091e80b094145e622686554e6257e8"
         "888b99731e824315c46f7ddf85c07ec858bd6b869",
         "036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54"},
    };
    uint8_t app_id[DSTACK_APP_ID_LEN];
    size_t n = 0;
    CHECK(hex_decode(UPSTREAM_APP_ID, 40, app_id, sizeof app_id, &n) == DSTACK_OK);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t data[64];
        size_t dlen = 0;
        CHECK(hex_decode(v[i].data_hex, strlen(v[i].data_hex), data, sizeof data, &dlen) ==
              DSTACK_OK);
        struct dstack_sign_response *s = NULL;
        CHECK(dstack_sign(c, v[i].alg, data, dlen, &s) == DSTACK_OK);
        if (s == NULL) {
            continue;
        }
        /* The ECDSA part is r||s (64 bytes); Sign adds no recovery byte. */
        CHECK_HEX(s->signature.data, s->signature.len, v[i].sig);
        CHECK_HEX(s->public_key.data, s->public_key.len, v[i].pub);
        CHECK(s->signature_chain_len == 3);
        if (s->signature_chain_len == 3) {
            const uint8_t *chain[3] = {s->signature_chain[0].data, s->signature_chain[1].data,
                                       s->signature_chain[2].data};
            const size_t chain_len[3] = {s->signature_chain[0].len, s->signature_chain[1].len,
                                         s->signature_chain[2].len};
            uint8_t app_pub[DSTACK_K256_PUBKEY_LEN], kms_pub[DSTACK_K256_PUBKEY_LEN];
            CHECK(dstack_sign_chain_recover(s->signature.data, s->signature.len, s->public_key.data,
                                            s->public_key.len, chain, chain_len, app_id,
                                            sizeof app_id, app_pub, kms_pub) == DSTACK_OK);
            CHECK_HEX(kms_pub, sizeof kms_pub, UPSTREAM_KMS_PUB);
        }
        /* Round trip through Verify; a flipped bit in the data or the signature is refused. */
        bool valid = false;
        CHECK(dstack_verify(c, v[i].alg, data, dlen, s->signature.data, s->signature.len,
                            s->public_key.data, s->public_key.len, &valid) == DSTACK_OK &&
              valid);
        data[0] ^= 1;
        valid = true;
        CHECK(dstack_verify(c, v[i].alg, data, dlen, s->signature.data, s->signature.len,
                            s->public_key.data, s->public_key.len, &valid) == DSTACK_OK &&
              !valid);
        data[0] ^= 1;
        s->signature.data[5] ^= 0x40;
        valid = true;
        CHECK(dstack_verify(c, v[i].alg, data, dlen, s->signature.data, s->signature.len,
                            s->public_key.data, s->public_key.len, &valid) == DSTACK_OK &&
              !valid);
        dstack_sign_response_free(s);
    }
    /* Client-side check: prehashed wants 32 bytes, nothing is sent. */
    struct dstack_sign_response *s = NULL;
    CHECK(dstack_sign(c, "secp256k1_prehashed", (const uint8_t *)"too short", 9, &s) ==
              DSTACK_EINVAL &&
          s == NULL);
    CHECK_STR(dstack_last_error(),
              "Pre-hashed signing requires a 32-byte digest, but received 9 bytes");
}

/* Tappd DeriveKey(path "", random_seed false): the PEM of tests/vectors/keys.md. */
static void test_upstream_tappd(const struct sim *up)
{
    static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqiIa5Ui1qPUvy4aH\n"
                              "z9hzcS9qEjKycX5e49WKt08hkFuhRANCAASKsjepekWIat50KbJyyOuHS36a4t0R\n"
                              "pOHSlbNIb0V/HiZIxBx9lep43f0XALNXkz1yhgyYDNhy6LqFVaA9Wkn8\n"
                              "-----END PRIVATE KEY-----\n";
    int warnings = 0;
    struct dstack_client *t = NULL;
    CHECK(dstack_tappd_client_new(up->tappd_sock, NULL, log_count, &warnings, &t) == DSTACK_OK);
    CHECK(warnings == 1); /* "TappdClient is deprecated ..." */
    struct dstack_get_tls_key_response *k = NULL;
    CHECK(dstack_tappd_derive_key(t, "", NULL, NULL, 0, &k) == DSTACK_OK);
    CHECK(warnings == 2);
    if (k != NULL) {
        CHECK_STR(k->key, pem);
        CHECK(k->certificate_chain_len == 2);
    }
    dstack_get_tls_key_response_free(k);

    struct dstack_get_quote_response *q = NULL;
    CHECK(dstack_tappd_tdx_quote(t, (const uint8_t *)"abc", 3, NULL, &q) == DSTACK_OK);
    if (q != NULL) { /* raw: left-padded with zeros to 64 (the SDKs' behaviour) */
        struct dstack_quote p;
        uint8_t want[DSTACK_REPORT_DATA_LEN] = {0};
        memcpy(want + 61, "abc", 3);
        CHECK(dstack_quote_parse(q->quote.data, q->quote.len, &p) == DSTACK_OK);
        CHECK(memcmp(p.report.report_data, want, sizeof want) == 0);
    }
    dstack_get_quote_response_free(q);
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    memset(rd, 0x5a, sizeof rd);
    CHECK(dstack_tappd_raw_quote(t, rd, &q) == DSTACK_OK);
    if (q != NULL) {
        struct dstack_quote p;
        CHECK(dstack_quote_parse(q->quote.data, q->quote.len, &p) == DSTACK_OK);
        CHECK(memcmp(p.report.report_data, rd, sizeof rd) == 0);
    }
    dstack_get_quote_response_free(q);
    struct dstack_info_response *i = NULL;
    CHECK(dstack_tappd_info(t, &i) == DSTACK_OK);
    if (i != NULL) {
        CHECK_STR(i->app_id, upstream_info_app_id); /* tappd Info == dstack Info */
        const struct dstack_info_tcb *tcb = NULL;
        CHECK(dstack_info_tcb_info(i, &tcb) == DSTACK_OK && tcb != NULL);
    }
    dstack_info_response_free(i);
    dstack_client_free(t);
}

static void test_upstream(void)
{
    char keys[512];
    snprintf(keys, sizeof keys, "%s/upstream/simulator/appkeys.json", DSTACK_FIXTURE_DIR);
    if (access(keys, R_OK) != 0) {
        printf("note: %s is absent; the upstream vectors are not checked\n", keys);
        return;
    }
    struct sim up;
    if (!sim_start_upstream(&up, NULL)) {
        CHECK(0);
        return;
    }
    struct dstack_client *c = client_for(up.dstack_sock, 0);
    if (c != NULL) {
        struct dstack_info_response *i = NULL;
        CHECK(dstack_info(c, &i) == DSTACK_OK);
        if (i != NULL) { /* the fixture's compose: app_id = compose_hash[..20] */
            CHECK(strlen(i->app_id) == 40 && strncmp(i->app_id, i->compose_hash, 40) == 0);
            snprintf(upstream_info_app_id, sizeof upstream_info_app_id, "%s", i->app_id);
        }
        dstack_info_response_free(i);
        test_upstream_get_key(c);
        test_upstream_sign(c);
    }
    dstack_client_free(c);
    test_upstream_tappd(&up);
    CHECK(sim_stop(&up) == 0);
}

/* ---- Our simulator: quotes, attest, info, events, TLS keys -------------------------------- */

static char *root_pem; /* the simulator's tdx-root-ca.pem */
static char *app_ca;   /* ca_cert of the simulator's appkeys.json */

static void check_quote_rtmrs(const struct dstack_get_quote_response *q, const uint8_t *want_rd)
{
    struct dstack_quote p;
    err_clear();
    dstack_err e = dstack_quote_verify(q->quote.data, q->quote.len, root_pem, strlen(root_pem));
    if (e != DSTACK_OK) {
        fprintf(stderr, "quote verify: %s\n", err_text());
    }
    CHECK(e == DSTACK_OK);
    CHECK(dstack_quote_parse(q->quote.data, q->quote.len, &p) == DSTACK_OK);
    CHECK(memcmp(p.report.report_data, want_rd, DSTACK_REPORT_DATA_LEN) == 0);
    CHECK(q->report_data.len == DSTACK_REPORT_DATA_LEN &&
          memcmp(q->report_data.data, want_rd, DSTACK_REPORT_DATA_LEN) == 0);
    uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    CHECK(dstack_get_quote_response_replay_rtmrs(q, rt) == DSTACK_OK);
    CHECK(memcmp(rt, p.report.rtmr, sizeof rt) == 0);
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    CHECK(dstack_get_quote_response_event_log(q, &log) == DSTACK_OK);
    CHECK(log.count > 0);
    dstack_event_log_free(&log);
}

static void test_quote_and_attest(struct dstack_client *c)
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN] = {0};
    memcpy(rd, "it_sdk report data", 18);
    struct dstack_get_quote_response *q = NULL;
    CHECK(dstack_get_quote(c, rd, 18, &q) == DSTACK_OK);
    if (q != NULL) {
        check_quote_rtmrs(q, rd);
        CHECK(q->attestation.len > 0 || q->vm_config != NULL);
    }
    dstack_get_quote_response_free(q);
    /* Empty report data: 64 zero bytes (JS/Go behaviour, docs/sdk.md). */
    uint8_t zero[DSTACK_REPORT_DATA_LEN] = {0};
    q = NULL;
    CHECK(dstack_get_quote(c, NULL, 0, &q) == DSTACK_OK);
    if (q != NULL) {
        check_quote_rtmrs(q, zero);
    }
    dstack_get_quote_response_free(q);
    uint8_t big[65] = {0};
    q = NULL;
    CHECK(dstack_get_quote(c, big, sizeof big, &q) == DSTACK_EINVAL && q == NULL);
    CHECK_STR(dstack_last_error(), "report_data must be at most 64 bytes, got 65");

    struct dstack_attest_response *a = NULL;
    CHECK(dstack_attest(c, rd, 18, &a) == DSTACK_OK);
    if (a != NULL) {
        struct versioned_attestation va = {0};
        CHECK(versioned_decode(a->attestation.data, a->attestation.len, &va) == DSTACK_OK);
        CHECK(memcmp(va.report_data, rd, sizeof rd) == 0);
        struct dstack_quote p;
        CHECK(dstack_quote_parse(va.quote, va.quote_len, &p) == DSTACK_OK &&
              memcmp(p.report.report_data, rd, sizeof rd) == 0);
        CHECK(dstack_quote_verify(va.quote, va.quote_len, root_pem, strlen(root_pem)) == DSTACK_OK);
        versioned_free(&va);
    }
    dstack_attest_response_free(a);
    CHECK(dstack_attest(c, big, sizeof big, &a) == DSTACK_EINVAL && a == NULL);
}

/* Info's tcb_info, decoded on first access; NULL (a failed check) when absent or malformed. */
static const struct dstack_info_tcb *tcb_of(struct dstack_info_response *i)
{
    const struct dstack_info_tcb *tcb = NULL;
    CHECK(dstack_info_tcb_info(i, &tcb) == DSTACK_OK && tcb != NULL);
    return tcb;
}

/* RTMRs of a decoded tcb_info replayed from its own event log; returns RTMR3 hex (static). */
static const char *info_rtmr3_checked(struct dstack_info_response *i)
{
    static char rtmr3[2 * DSTACK_MR_LEN + 1];
    rtmr3[0] = '\0';
    const struct dstack_info_tcb *tcb = tcb_of(i);
    if (tcb == NULL) {
        return rtmr3;
    }
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    CHECK(dstack_event_log_parse(tcb->event_log, strlen(tcb->event_log), &log) == DSTACK_OK);
    CHECK(dstack_replay_rtmrs(&log, rt) == DSTACK_OK);
    for (int r = 0; r < DSTACK_RTMR_COUNT; r++) {
        CHECK_HEX(rt[r], DSTACK_MR_LEN, tcb->rtmr[r]);
    }
    dstack_event_log_free(&log);
    snprintf(rtmr3, sizeof rtmr3, "%s", tcb->rtmr[3]);
    return rtmr3;
}

static void test_info_and_emit_event(struct dstack_client *c)
{
    struct dstack_info_response *i = NULL;
    CHECK(dstack_info(c, &i) == DSTACK_OK);
    if (i == NULL) {
        return;
    }
    CHECK(strlen(i->app_id) == 40 && strlen(i->instance_id) == 40);
    CHECK(strncmp(i->app_cert, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    const struct dstack_info_tcb *tcb = tcb_of(i);
    CHECK(tcb != NULL && strlen(tcb->mrtd) == 96);
    CHECK(tcb != NULL && strcmp(tcb->compose_hash, i->compose_hash) == 0);
    CHECK(strncmp(i->compose_hash, i->app_id, 40) == 0); /* app_id = compose_hash[..20] */
    char before[2 * DSTACK_MR_LEN + 1];
    snprintf(before, sizeof before, "%s", info_rtmr3_checked(i));
    dstack_info_response_free(i);

    static const uint8_t payload[] = {0x00, 0x01, 0xfe, 0xff, 'i', 't'};
    CHECK(dstack_emit_event(c, "it-sdk-event", payload, sizeof payload) == DSTACK_OK);
    CHECK(dstack_emit_event(c, "", payload, 1) == DSTACK_EINVAL);
    CHECK_STR(dstack_last_error(), "event name cannot be empty");

    i = NULL;
    CHECK(dstack_info(c, &i) == DSTACK_OK);
    if (i == NULL) {
        return;
    }
    const char *after = info_rtmr3_checked(i);
    CHECK(strcmp(before, after) != 0);
    /* The last runtime event is ours, with its payload, and RTMR3 moved by exactly it. */
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    tcb = tcb_of(i);
    CHECK(tcb != NULL &&
          dstack_event_log_parse(tcb->event_log, strlen(tcb->event_log), &log) == DSTACK_OK);
    if (log.count > 0) {
        const struct dstack_event *e = &log.events[log.count - 1];
        CHECK(e->imr == 3 && e->event_type == DSTACK_RUNTIME_EVENT_TYPE);
        CHECK_STR(e->event, "it-sdk-event");
        CHECK(e->payload_len == sizeof payload && memcmp(e->payload, payload, sizeof payload) == 0);
        uint8_t mr[DSTACK_MR_LEN], d[DSTACK_SHA384_LEN];
        size_t n = 0;
        CHECK(hex_decode(before, strlen(before), mr, sizeof mr, &n) == DSTACK_OK);
        CHECK(dstack_runtime_event_digest(e->version, "it-sdk-event", payload, sizeof payload, d) ==
              DSTACK_OK);
        dstack_rtmr_extend(mr, d);
        CHECK_HEX(mr, sizeof mr, after);
    }
    dstack_event_log_free(&log);
    /* A quote taken now carries the same RTMR3. */
    struct dstack_get_quote_response *q = NULL;
    CHECK(dstack_get_quote(c, NULL, 0, &q) == DSTACK_OK);
    if (q != NULL) {
        struct dstack_quote p;
        CHECK(dstack_quote_parse(q->quote.data, q->quote.len, &p) == DSTACK_OK);
        CHECK_HEX(p.report.rtmr[3], DSTACK_MR_LEN, after);
    }
    dstack_get_quote_response_free(q);
    dstack_info_response_free(i);
}

/* The leaf's public key equals the returned private key's. */
static bool key_matches_leaf(const char *key_pem, const char *leaf_pem)
{
    BIO *kb = BIO_new_mem_buf(key_pem, -1), *cb = BIO_new_mem_buf(leaf_pem, -1);
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    bool ok = k != NULL && x != NULL && X509_check_private_key(x, k) == 1;
    EVP_PKEY_free(k);
    X509_free(x);
    BIO_free(kb);
    BIO_free(cb);
    return ok;
}

/* Equal up to trailing newlines. */
static bool same_pem(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 0 && a[la - 1] == '\n') {
        la--;
    }
    while (lb > 0 && b[lb - 1] == '\n') {
        lb--;
    }
    return la == lb && memcmp(a, b, la) == 0;
}

static char *join_chain(const struct dstack_get_tls_key_response *t)
{
    size_t total = 1;
    for (size_t i = 0; i < t->certificate_chain_len; i++) {
        total += strlen(t->certificate_chain[i]);
    }
    char *s = calloc(1, total);
    for (size_t i = 0; s != NULL && i < t->certificate_chain_len; i++) {
        memcpy(s + strlen(s), t->certificate_chain[i], strlen(t->certificate_chain[i]) + 1);
    }
    return s;
}

static void test_tls_key(struct dstack_client *c)
{
    static const char *const alt[] = {"it.example", "127.0.0.1"};
    struct dstack_tls_key_options o;
    dstack_tls_key_options_init(&o);
    CHECK(o.usage_server_auth && !o.usage_client_auth && !o.usage_ra_tls);
    o.subject = "it.example";
    o.alt_names = alt;
    o.n_alt_names = 2;
    o.usage_ra_tls = true;
    o.usage_client_auth = true;
    o.has_with_app_info = true;
    o.with_app_info = true;
    struct dstack_get_tls_key_response *t1 = NULL, *t2 = NULL;
    CHECK(dstack_get_tls_key(c, &o, &t1) == DSTACK_OK);
    CHECK(dstack_get_tls_key(c, &o, &t2) == DSTACK_OK);
    if (t1 == NULL || t2 == NULL) {
        goto out;
    }
    CHECK(t1->certificate_chain_len == 2);
    CHECK(strcmp(t1->key, t2->key) != 0); /* fresh key per call */
    CHECK(key_matches_leaf(t1->key, t1->certificate_chain[0]));
    CHECK(!key_matches_leaf(t2->key, t1->certificate_chain[0]));
    CHECK(same_pem(t1->certificate_chain[1], app_ca)); /* the chain ends at the app CA */
    char *chain = join_chain(t1);
    struct dstack_ratls_cert *leaf = NULL;
    err_clear();
    dstack_err e = dstack_ratls_verify_chain(chain, strlen(chain), app_ca, strlen(app_ca), root_pem,
                                             strlen(root_pem), &leaf);
    if (e != DSTACK_OK) {
        fprintf(stderr, "ratls verify: %s\n", err_text());
    }
    CHECK(e == DSTACK_OK);
    const uint8_t *b = NULL;
    size_t blen = 0;
    CHECK(leaf != NULL && dstack_ratls_cert_app_info(leaf, &b, &blen) == DSTACK_OK && blen > 0);
    dstack_ratls_cert_free(leaf);
    free(chain);
    /* PKCS#8 DER of the key, and the Python zero-padding. */
    struct dstack_bytes der = {0}, pad = {0};
    CHECK(dstack_get_tls_key_response_der(t1, 0, &der) == DSTACK_OK && der.len == 138);
    CHECK(dstack_get_tls_key_response_der(t1, 200, &pad) == DSTACK_OK && pad.len == 200);
    CHECK(der.len == 138 && pad.len == 200 && memcmp(der.data, pad.data, der.len) == 0 &&
          pad.data[199] == 0);
    dstack_bytes_wipe_free(&der);
    dstack_bytes_wipe_free(&pad);
    /* The agent's check of the validity window surfaces as its 400 text. */
    dstack_get_tls_key_response_free(t2);
    t2 = NULL;
    o.has_not_before = o.has_not_after = true;
    o.not_before = 2000000000;
    o.not_after = 1900000000;
    CHECK(dstack_get_tls_key(c, &o, &t2) == DSTACK_ESERVER && t2 == NULL);
    CHECK(strstr(dstack_last_error(), "not_before must be earlier than not_after") != NULL);
out:
    dstack_get_tls_key_response_free(t1);
    dstack_get_tls_key_response_free(t2);
}

static void test_version_gpu_reachable(struct dstack_client *c)
{
    struct dstack_version_response *v = NULL;
    CHECK(dstack_version(c, &v) == DSTACK_OK);
    if (v != NULL) {
        CHECK_STR(v->version, "0.6.0");
        CHECK(v->rev != NULL && v->rev[0] != '\0');
    }
    dstack_version_response_free(v);
    struct dstack_gpu_info_response *g = NULL;
    CHECK(dstack_gpu_info(c, &g) == DSTACK_OK);
    if (g != NULL) {
        CHECK_STR(g->attestation, ""); /* no --gpu-attestation file */
    }
    dstack_gpu_info_response_free(g);
    CHECK(dstack_is_reachable(c));
    CHECK(!dstack_is_reachable(NULL));
}

/* The same calls over TCP give the same answers as over the Unix socket. */
static void test_tcp(struct dstack_client *unix_client)
{
    struct dstack_client *c = client_for(tcp_url, 0);
    if (c == NULL) {
        return;
    }
    CHECK(dstack_is_reachable(c));
    struct dstack_get_key_response *a = NULL, *b = NULL;
    CHECK(dstack_get_key(c, "tcp/path", "p", NULL, &a) == DSTACK_OK);
    CHECK(dstack_get_key(unix_client, "tcp/path", "p", NULL, &b) == DSTACK_OK);
    CHECK(a != NULL && b != NULL && memcmp(a->key, b->key, DSTACK_KEY_LEN) == 0 &&
          strcmp(a->json, b->json) == 0);
    dstack_get_key_response_free(a);
    dstack_get_key_response_free(b);
    struct dstack_info_response *i = NULL;
    CHECK(dstack_info(c, &i) == DSTACK_OK);
    if (i != NULL) {
        info_rtmr3_checked(i);
    }
    dstack_info_response_free(i);
    struct dstack_get_quote_response *q = NULL;
    uint8_t rd[DSTACK_REPORT_DATA_LEN] = {0xaa, 0xbb};
    CHECK(dstack_get_quote(c, rd, 2, &q) == DSTACK_OK);
    if (q != NULL) {
        check_quote_rtmrs(q, rd);
    }
    dstack_get_quote_response_free(q);
    struct dstack_get_key_response *k = NULL;
    CHECK(dstack_get_key(c, "x", NULL, "rsa", &k) == DSTACK_ESERVER);
    CHECK(strstr(dstack_last_error(), "Unsupported algorithm") != NULL);
    dstack_client_free(c);
}

/* Agent down (a socket file nobody listens on), and an agent that never answers. */
static void test_error_paths(void)
{
    char dead[300], silent[300];
    snprintf(dead, sizeof dead, "%s/dead.sock", sim.dir);
    snprintf(silent, sizeof silent, "%s/silent.sock", sim.dir);
    int fd_dead = socket(AF_UNIX, SOCK_STREAM, 0), fd_silent = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(dead) >= sizeof sa.sun_path || strlen(silent) >= sizeof sa.sun_path) {
        CHECK(0);
        return;
    }
    memcpy(sa.sun_path, dead, strlen(dead) + 1);
    CHECK(bind(fd_dead, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(fd_dead); /* the file stays, connections are refused */
    memset(sa.sun_path, 0, sizeof sa.sun_path);
    memcpy(sa.sun_path, silent, strlen(silent) + 1);
    CHECK(bind(fd_silent, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd_silent, 8) == 0);

    struct dstack_client *c = client_for(dead, 0);
    struct dstack_get_key_response *k = NULL;
    CHECK(!dstack_is_reachable(c));
    CHECK(dstack_get_key(c, "p", NULL, NULL, &k) == DSTACK_ETRANSPORT && k == NULL);
    CHECK(dstack_last_error()[0] != '\0');
    dstack_client_free(c);

    c = client_for(silent, 300);
    struct dstack_version_response *v = NULL;
    CHECK(dstack_version(c, &v) == DSTACK_ETRANSPORT && v == NULL);
    CHECK(strstr(dstack_last_error(), "timed out") != NULL);
    CHECK(!dstack_is_reachable(c));
    dstack_client_free(c);
    close(fd_silent);

    /* A missing socket file is refused at creation with the SDKs' text. */
    c = NULL;
    CHECK(dstack_client_new("/non/existent/socket", NULL, &c) == DSTACK_ETRANSPORT && c == NULL);
    CHECK_STR(dstack_last_error(), "Unix socket file /non/existent/socket does not exist");
}

/* ---- The dstack command over the same simulator --------------------------------------------- */

/* Runs `dstack ARGS` (a shell word list) and returns its stdout (malloc'd) and exit status. */
static char *run_cli(const char *args, int *status)
{
    size_t cmd_cap = strlen(DSTACK_CLI_BIN) + strlen(args) + 32;
    char *cmd = malloc(cmd_cap);
    if (cmd != NULL) {
        snprintf(cmd, cmd_cap, "'%s' %s 2>/dev/null", DSTACK_CLI_BIN, args);
    }
    FILE *p = cmd ? popen(cmd, "r") : NULL;
    free(cmd);
    if (p == NULL) {
        *status = -1;
        return NULL;
    }
    size_t cap = 1 << 20, n = 0, r;
    char *out = calloc(1, cap);
    while (out != NULL && n < cap - 1 && (r = fread(out + n, 1, cap - 1 - n, p)) > 0) {
        n += r;
    }
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

static cJSON *run_cli_json(const char *args, int want_status)
{
    int st = 0;
    char *out = run_cli(args, &st);
    if (st != want_status) {
        fprintf(stderr, "dstack %s: exit %d, want %d; stdout: %s\n", args, st, want_status,
                out ? out : "");
    }
    CHECK(st == want_status);
    cJSON *j = out ? json_parse(out, strlen(out), 0, NULL) : NULL;
    free(out);
    return j;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL && fputs(text, f) >= 0);
    if (f != NULL) {
        fclose(f);
    }
}

/* lib/json's rules on the command's own inputs: a quote file is read as serde reads it, a
 * compose file as JSON.parse does (the JS SDK's getComposeHash). */
static void test_cli_json_inputs(const char *qfile)
{
    char path[300], args[1200];
    int st = 0;
    char *qtext = check_read_text(qfile);
    cJSON *qj = qtext != NULL ? json_parse(qtext, strlen(qtext), 0, NULL) : NULL;
    free(qtext);
    const char *qhex = json_str(json_get(qj, "quote"));
    size_t cap = (qhex != NULL ? strlen(qhex) : 0) + 64;
    char *dup = malloc(cap);
    if (dup != NULL && qhex != NULL) {
        snprintf(path, sizeof path, "%s/cli-dup-quote.json", sim.dir);
        snprintf(dup, cap, "{\"quote\":\"%s\",\"quote\":\"00\"}", qhex);
        write_text(path, dup);
        snprintf(args, sizeof args, "verify-quote --file '%s' --root '%s/tdx-root-ca.pem'", path,
                 sim.dir);
        free(run_cli(args, &st));
        CHECK(st == 2); /* a repeated field is refused (input refused: exit 2), not read as the
                         * first or the last */
    }
    free(dup);
    json_free(qj);

    static const struct {
        const char *text, *same_as; /* same_as: NULL = refused (exit 2: input refused) */
    } compose[] = {
        {"{\"b\":1,\"a\":2,\"b\":3}", "{\"a\":2,\"b\":3}"},
        {"{\"s\":\"x\\u0000y\",\"n\":9007199254740993}",
         "{\"n\":9007199254740992,\"s\":\"x\\u0000y\"}"},
        {"{\"s\":\"\xc3\"}", NULL},
        {"{\"s\":1,}", NULL},
    };
    for (size_t i = 0; i < sizeof compose / sizeof compose[0]; i++) {
        snprintf(path, sizeof path, "%s/cli-compose.json", sim.dir);
        write_text(path, compose[i].text);
        snprintf(args, sizeof args, "compose-hash '%s'", path);
        char *got = run_cli(args, &st);
        CHECK(st == (compose[i].same_as != NULL ? 0 : 2));
        if (compose[i].same_as != NULL) {
            char want[DSTACK_COMPOSE_HASH_HEX_LEN + 1];
            CHECK(dstack_compose_hash(compose[i].same_as, strlen(compose[i].same_as), false,
                                      want) == DSTACK_OK);
            CHECK(got != NULL && strstr(got, want) != NULL);
        }
        free(got);
    }
}

static void test_cli(struct dstack_client *c)
{
    char args[4096];
    /* get-key: the same bytes as the library. */
    snprintf(args, sizeof args, "get-key cli/path --purpose p --endpoint '%s'", sim.dstack_sock);
    cJSON *j = run_cli_json(args, 0);
    struct dstack_get_key_response *k = NULL;
    CHECK(dstack_get_key(c, "cli/path", "p", NULL, &k) == DSTACK_OK);
    if (k != NULL) {
        CHECK_HEX(k->key, DSTACK_KEY_LEN, json_str(json_get(j, "key")));
        CHECK((size_t)cJSON_GetArraySize(json_get(j, "signature_chain")) == 2);
    }
    dstack_get_key_response_free(k);
    json_free(j);

    snprintf(args, sizeof args, "version --endpoint '%s'", sim.dstack_sock);
    j = run_cli_json(args, 0);
    CHECK_STR(json_str(json_get(j, "version")), "0.6.0");
    json_free(j);

    snprintf(args, sizeof args, "is-reachable --endpoint '%s'", sim.dstack_sock);
    j = run_cli_json(args, 0);
    CHECK(cJSON_IsTrue(json_get(j, "reachable")));
    json_free(j);
    snprintf(args, sizeof args, "is-reachable --endpoint '%s/dead.sock'", sim.dir);
    j = run_cli_json(args, 1);
    CHECK(cJSON_IsFalse(json_get(j, "reachable")));
    json_free(j);

    /* get-quote --replay: the replayed RTMRs equal the quote's; verify-quote accepts it and the
     * report data given, refuses other report data and another root. */
    char qfile[300], tfile[300], other_root[300];
    snprintf(qfile, sizeof qfile, "%s/cli-quote.json", sim.dir);
    snprintf(tfile, sizeof tfile, "%s/cli-tls.json", sim.dir);
    snprintf(other_root, sizeof other_root, "%s/other-root.pem", sim.dir);
    snprintf(args, sizeof args, "get-quote --hex c0ffee --replay --endpoint '%s' > '%s'",
             sim.dstack_sock, qfile);
    int st = 0;
    free(run_cli(args, &st));
    CHECK(st == 0);
    char *qtext = check_read_text(qfile);
    cJSON *qj = qtext ? json_parse(qtext, strlen(qtext), 0, NULL) : NULL;
    free(qtext);
    CHECK((size_t)cJSON_GetArraySize(json_get(qj, "replayed_rtmrs")) == 4);
    snprintf(args, sizeof args,
             "verify-quote --file '%s' --root '%s/tdx-root-ca.pem' "
             "--report-data c0ffee",
             qfile, sim.dir);
    j = run_cli_json(args, 0);
    CHECK(cJSON_IsTrue(json_get(j, "valid")));
    CHECK(cJSON_IsTrue(json_get(j, "event_log_replayed")));
    for (size_t r = 0; r < 4; r++) {
        char key[8];
        snprintf(key, sizeof key, "rtmr%zu", r);
        CHECK_STR(json_str(json_get(j, key)), json_str(json_at(json_get(qj, "replayed_rtmrs"), r)));
    }
    json_free(j);
    snprintf(args, sizeof args,
             "verify-quote --file '%s' --root '%s/tdx-root-ca.pem' "
             "--report-data c0ffef",
             qfile, sim.dir);
    free(run_cli(args, &st));
    CHECK(st == 1);
    /* The quote alone, as hex on the command line. */
    const char *qhex = json_str(json_get(qj, "quote"));
    size_t long_cap = strlen(qhex ? qhex : "") + 600;
    char *long_args = malloc(long_cap);
    if (long_args != NULL && qhex != NULL) {
        snprintf(long_args, long_cap, "verify-quote %s --root '%s/tdx-root-ca.pem'", qhex, sim.dir);
        j = run_cli_json(long_args, 0);
        CHECK(cJSON_IsTrue(json_get(j, "valid")) && json_get(j, "event_log_replayed") == NULL);
        json_free(j);
    }
    free(long_args);
    json_free(qj);
    /* A root from another seed: a self-signed certificate of a different key. */
    snprintf(args, sizeof args,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-keyout /dev/null -subj /CN=other -days 1 -out '%s' 2>/dev/null",
             other_root);
    CHECK(system(args) == 0);
    snprintf(args, sizeof args, "verify-quote --file '%s' --root '%s'", qfile, other_root);
    free(run_cli(args, &st));
    CHECK(st == 1);

    /* get-tls-key -> verify-ra-tls with the CA of appkeys.json and the quote root. */
    snprintf(args, sizeof args,
             "get-tls-key --subject cli.example --alt-name cli.example --ra-tls --with-app-info "
             "--endpoint '%s' > '%s'",
             sim.dstack_sock, tfile);
    free(run_cli(args, &st));
    CHECK(st == 0);
    snprintf(args, sizeof args,
             "verify-ra-tls '%s' --ca '%s/appkeys.json' --quote-root '%s/tdx-root-ca.pem'", tfile,
             sim.dir, sim.dir);
    j = run_cli_json(args, 0);
    CHECK(cJSON_IsTrue(json_get(j, "valid")) && cJSON_IsTrue(json_get(j, "quote_verified")));
    CHECK_STR(json_str(json_get(j, "usage")), "app:custom");
    struct dstack_info_response *i = NULL;
    CHECK(dstack_info(c, &i) == DSTACK_OK);
    if (i != NULL) {
        CHECK_STR(json_str(json_get(json_get(j, "app_info"), "app_id")), i->app_id);
    }
    dstack_info_response_free(i);
    json_free(j);
    /* Another CA: the chain does not verify. */
    snprintf(args, sizeof args, "verify-ra-tls '%s' --ca '%s'", tfile, other_root);
    free(run_cli(args, &st));
    CHECK(st == 1);
    test_cli_json_inputs(qfile);
    /* Usage errors exit 2. */
    free(run_cli("verify-ra-tls", &st));
    CHECK(st == 2);
    free(run_cli("verify-quote 00", &st));
    CHECK(st == 2);
}

static bool free_tcp_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              getsockname(fd, (struct sockaddr *)&sa, &len) == 0;
    *port = ntohs(sa.sin_port);
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

int main(void)
{
    test_upstream();

    int port = 0;
    char listen_arg[64];
    CHECK(free_tcp_port(&port));
    snprintf(listen_arg, sizeof listen_arg, "127.0.0.1:%d", port);
    snprintf(tcp_url, sizeof tcp_url, "http://127.0.0.1:%d", port);
    const char *extra[] = {"--listen", listen_arg, NULL};
    if (!sim_start(&sim, extra)) {
        return 1;
    }
    root_pem = sim_quote_root(&sim);
    app_ca = sim_app_ca(&sim);
    CHECK(root_pem != NULL && app_ca != NULL);

    struct dstack_client *c = client_for(sim.dstack_sock, 0);
    if (c != NULL && root_pem != NULL && app_ca != NULL) {
        test_quote_and_attest(c);
        test_info_and_emit_event(c);
        test_tls_key(c);
        test_version_gpu_reachable(c);
        test_tcp(c);
        test_error_paths();
        test_cli(c);
    }
    dstack_client_free(c);
    free(root_pem);
    free(app_ca);
    CHECK(sim_stop(&sim) == 0);
    return check_exit();
}
