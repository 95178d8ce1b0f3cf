/* GetKey, Sign, Verify and tappd DeriveK256Key called directly, with upstream's simulator keys
 * file (tests/fixtures/upstream/simulator/appkeys.json). Responses are compared as the
 * exact compact JSON the server sends (field order of docs/wire.md); vectors from
 * docs/api/GetKey.md, docs/api/Sign.md and tests/vectors/keys.md, vectors computed with upstream's
 * code. */
#include <string.h>

#include "json/json.h"

#include "agent.h"
#include "appkeys.h"
#include "check.h"
#include "crypto/k256.h"
#include "handlers.h"
#include "util/error.h"
#include "util/hex.h"

#define KMS_SIG                                                                                    \
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc"      \
    "49a612496ce67223a12ac923f8efe330346dfc6c500"
#define VMS_K256_SIG0                                                                              \
    "51ec279eb0da3fb45335c2fd6badaf701905bf35f229912976c4ae3c9d649cf97f964473f2dce7118743bad"      \
    "84a6df707d11c9b5f0b38379204e14fd2c7baddba01"
#define VMS_ED_SIG0                                                                                \
    "d61ff204728dae76ba4e29313003433d533d069f9c98ebb3382104145f1c664c59fac4326a86420ec3f4503"      \
    "03d3a675d595f546448076a464343bcc25143c4a300"
#define VMS_K256_PUB "036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54"
#define VMS_ED_PUB "698f56bd587d8ce3ca8db0e1c361ba9d190089f98dc4d9df800ff92ed073a65d"
#define HELLO_K256                                                                                 \
    "4c5f038f26c2294e6647926a2f93d9c377d82feb4a053ff0ad856b59c428d49a73d86c665ac0f10d9218e79"      \
    "bf1bdd035d145ccf43c3f2d76a27ce3d877c3b1fe"
#define HELLO_ED                                                                                   \
    "ea96b5ca601a622062db4f06159fb33247e6393a64ecc1f576d92b18084f77872bba9c8787269b26ee545e2"      \
    "51e08dd6f212ebf630e86b854b906ed945ec6a907"

static struct agent agent;

/* With DSTACK_VECTOR_TABLE=<file>, every vector compared below is also written as a markdown
 * row (request, our output, upstream's value); tests/vectors/keys.md is produced this way. */
static FILE *vector_table;

static void record(const char *method, const char *request, const char *field, const char *ours,
                   const char *upstream)
{
    if (vector_table == NULL) {
        return;
    }
    fprintf(vector_table, "| %s | `%s` | %s | `%s` | `%s` | %s |\n", method, request, field,
            ours ? ours : "(error)", upstream,
            ours != NULL && strcmp(ours, upstream) == 0 ? "yes" : "**NO**");
}

/* Records each field of want (a flat JSON object with string or string-array values) against
 * the same field of got. */
static void record_json(const char *method, const char *request, const char *got, const char *want)
{
    cJSON *g = got ? json_parse(got, strlen(got), 0, NULL) : NULL;
    cJSON *w = json_parse(want, strlen(want), 0, NULL);
    const char *k;
    cJSON *wv;
    cJSON_ArrayForEach(wv, w)
    {
        k = wv->string;
        const cJSON *gv = json_get(g, k);
        if (cJSON_IsArray(wv)) {
            for (size_t i = 0; i < (size_t)cJSON_GetArraySize(wv); i++) {
                char name[64];
                snprintf(name, sizeof name, "%s[%zu]", k, i);
                record(method, request, name, json_str(json_at(gv, i)), json_str(json_at(wv, i)));
            }
        } else {
            record(method, request, k, json_str(gv), json_str(wv));
        }
    }
    json_free(g);
    json_free(w);
}

/* Runs h on args; returns the compact JSON of the result (malloc'd) or NULL with the error in
 * err_text(). Takes ownership of args. */
/* {key: the len bytes of s}, U+0000 included. */
static cJSON *obj_strn(const char *key, const char *s, size_t len)
{
    cJSON *o = cJSON_CreateObject();
    return json_set(o, key, json_string_len(s, len)) ? o : NULL;
}

static char *run(rpc_handler h, cJSON *args)
{
    struct rpc_call call;
    memset(&call, 0, sizeof call);
    call.agent = &agent;
    call.args = args;
    err_clear();
    dstack_err e = h(&call);
    json_free(args);
    if (e != DSTACK_OK) {
        CHECK(call.result == NULL && err_text()[0] != '\0');
        return NULL;
    }
    /* The handlers write their answer themselves (rpc_call.result_text); it must be exactly
     * what json_dump makes of the same object, as the server encoded it before. */
    CHECK(call.result == NULL && call.result_text != NULL);
    if (call.result_text == NULL) {
        return NULL;
    }
    CHECK(strlen(call.result_text) == call.result_text_len);
    cJSON *parsed = json_parse(call.result_text, strlen(call.result_text), 0, NULL);
    char *again = parsed != NULL ? json_dump(parsed, 0, NULL) : NULL;
    CHECK(again != NULL && strcmp(again, call.result_text) == 0);
    free(again);
    json_free(parsed);
    return call.result_text;
}

static char *run_text(rpc_handler h, const char *args)
{
    struct json_error jerr;
    cJSON *a = json_parse(args, strlen(args), 0, &jerr);
    if (a == NULL) {
        fprintf(stderr, "bad test JSON %s: %s\n", args, jerr.text);
        exit(2);
    }
    return run(h, a);
}

/* Expect exactly this response. */
static void expect_ok_named(const char *method, rpc_handler h, const char *args, const char *want)
{
    char *got = run_text(h, args);
    record_json(method, args, got, want);
    if (got == NULL) {
        fprintf(stderr, "%s -> error %s\n", args, err_text());
    }
    CHECK_STR(got, want);
    free(got);
}

#define expect_ok(h, args, want) expect_ok_named(#h, h, args, want)

/* Expect this error message. */
static void expect_err(rpc_handler h, cJSON *args, const char *want)
{
    char *got = run(h, args);
    CHECK(got == NULL);
    free(got);
    CHECK_STR(err_text(), want);
}

static void expect_err_text(rpc_handler h, const char *args, const char *want)
{
    struct json_error jerr;
    expect_err(h, json_parse(args, strlen(args), 0, &jerr), want);
}

static void test_get_key(void)
{
    /* docs/api/GetKey.md table and tests/vectors/keys.md table */
    static const struct {
        const char *args, *key, *sig0;
    } rows[] = {
        {"{\"path\":\"my/key/path\",\"purpose\":\"signing\",\"algorithm\":\"secp256k1\"}",
         "866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0",
         "4e9bccd54a86c85b72d04453183a9aa8c989861142cc5caf2cdba12f99e834c81c0117311cf290357f9db94b7"
         "9faba8074e3fe8764e6576a5fb657a89060fe3301"},
        {"{\"path\":\"my/key/path\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}",
         "866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0",
         "bdcf39cde546877d89884b708d82470d866b8f1abc6e6e67e1cb37c243eb45aa20984c8943eae83091655125c"
         "339b94108e9c4ae800e463b7fbae44cea26167300"},
        {"{}", "aa221ae548b5a8f52fcb8687cfd873712f6a1232b2717e5ee3d58ab74f21905b",
         "64ce2f1b381d04f7404fda78bdc942c314d89b7069d97eea1897e51b249dd3b1700995cbf7efe7ff04195dd6e"
         "31f153b702eeeeaffc5941510739dc39b9bd9cf01"},
        {"{\"path\":\"vms\",\"purpose\":\"signing\"}",
         "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2", VMS_K256_SIG0},
        {"{\"path\":\"vms\",\"purpose\":\"signing\",\"algorithm\":\"k256\"}",
         "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2", VMS_K256_SIG0},
        {"{\"path\":\"vms\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}",
         "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2", VMS_ED_SIG0},
        {"{\"path\":\"/test/path\",\"purpose\":\"test-purpose\",\"algorithm\":\"secp256k1\"}",
         "b9fbb7171185c421c58610a2acba8ceae93623ae47815618cbad1e98fc042cb7",
         "f50c51735a97072f0c98125ed61fc84e2fdb36e95990b9e57337dadc0e2a9712227f04e07209faecb8891d59e"
         "c144a6c13e411dc90b3423f28071bd3fe11978d01"},
        {"{\"path\":\"test\",\"purpose\":\"signing\",\"algorithm\":\"ed25519\"}",
         "133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8",
         "d85afcef55a4be6b46dc03f2644537c6bbf29c1184472aa812012846c8352eaa414ea1d1bc7c4958257bbc19c"
         "bb4b1c7b4b1230f6356ccca5ccfd23375240d7801"},
        {"{\"path\":\"my/path\",\"purpose\":\"eth\",\"algorithm\":\"secp256k1\"}",
         "d30f18bd6ff895e190f41f86009d502748f1da5a8b8ee504d784bd313b08570e",
         "19fb4a86cb7f329e165a5446f98fdfe600e5b19368a17844d784172dbe76ec756055cf7a9389feceeef82337b"
         "fe062250d075f5dd03a3713ae84fca50a2e7bfe00"},
        /* unknown fields are ignored (docs/wire.md) */
        {"{\"path\":\"\",\"purpose\":\"\",\"algorithm\":\"\",\"extra\":1}",
         "aa221ae548b5a8f52fcb8687cfd873712f6a1232b2717e5ee3d58ab74f21905b",
         "64ce2f1b381d04f7404fda78bdc942c314d89b7069d97eea1897e51b249dd3b1700995cbf7efe7ff04195dd6e"
         "31f153b702eeeeaffc5941510739dc39b9bd9cf01"},
    };
    char want[1024];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(want, sizeof want, "{\"key\":\"%s\",\"signature_chain\":[\"%s\",\"%s\"]}",
                 rows[i].key, rows[i].sig0, KMS_SIG);
        expect_ok(h_get_key, rows[i].args, want);
        /* tappd DeriveK256Key: the same numbers under its own field names
         * (docs/api/DeriveK256Key.md) */
        snprintf(want, sizeof want,
                 "{\"k256_key\":\"%s\",\"k256_signature_chain\":[\"%s\",\"%s\"]}", rows[i].key,
                 rows[i].sig0, KMS_SIG);
        expect_ok(h_derive_k256_key, rows[i].args, want);
    }

    /* Unsupported algorithms, case-sensitive; prehashed is Sign-only (rpc_service.rs L1207) */
    static const char *bad_alg[] = {"secp256k1_prehashed", "K256", "Ed25519", "rsa", "p256",
                                    " secp256k1"};
    for (size_t i = 0; i < sizeof bad_alg / sizeof bad_alg[0]; i++) {
        expect_err(h_get_key, json_object_of_strings("algorithm", bad_alg[i], NULL),
                   "Unsupported algorithm");
        expect_err(h_derive_k256_key, json_object_of_strings("algorithm", bad_alg[i], NULL),
                   "Unsupported algorithm");
    }
    /* an algorithm with a NUL inside is not "ed25519" */
    expect_err(h_get_key, obj_strn("algorithm", "ed25519\0x", 9), "Unsupported algorithm");

    /* Paths beyond the ordinary ([computed] Python cryptography HKDF): a 100 kB path, a NUL
     * inside the path (JSON "\u0000"), non-ASCII UTF-8. */
    char *big = malloc(100001);
    memset(big, 'p', 100000);
    big[100000] = '\0';
    char *got = run(h_get_key, json_object_of_strings("path", big, NULL));
    CHECK(got != NULL && strstr(got, "\"key\":\"39da1f11b2ea7f07c56f52724388b7b985865404fc3b198e"
                                     "6598d95c884c3852\"") != NULL);
    free(got);
    free(big);
    got = run(h_get_key, obj_strn("path", "a\0b", 3));
    CHECK(got != NULL && strstr(got, "8b22c6d8589ecea694e6d0be3b9ee9990bcb79cf9defef0b48655a39"
                                     "7dd8e1df") != NULL);
    free(got);
    got = run_text(h_get_key, "{\"path\":\"\\u043a\\u043b\\u044e\\u0447/\\ud83d\\udd11\"}");
    CHECK(got != NULL && strstr(got, "050c371d1436264dfe9f3bce2815d9c1d62630f82b64331f98b8b242"
                                     "9f89aca6") != NULL);
    free(got);

    /* Non-UTF-8 bytes (a decoder that let them through must not reach the KDF) */
    cJSON *a = cJSON_CreateObject();
    json_set(a, "path", json_string_len("ab\xff", 3));
    expect_err(h_get_key, a, "path: invalid UTF-8");
    a = cJSON_CreateObject();
    json_set(a, "purpose", json_string_len("\xc0\x80", 2)); /* overlong NUL */
    expect_err(h_get_key, a, "purpose: invalid UTF-8");
    a = cJSON_CreateObject();
    json_set(a, "purpose", json_string_len("\xed\xa0\x80", 3)); /* surrogate */
    expect_err(h_derive_k256_key, a, "purpose: invalid UTF-8");
    a = cJSON_CreateObject();
    json_set(a, "path", json_string_len("\xf0\x9f\x94", 3)); /* truncated */
    expect_err(h_get_key, a, "path: invalid UTF-8");

    /* wrong JSON types fail in the argument decoder */
    got = run_text(h_get_key, "{\"path\":5}");
    CHECK(got == NULL && strstr(err_text(), "path") != NULL);
    free(got);
    got = run_text(h_get_key, "{\"algorithm\":null}");
    CHECK(got == NULL && err_text()[0] != '\0');
    free(got);
}

static void test_sign(void)
{
    char want[1024];
    /* docs/api/Sign.md: data "hello" */
    snprintf(
        want, sizeof want,
        "{\"signature\":\"%s\",\"signature_chain\":[\"%s\",\"%s\",\"%s\"],\"public_key\":\"%s\"}",
        HELLO_K256, HELLO_K256, VMS_K256_SIG0, KMS_SIG, VMS_K256_PUB);
    expect_ok(h_sign, "{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f\"}", want);
    expect_ok(h_sign, "{\"algorithm\":\"k256\",\"data\":\"0x68656C6C6F\"}", want);
    /* prehashed with SHA-256("hello") gives the same signature */
    expect_ok(h_sign,
              "{\"algorithm\":\"secp256k1_prehashed\",\"data\":"
              "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"}",
              want);
    snprintf(
        want, sizeof want,
        "{\"signature\":\"%s\",\"signature_chain\":[\"%s\",\"%s\",\"%s\"],\"public_key\":\"%s\"}",
        HELLO_ED, HELLO_ED, VMS_ED_SIG0, KMS_SIG, VMS_ED_PUB);
    expect_ok(h_sign, "{\"algorithm\":\"ed25519\",\"data\":\"68656c6c6f\"}", want);

    /* tests/vectors/keys.md: "hello dstack"; and z = 32 x ff (RustCrypto's unreduced nonce) */
    static const struct {
        const char *args, *sig;
    } rows[] = {
        {"{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f20647374616b\"}", NULL},
        {"{\"algorithm\":\"secp256k1\",\"data\":\"68656c6c6f2064737461636b\"}",
         "372ee0e4cf6c19c38762c8fdad740b221bb530d5c5346f8d95083f6e905e79ab02212b0d849c304764b4af0f9"
         "b5598e9e8cad053bdd6b51de3fd0869e9d35acb"},
        {"{\"algorithm\":\"ed25519\",\"data\":\"68656c6c6f2064737461636b\"}",
         "8dbbc7f61a6a87b4a9e39694555dd2475037a450147a222064c5a64426cfcb582e226476553516a5e983cee53"
         "c5724a810c334f09f89c9dcbf9387f32dbcb90d"},
        {"{\"algorithm\":\"secp256k1_prehashed\",\"data\":"
         "\"62def9deb63593d05474b22851c0616dbc10ca66aa4f93900ab923a0fa52c54f\"}",
         "d79fbb0129ff07098837226231994646c809cda435f3783b2c752728e091e80b094145e622686554e6257e888"
         "8b99731e824315c46f7ddf85c07ec858bd6b869"},
        {"{\"algorithm\":\"secp256k1_prehashed\",\"data\":"
         "\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"}",
         "fc35de03dff94601683141bcdd8ca1e8491bbc2cb17f40401d8ebff1ff568ba464eb6c82ab8c01c9d0dd08607"
         "642385b9266f56ebfb94ad1cf8d300a842d2a3f"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *got = run_text(h_sign, rows[i].args);
        CHECK(got != NULL);
        if (got != NULL && rows[i].sig != NULL) {
            snprintf(want, sizeof want, "{\"signature\":\"%s\",", rows[i].sig);
            CHECK(strncmp(got, want, strlen(want)) == 0);
            snprintf(want, sizeof want, "{\"signature\":\"%s\"}", rows[i].sig);
            record_json("h_sign", rows[i].args, got, want);
        }
        free(got);
    }
    /* empty data signs fine */
    char *got = run_text(h_sign, "{\"algorithm\":\"ed25519\"}");
    CHECK(got != NULL);
    free(got);

    /* bad inputs (docs/api/Sign.md; the decoder's hex messages from rpc_arg_bytes) */
    expect_err_text(h_sign,
                    "{\"algorithm\":\"secp256k1_prehashed\",\"data\":"
                    "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98\"}",
                    "Pre-hashed signing requires a 32-byte digest, but received 31 bytes");
    expect_err_text(h_sign,
                    "{\"algorithm\":\"secp256k1_prehashed\",\"data\":"
                    "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982400\"}",
                    "Pre-hashed signing requires a 32-byte digest, but received 33 bytes");
    expect_err_text(h_sign, "{\"algorithm\":\"secp256k1_prehashed\"}",
                    "Pre-hashed signing requires a 32-byte digest, but received 0 bytes");
    expect_err_text(h_sign, "{\"algorithm\":\"\",\"data\":\"00\"}", "Unsupported algorithm");
    expect_err_text(h_sign, "{\"data\":\"00\"}", "Unsupported algorithm");
    expect_err_text(h_sign, "{\"algorithm\":\"rsa\",\"data\":\"00\"}", "Unsupported algorithm");
    expect_err_text(h_sign, "{\"algorithm\":\"SECP256K1\",\"data\":\"00\"}",
                    "Unsupported algorithm");
    got = run_text(h_sign, "{\"algorithm\":\"secp256k1\",\"data\":\"abc\"}");
    CHECK(got == NULL && strstr(err_text(), "data") != NULL &&
          strstr(err_text(), "Odd number") != NULL);
    free(got);
    got = run_text(h_sign, "{\"algorithm\":\"secp256k1\",\"data\":\"zz\"}");
    CHECK(got == NULL && strstr(err_text(), "data") != NULL &&
          strstr(err_text(), "Invalid hex") != NULL);
    free(got);
}

/* {"valid": true|false} or an error. */
static void expect_valid(const char *alg, const char *data, const char *sig, const char *pub,
                         bool want)
{
    char *got = run(h_verify, json_object_of_strings("algorithm", alg, "data", data, "signature",
                                                     sig, "public_key", pub, NULL));
    if (got == NULL) {
        fprintf(stderr, "verify %s -> error %s\n", alg, err_text());
    }
    CHECK_STR(got, want ? "{\"valid\":true}" : "{\"valid\":false}");
    free(got);
}

static void expect_verify_err(const char *alg, const char *data, const char *sig, const char *pub,
                              const char *msg)
{
    expect_err(h_verify,
               json_object_of_strings("algorithm", alg, "data", data, "signature", sig,
                                      "public_key", pub, NULL),
               msg);
}

static void test_verify(void)
{
    static const char hello[] = "68656c6c6f";
    static const char hello_sha[] =
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    char bad[200];

    /* Sign -> Verify round trips, for each algorithm */
    expect_valid("secp256k1", hello, HELLO_K256, VMS_K256_PUB, true);
    expect_valid("k256", hello, HELLO_K256, VMS_K256_PUB, true);
    expect_valid("secp256k1_prehashed", hello_sha, HELLO_K256, VMS_K256_PUB, true);
    expect_valid("ed25519", hello, HELLO_ED, VMS_ED_PUB, true);
    /* other data, tampered signature: false */
    expect_valid("secp256k1", "68656c6c6f21", HELLO_K256, VMS_K256_PUB, false);
    expect_valid("ed25519", "68656c6c6f21", HELLO_ED, VMS_ED_PUB, false);
    snprintf(bad, sizeof bad, "%s", HELLO_K256);
    bad[5] = bad[5] == '0' ? '1' : '0';
    expect_valid("secp256k1", hello, bad, VMS_K256_PUB, false);
    expect_valid("secp256k1_prehashed", hello_sha, bad, VMS_K256_PUB, false);
    snprintf(bad, sizeof bad, "%s", HELLO_ED);
    bad[5] = bad[5] == '0' ? '1' : '0';
    expect_valid("ed25519", hello, bad, VMS_ED_PUB, false);
    /* the key of the other algorithm's family, well-formed: false */
    expect_valid("secp256k1", hello, HELLO_K256,
                 "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c", false);
    /* an all-zero Ed25519 key decodes (y = 0 is a point): false, as with dalek */
    expect_valid("ed25519", hello, HELLO_ED,
                 "0000000000000000000000000000000000000000000000000000000000000000", false);

    /* secp256k1_prehashed takes bits2field of the data: < 16 bytes false, 16..31 left-padded,
     * > 32 truncated (ecdsa hazmat.rs:L185-206) */
    uint8_t z[32] = {0}, sig[64];
    char sig_hex[129], data_hex[2 * 40 + 1];
    memset(z + 16, 0xab, 16);
    CHECK(k256_sign(agent.keys->vms_key.b, z, sig) == DSTACK_OK);
    hex_encode(sig, 64, sig_hex);
    hex_encode(z + 16, 16, data_hex);
    expect_valid("secp256k1_prehashed", data_hex, sig_hex, VMS_K256_PUB, true);
    hex_encode(z + 17, 15, data_hex);
    expect_valid("secp256k1_prehashed", data_hex, sig_hex, VMS_K256_PUB, false);
    uint8_t long_data[40];
    memcpy(long_data, z, 32);
    memset(long_data + 32, 0x77, 8);
    hex_encode(long_data, 40, data_hex);
    expect_valid("secp256k1_prehashed", data_hex, sig_hex, VMS_K256_PUB, true);

    /* malformed keys and signatures: 400, never valid:false; lengths before any crypto */
    expect_verify_err("ed25519", hello, HELLO_ED, VMS_K256_PUB, "invalid public key"); /* 33 B */
    expect_verify_err("ed25519", hello, HELLO_ED, "00", "invalid public key");
    expect_verify_err("ed25519", hello, HELLO_ED, "", "invalid public key");
    expect_verify_err("ed25519", hello, HELLO_ED,
                      "0200000000000000000000000000000000000000000000000000000000000000",
                      "signature error: Cannot decompress Edwards point");
    expect_verify_err("ed25519", hello, "00", VMS_ED_PUB, "signature error");
    snprintf(bad, sizeof bad, "%s00", HELLO_ED);
    expect_verify_err("ed25519", hello, bad, VMS_ED_PUB, "signature error");
    expect_verify_err("secp256k1", hello, HELLO_K256,
                      "6105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54"
                      "6105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54",
                      "signature error"); /* 64-byte "X || Y" without a tag */
    expect_verify_err("secp256k1", hello, HELLO_K256,
                      "000000000000000000000000000000000000000000000000000000000000000000",
                      "signature error"); /* all zero */
    expect_verify_err("secp256k1_prehashed", hello_sha, HELLO_K256, "", "signature error");
    snprintf(bad, sizeof bad, "%s01", HELLO_K256); /* 65 bytes */
    expect_verify_err("secp256k1", hello, bad, VMS_K256_PUB, "signature error");
    expect_verify_err("secp256k1", hello, "", VMS_K256_PUB, "signature error");
    expect_verify_err("secp256k1_prehashed", "", HELLO_K256 "ff", VMS_K256_PUB, "signature error");
    expect_verify_err("rsa", hello, HELLO_K256, VMS_K256_PUB, "Unsupported algorithm");
    expect_verify_err("", hello, HELLO_K256, VMS_K256_PUB, "Unsupported algorithm");
    char *got = run_text(h_verify, "{\"algorithm\":\"ed25519\",\"public_key\":\"0g\"}");
    CHECK(got == NULL && strstr(err_text(), "public_key") != NULL);
    free(got);
    got = run_text(h_verify, "{\"algorithm\":\"ed25519\",\"signature\":\"123\"}");
    CHECK(got == NULL && strstr(err_text(), "signature") != NULL);
    free(got);
}

int main(void)
{
    const char *path = check_fixture("upstream/simulator/appkeys.json");
    const char *table = getenv("DSTACK_VECTOR_TABLE");
    if (table != NULL && (vector_table = fopen(table, "w")) == NULL) {
        perror(table);
        return 1;
    }
    if (appkeys_load(path, &agent.keys) != DSTACK_OK) {
        fprintf(stderr, "%s\n", err_text());
        return 1;
    }
    test_get_key();
    test_sign();
    test_verify();
    appkeys_free(agent.keys);
    if (vector_table != NULL) {
        fclose(vector_table);
    }
    return check_exit();
}
