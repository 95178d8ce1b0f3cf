/* Encrypted env vars (upstream dstack/dstack-util/src/crypto.rs, vectors computed with upstream's
 * code), KMS env-key signature check (docs/sdk.md) and the Ethereum address helper. */
#include <dstack/client.h>
#include <dstack/helpers.h>

#include "check.h"
#include "crypto/k256.h"
#include "crypto/kdf.h"
#include "util/hex.h"

static void test_env_vectors(void)
{
    /* dstack-util/src/crypto.rs test (upstream's test) */
    uint8_t sk[32], ct[128];
    check_unhex("7c282bf94b35dc47801dc953bfa0896fc2bd313381d3e8eca4e42f6536d2a96f", sk, sizeof sk);
    size_t n =
        check_unhex("0bd18749612f4c8b9dd583c7d6a646b90abd34e3c731a7708d0caf9039095641e1f0948e775f"
                    "0b7351788db7f246d51806954626dcccb6a60d64665ca3715c6bef75616cab476d27bba04080"
                    "361200d6a58cec",
                    ct, sizeof ct);
    char *plain = NULL;
    size_t plain_len = 0;
    CHECK(dstack_decrypt_env_vars(ct, n, sk, &plain, &plain_len) == DSTACK_OK);
    CHECK_STR(plain, "[{\"key\":\"\",\"value\":\"\"}]");
    free(plain);
    /* tampered tag, truncated input */
    ct[n - 1] ^= 1;
    CHECK(dstack_decrypt_env_vars(ct, n, sk, &plain, &plain_len) == DSTACK_EVERIFY);
    CHECK(plain == NULL);
    CHECK(dstack_decrypt_env_vars(ct, 59, sk, &plain, &plain_len) == DSTACK_EFORMAT);

    /* computed vector: fixed ephemeral key 01..20 and IV a0..ab (computed with upstream's code) */
    uint8_t pub[32], eph[32], iv[12];
    check_unhex("298710e105127bf86fb44f5ca549727fff93e7f2a6bde7cc79d01dbf5bc12a06", pub,
                sizeof pub);
    for (int i = 0; i < 32; i++) {
        eph[i] = (uint8_t)(i + 1);
    }
    for (int i = 0; i < 12; i++) {
        iv[i] = (uint8_t)(0xa0 + i);
    }
    const struct dstack_env_var vars[] = {{"FOO", "bar"}};
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    CHECK(dstack_encrypt_env_vars_det(vars, 1, pub, eph, iv, &wire, &wire_len) == DSTACK_OK);
    CHECK_HEX(wire, wire_len,
              "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7ca0a1a2a3a4a5a6a7a8a9"
              "aaabe7d5060a89ea97dffa72fa0e3b61dd223cdc58f5c2e14f734cdbb3d846dc304f0defa1c9d14b7a68"
              "706fe07bfc7bff82e0a1569b05");
    free(wire);
}

static void test_env_round_trip(void)
{
    /* recipient = the simulator's env_crypt_key ca1a38... (computed with upstream's code) whose
     * public key is 298710e1...2a06: random encryption, then decryption with the secret key. */
    uint8_t sk[32];
    check_unhex("ca1a3895d9d613287fc14034d0ec60abb5089896e7c8fd7c2f02bd91fa0076aa", sk, sizeof sk);
    const struct dstack_env_var vars[] = {
        {"DATABASE_URL", "postgresql://u:p@h/db"},
        {"GREETING", "Hello \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8c\x8d"},
        {"QUOTE", "a\"b\\c\n<&>"},
    };
    const char *want = "{\"env\":[{\"key\":\"DATABASE_URL\",\"value\":\"postgresql://u:p@h/db\"},"
                       "{\"key\":\"GREETING\",\"value\":\"Hello \xe4\xb8\x96\xe7\x95\x8c "
                       "\xf0\x9f\x8c\x8d\"},{\"key\":\"QUOTE\",\"value\":\"a\\\"b\\\\c\\n<&>\"}]}";
    char *h1 = NULL, *h2 = NULL;
    const char *pub_hex = "0x298710e105127bf86fb44f5ca549727fff93e7f2a6bde7cc79d01dbf5bc12a06";
    CHECK(dstack_encrypt_env_vars(vars, 3, pub_hex, &h1) == DSTACK_OK);
    CHECK(dstack_encrypt_env_vars(vars, 3, pub_hex + 2, &h2) == DSTACK_OK);
    CHECK(h1 != NULL && h2 != NULL && strcmp(h1, h2) != 0); /* randomized */
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    CHECK(hex_decode_alloc(h1, strlen(h1), &wire, &wire_len) == DSTACK_OK);
    CHECK(wire_len == 32 + 12 + strlen(want) + 16);
    char *plain = NULL;
    size_t plain_len = 0;
    CHECK(dstack_decrypt_env_vars(wire, wire_len, sk, &plain, &plain_len) == DSTACK_OK);
    CHECK_STR(plain, want);
    free(plain);
    /* a different recipient key cannot decrypt */
    sk[0] ^= 0x55;
    CHECK(dstack_decrypt_env_vars(wire, wire_len, sk, &plain, &plain_len) == DSTACK_EVERIFY);
    free(wire);
    free(h1);
    free(h2);
    /* empty list */
    CHECK(dstack_encrypt_env_vars(NULL, 0, pub_hex, &h1) == DSTACK_OK);
    CHECK(h1 != NULL && strlen(h1) == 2 * (32 + 12 + strlen("{\"env\":[]}") + 16));
    free(h1);

    /* bad keys: the Go SDK's test uses "abcd" */
    static const struct {
        const char *key;
        const char *msg;
    } bad[] = {
        {"abcd", "invalid public key length: expected 32 bytes, got 2"},
        {"zz", "failed to decode public key: invalid hex"},
        {"abc", "failed to decode public key: invalid hex"},
        {"", "invalid public key length: expected 32 bytes, got 0"},
        {"298710e105127bf86fb44f5ca549727fff93e7f2a6bde7cc79d01dbf5bc12a0600",
         "invalid public key length: expected 32 bytes, got 33"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        CHECK(dstack_encrypt_env_vars(vars, 1, bad[i].key, &out) == DSTACK_EINVAL);
        CHECK_STR(dstack_last_error(), bad[i].msg);
        CHECK(out == NULL);
    }
    /* the all-zero (low-order) public key gives an all-zero shared secret: refused */
    char *out = NULL;
    CHECK(dstack_encrypt_env_vars(
              vars, 1, "0000000000000000000000000000000000000000000000000000000000000000", &out) ==
          DSTACK_ECRYPTO);
    const struct dstack_env_var nullvar[] = {{"K", NULL}};
    CHECK(dstack_encrypt_env_vars(nullvar, 1, pub_hex, &out) == DSTACK_EINVAL);
}

static void test_env_pubkey(void)
{
    char signer[DSTACK_SIGNER_HEX_LEN + 1];
    uint8_t pub[32], sig[65];
    /* Python/JS test fixture (upstream's test) */
    check_unhex("e33a1832c6562067ff8f844a61e51ad051f1180b66ec2551fb0251735f3ee90a", pub, 32);
    check_unhex(
        "8542c49081fbf4e03f62034f13fbf70630bdf256a53032e38465a27c36fd6bed7a5e7111652004aef37f7f"
        "d92fbfc1285212c4ae6a6154203a48f5e16cad2cef00",
        sig, 65);
    const char *zero_id = "0000000000000000000000000000000000000000";
    const char *want = "0x0217610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f";
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, zero_id, signer) ==
          DSTACK_OK);
    CHECK_STR(signer, want);
    CHECK(dstack_verify_env_encrypt_public_key_legacy(
              pub, 32, sig, 65, "0x0000000000000000000000000000000000000000", signer) == DSTACK_OK);
    CHECK_STR(signer, want);
    /* v = 27 is the same signature in Ethereum's notation */
    sig[64] = 27;
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, zero_id, signer) ==
          DSTACK_OK);
    CHECK_STR(signer, want);
    sig[64] = 0;
    /* wrong lengths, bad app id, bad v */
    static const size_t lens[] = {0, 32, 64, 66, 128};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, lens[i], zero_id, signer) ==
              DSTACK_EINVAL);
        CHECK(signer[0] == '\0');
    }
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, "not-hex", signer) ==
          DSTACK_EINVAL);
    sig[64] = 2;
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, zero_id, signer) ==
          DSTACK_EINVAL);
    sig[64] = 0;
    /* a flipped byte gives another signer (or none), never the genuine one */
    sig[0] ^= 1;
    dstack_err e = dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, zero_id, signer);
    CHECK(e != DSTACK_OK || strcmp(signer, want) != 0);
    sig[0] ^= 1;
    /* all-zero signature recovers nothing */
    uint8_t zsig[65] = {0};
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, zsig, 65, zero_id, signer) !=
          DSTACK_OK);

    /* Synthetic KMS root 32 x 0x11 (computed with upstream's code): both signatures recover its
     * public key. */
    uint8_t root[32], root_pub[33];
    memset(root, 0x11, sizeof root);
    CHECK(k256_pubkey(root, root_pub) == DSTACK_OK);
    char root_hex[69] = "0x";
    hex_encode(root_pub, 33, root_hex + 2);
    const char *app = "ea549f02e1a25fabd1cb788380e033ec5461b2ff";
    check_unhex("298710e105127bf86fb44f5ca549727fff93e7f2a6bde7cc79d01dbf5bc12a06", pub, 32);
    check_unhex(
        "9851d8f3346275acb27d216faa36378d267e8a44c60bfe8f54dcabe223a8199e4b2cd9398c9890e5a7a10c"
        "7ca0ae58ea85ef61743b5eda826cf5b3b0b75b908801",
        sig, 65);
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, app, signer) == DSTACK_OK);
    CHECK_STR(signer, root_hex);
    check_unhex(
        "0cea5c372b38d7fedd7f208bd480b3c1d503b88e1d4ad6dcfe72f2091bb6f8c957ddda45627d054669e96e"
        "aca72236a697866403c60b403ce3f05df37e46524d00",
        sig, 65);
    const uint64_t ts = 1700000000;
    static const struct {
        int64_t now_delta;
        uint64_t max_age;
        dstack_err want;
    } times[] = {
        {0, 0, DSTACK_OK},          {300, 0, DSTACK_OK}, /* age 300: inclusive */
        {301, 0, DSTACK_EVERIFY},   {-60, 0, DSTACK_OK}, /* 60 s ahead: inclusive */
        {-61, 0, DSTACK_EVERIFY},   {400, 0, DSTACK_EVERIFY},  {400, 1000, DSTACK_OK},
        {10000, 0, DSTACK_EVERIFY}, {-600, 0, DSTACK_EVERIFY},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        e = dstack_verify_env_encrypt_public_key(pub, 32, sig, 65, app, ts, times[i].max_age,
                                                 (int64_t)ts + times[i].now_delta, signer);
        CHECK(e == times[i].want);
        if (times[i].want == DSTACK_OK) {
            CHECK_STR(signer, root_hex);
        }
    }
    /* the timestamp is signed: another one recovers a different key */
    CHECK(dstack_verify_env_encrypt_public_key(pub, 32, sig, 65, app, ts + 1, 0, (int64_t)ts,
                                               signer) != DSTACK_OK ||
          strcmp(signer, root_hex) != 0);
    /* v1 signature is not a legacy signature */
    CHECK(dstack_verify_env_encrypt_public_key_legacy(pub, 32, sig, 65, app, signer) != DSTACK_OK ||
          strcmp(signer, root_hex) != 0);
}

static void test_eth_address(void)
{
    char addr[DSTACK_ETH_ADDRESS_LEN + 1];
    uint8_t key[32];
    /* web3.js documentation key */
    check_unhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", key, 32);
    CHECK(dstack_eth_address(key, addr) == DSTACK_OK);
    CHECK_STR(addr, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    /* the constant first 32 bytes of every P-256 PKCS#8 DER (docs/sdk.md, vectors computed with
     * upstream's code) */
    check_unhex("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02", key, 32);
    CHECK(dstack_eth_address(key, addr) == DSTACK_OK);
    CHECK_STR(addr, "0xf3D21A3A689AD889541d993A51e3109aC3E36c12");
    /* invalid scalars */
    memset(key, 0, sizeof key);
    CHECK(dstack_eth_address(key, addr) == DSTACK_EINVAL);
    memset(key, 0xff, sizeof key);
    CHECK(dstack_eth_address(key, addr) == DSTACK_EINVAL);

    /* simulator getKey('/') (computed with upstream's code): HKDF of the fixture k256_key with path
     * "/" */
    const char *path = check_fixture("upstream/simulator/appkeys.json");
    FILE *f = fopen(path, "rb");
    char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) {
        fclose(f);
    }
    buf[n] = '\0';
    const char *k = strstr(buf, "\"k256_key\": \"");
    CHECK(k != NULL);
    if (k == NULL) {
        return;
    }
    char khex[65];
    memcpy(khex, k + 13, 64);
    khex[64] = '\0';
    uint8_t ikm[32];
    check_unhex(khex, ikm, 32);
    struct kdf_slice info = {"/", 1};
    CHECK(kdf_derive(ikm, 32, &info, 1, key, 32) == DSTACK_OK);
    char kh[65];
    hex_encode(key, 32, kh);
    CHECK(strncmp(kh, "f6c1ed94", 8) == 0);
    CHECK(dstack_eth_address(key, addr) == DSTACK_OK);
    CHECK_STR(addr, "0x6A2641982D1Ed53145b0Db42a4CFFcEFb4Cae5AF");
}

int main(void)
{
    test_env_vectors();
    test_env_round_trip();
    test_env_pubkey();
    test_eth_address();
    return check_exit();
}
