/* Wallet helpers: base58 (Bitcoin Core's base58_encode_decode.json vectors), Solana keypairs and
 * Ethereum addresses from GetKey keys (computed with upstream's code), and the TLS-key variants of
 * docs/sdk.md (legacy constant account, secure SHA-256(DER) account). */
#include <dstack/client.h>
#include <dstack/helpers.h>

#include "check.h"
#include "util/hex.h"
#include "x509/p256.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* the legacy helpers are tested */

static void test_base58_vectors(void)
{
    static const struct {
        const char *hex, *b58;
    } cases[] = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"636363", "aPEr"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647",
         "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"572e4794", "3EFU7m"},
        {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
        {"10c8511e", "Rt5zm"},
        {"00000000000000000000", "1111111111"},
        {"00", "1"},
        {"0000ff", "115Q"},
        {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bin[64];
        size_t n = 0;
        CHECK(hex_decode(cases[i].hex, strlen(cases[i].hex), bin, sizeof bin, &n) == DSTACK_OK);
        char out[DSTACK_BASE58_ENCODED_MAX(64) + 1];
        CHECK(dstack_base58_encode(bin, n, out, sizeof out) == DSTACK_OK);
        CHECK_STR(out, cases[i].b58);
        uint8_t back[64];
        size_t m = 99;
        CHECK(dstack_base58_decode(cases[i].b58, strlen(cases[i].b58), back, sizeof back, &m) ==
              DSTACK_OK);
        CHECK_HEX(back, m, cases[i].hex);
    }
}

static void test_base58_bad(void)
{
    uint8_t out[64];
    size_t n = 0;
    /* characters outside the alphabet: 0 O I l, punctuation, NUL inside */
    static const char *const bad[] = {"0", "O", "I", "l", "2g!", "abc def", "+"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(dstack_base58_decode(bad[i], strlen(bad[i]), out, sizeof out, &n) == DSTACK_EFORMAT);
        CHECK(n == 0);
    }
    CHECK(dstack_base58_decode("2g\0x", 4, out, sizeof out, &n) == DSTACK_EFORMAT);
    /* output too small: "a3gV" is 3 bytes, "1111" is 4 zero bytes */
    CHECK(dstack_base58_decode("a3gV", 4, out, 2, &n) == DSTACK_EINVAL);
    CHECK(dstack_base58_decode("1111", 4, out, 3, &n) == DSTACK_EINVAL);
    char small[4];
    static const uint8_t three[] = {0x62, 0x62, 0x62};
    CHECK(dstack_base58_encode(three, 3, small, 4) == DSTACK_EINVAL); /* needs 5 with NUL */
    CHECK_STR(small, "");
    CHECK(dstack_base58_encode(three, 3, small, 0) == DSTACK_EINVAL);
    CHECK(dstack_base58_encode(NULL, 1, small, sizeof small) == DSTACK_EINVAL);
    static uint8_t big[DSTACK_BASE58_MAX_INPUT + 1];
    static char bigout[DSTACK_BASE58_ENCODED_MAX(DSTACK_BASE58_MAX_INPUT + 1) + 1];
    CHECK(dstack_base58_encode(big, sizeof big, bigout, sizeof bigout) == DSTACK_EINVAL);
    /* the cap itself works and round-trips (1024 zero bytes = 1024 '1's) */
    CHECK(dstack_base58_encode(big, DSTACK_BASE58_MAX_INPUT, bigout, sizeof bigout) == DSTACK_OK);
    CHECK(strlen(bigout) == DSTACK_BASE58_MAX_INPUT);
}

/* computed with upstream's code: the simulator's getKey('/') key. */
static const char sim_key_hex[] =
    "f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d";

static void test_solana_keypair(void)
{
    uint8_t seed[32];
    size_t n = 0;
    CHECK(hex_decode(sim_key_hex, 64, seed, sizeof seed, &n) == DSTACK_OK);
    struct dstack_solana_keypair kp;
    CHECK(dstack_solana_keypair(seed, &kp) == DSTACK_OK);
    CHECK_HEX(kp.public_key, 32,
              "50c1bfb9452a56317338272a252bd7430b38843d10fa4d491351a434a13bdc21");
    CHECK_STR(kp.public_key_base58, "6SEyAXS2GUBpajopJL3M21K16j55aj8yxWXp3v5k4Hur");
    CHECK(memcmp(kp.secret_key, seed, 32) == 0);
    CHECK(memcmp(kp.secret_key + 32, kp.public_key, 32) == 0);
    dstack_solana_keypair_wipe(&kp);
    static const uint8_t zero[sizeof kp] = {0};
    CHECK(memcmp(&kp, zero, sizeof kp) == 0);
    CHECK(dstack_solana_keypair(NULL, &kp) == DSTACK_EINVAL);
    CHECK(dstack_solana_keypair(seed, NULL) == DSTACK_EINVAL);

    char addr[DSTACK_ETH_ADDRESS_LEN + 1];
    CHECK(dstack_eth_address(seed, addr) == DSTACK_OK);
    CHECK_STR(addr, "0x6A2641982D1Ed53145b0Db42a4CFFcEFb4Cae5AF");
}

struct log_capture {
    int n;
    char last[200];
};

static void capture(enum dstack_log_level level, const char *msg, void *user)
{
    struct log_capture *c = user;
    CHECK(level == DSTACK_LOG_WARN);
    c->n++;
    (void)snprintf(c->last, sizeof c->last, "%s", msg);
}

/* tests/vectors/keys.md: the simulator's Tappd DeriveKey("") PEM. */
static const char derive_empty_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqiIa5Ui1qPUvy4aH\n"
    "z9hzcS9qEjKycX5e49WKt08hkFuhRANCAASKsjepekWIat50KbJyyOuHS36a4t0R\n"
    "pOHSlbNIb0V/HiZIxBx9lep43f0XALNXkz1yhgyYDNhy6LqFVaA9Wkn8\n"
    "-----END PRIVATE KEY-----\n";

static void test_tls_key_variants(void)
{
    struct dstack_get_tls_key_response legacy_in = {.key = (char *)derive_empty_pem};
    struct log_capture cap = {0};
    char addr[DSTACK_ETH_ADDRESS_LEN + 1];

    /* Legacy: DER[0..32] is the fixed P-256 PKCS#8 header (docs/sdk.md). */
    uint8_t seed[32];
    CHECK(dstack_tls_key_wallet_seed(&legacy_in, false, seed) == DSTACK_OK);
    CHECK_HEX(seed, 32, "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02");
    CHECK(dstack_eth_address_from_tls_key(&legacy_in, capture, &cap, addr) == DSTACK_OK);
    CHECK_STR(addr, "0xf3D21A3A689AD889541d993A51e3109aC3E36c12");
    CHECK(cap.n == 1);
    CHECK_STR(cap.last, "to_account: Please don't use getTlsKey method to get key, use getKey "
                        "instead.");

    /* Secure, on DeriveKey("/") (scalar of tests/vectors/keys.md): SHA-256 of the whole DER,
     * 3395d250…5ec2 -> 0x649B…89cd (computed with upstream's SDK). The PEM is built from the scalar
     * with the agent's own template. */
    struct p256_key k;
    uint8_t d[32];
    size_t n = 0;
    CHECK(hex_decode(sim_key_hex, 64, d, sizeof d, &n) == DSTACK_OK);
    CHECK(p256_from_scalar(d, &k) == DSTACK_OK);
    char pem[P256_PKCS8_PEM_MAX];
    p256_pkcs8_pem(&k, pem);
    struct dstack_get_tls_key_response secure_in = {.key = pem};
    CHECK(dstack_tls_key_wallet_seed(&secure_in, true, seed) == DSTACK_OK);
    char seed_hex[65];
    hex_encode(seed, 32, seed_hex);
    CHECK(strncmp(seed_hex, "3395d250", 8) == 0 && strcmp(seed_hex + 60, "5ec2") == 0);
    CHECK(dstack_eth_address_from_tls_key_secure(&secure_in, capture, &cap, addr) == DSTACK_OK);
    CHECK_STR(addr, "0x649BA846161da083fD953EF9b1D6A53bc3Da89cd");
    CHECK(cap.n == 2);
    CHECK_STR(cap.last, "to_account_secure: Please don't use getTlsKey method to get key, use "
                        "getKey instead.");
    /* the legacy account is the same for this other key */
    CHECK(dstack_eth_address_from_tls_key(&secure_in, NULL, NULL, addr) == DSTACK_OK);
    CHECK_STR(addr, "0xf3D21A3A689AD889541d993A51e3109aC3E36c12");

    /* Solana: the same seeds through Keypair.fromSeed. */
    struct dstack_solana_keypair a, b;
    CHECK(dstack_solana_keypair_from_tls_key_secure(&secure_in, capture, &cap, &a) == DSTACK_OK);
    CHECK(dstack_solana_keypair(seed, &b) == DSTACK_OK);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    CHECK(cap.n == 3);
    CHECK_STR(cap.last, "to_keypair_secure: Please don't use getTlsKey method to get key, use "
                        "getKey instead.");
    CHECK(dstack_solana_keypair_from_tls_key(&legacy_in, capture, &cap, &a) == DSTACK_OK);
    CHECK(memcmp(a.secret_key, "\x30\x81\x87\x02\x01\x00", 6) == 0);
    CHECK(cap.n == 4);
    CHECK(strncmp(cap.last, "to_keypair: ", 12) == 0);
    dstack_solana_keypair_wipe(&a);
    dstack_solana_keypair_wipe(&b);

    /* bad input: not a PEM, NULLs; outputs cleared */
    struct dstack_get_tls_key_response junk = {.key = (char *)"not a key"};
    CHECK(dstack_eth_address_from_tls_key_secure(&junk, NULL, NULL, addr) == DSTACK_EFORMAT);
    CHECK_STR(addr, "");
    CHECK(strstr(dstack_last_error(), "PKCS#8") != NULL);
    CHECK(dstack_solana_keypair_from_tls_key_secure(&junk, NULL, NULL, &a) == DSTACK_EFORMAT);
    CHECK(a.public_key_base58[0] == '\0');
    CHECK(dstack_tls_key_wallet_seed(NULL, true, seed) == DSTACK_EINVAL);
    CHECK(dstack_eth_address_from_tls_key(&legacy_in, NULL, NULL, NULL) == DSTACK_EINVAL);
    secret_wipe(&k, sizeof k);
    secret_wipe(pem, sizeof pem);
}

int main(void)
{
    test_base58_vectors();
    test_base58_bad();
    test_solana_keypair();
    test_tls_key_variants();
    return check_exit();
}
