/* Ed25519 through OpenSSL, as upstream's ed25519-dalek uses it (docs/api/Sign.md,
 * docs/api/Verify.md; tests/vectors/keys.md, docs/api/GetKey.md, docs/api/Sign.md). */
#include <string.h>

#include "check.h"
#include "crypto/ed25519.h"
#include "crypto/kdf.h"
#include "util/hex.h"

#define VMS_SEED "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2"
#define VMS_PUB "698f56bd587d8ce3ca8db0e1c361ba9d190089f98dc4d9df800ff92ed073a65d"

/* out = S + L (little-endian), the non-canonical twin of S. */
static void add_l(const uint8_t s[32], uint8_t out[32])
{
    static const uint8_t l[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
        0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    };
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned v = s[i] + l[i] + carry;
        out[i] = (uint8_t)v;
        carry = v >> 8;
    }
}

int main(void)
{
    /* seed -> public key (tests/vectors/keys.md GetKey ed25519 rows; the unit-test key's "vms"
     * public key is base64url 5Pbre1Am... in rpc_service.rs:L1135-1153) */
    static const struct {
        const char *seed, *pub;
    } keys[] = {
        {VMS_SEED, VMS_PUB},
        {"133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8",
         "1cbb894af8792a8f6e1e9d58ae2a37364fd8e8378ce9d2300fab933b58aaa6cb"},
        {"866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0",
         "a7b0b4abf5113055bae2a611c83870888855f83468502e8aba4557e9a9b6815d"},
        {"9db79b3fefe69f2a7b7efbc908c854bf845a629023361f2c9cb3db09fb99010f",
         "e4f6eb7b50267f586ba765766db7ca9487f1a506f6a49026ae09a1c605681bdb"},
    };
    uint8_t seed[32], pub[32], sig[64], bad[65];
    bool valid;
    const char *what;

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        check_unhex(keys[i].seed, seed, sizeof seed);
        CHECK(ed25519_pubkey(seed, pub) == DSTACK_OK);
        CHECK_HEX(pub, 32, keys[i].pub);
    }

    /* Sign with the "vms" key (docs/api/Sign.md, tests/vectors/keys.md) */
    static const struct {
        const char *msg, *sig;
    } sigs[] = {
        {"hello", "ea96b5ca601a622062db4f06159fb33247e6393a64ecc1f576d92b18084f77872bba9c8787269b26"
                  "ee545e251e08dd6f212ebf630e86b854b906ed945ec6a907"},
        {"hello dstack", "8dbbc7f61a6a87b4a9e39694555dd2475037a450147a222064c5a64426cfcb582e2264765"
                         "53516a5e983cee53c5724a810c334f09f89c9dcbf9387f32dbcb90d"},
    };
    check_unhex(VMS_SEED, seed, sizeof seed);
    check_unhex(VMS_PUB, pub, sizeof pub);
    EVP_PKEY *key = ed25519_key_new(seed);
    CHECK(key != NULL);
    uint8_t kpub[32];
    CHECK(ed25519_key_pubkey(key, kpub) == DSTACK_OK && memcmp(kpub, pub, 32) == 0);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        const uint8_t *m = (const uint8_t *)sigs[i].msg;
        size_t n = strlen(sigs[i].msg);
        CHECK(ed25519_sign(seed, m, n, sig) == DSTACK_OK);
        CHECK_HEX(sig, 64, sigs[i].sig);
        memset(sig, 0, sizeof sig);
        CHECK(ed25519_key_sign(key, m, n, sig) == DSTACK_OK); /* the cached-key path */
        CHECK_HEX(sig, 64, sigs[i].sig);
        CHECK(ed25519_verify(pub, 32, sig, 64, m, n, &valid, &what) == DSTACK_OK && valid);

        memcpy(bad, sig, 64);
        bad[63] ^= 0x01; /* tampered S (stays canonical) */
        CHECK(ed25519_verify(pub, 32, bad, 64, m, n, &valid, &what) == DSTACK_OK && !valid);
        CHECK(ed25519_verify(pub, 32, sig, 64, m, n - 1, &valid, &what) == DSTACK_OK && !valid);
        /* S + L: same value mod L, but dalek's verify refuses a non-canonical S -> false */
        memcpy(bad, sig, 64);
        add_l(sig + 32, bad + 32);
        CHECK(ed25519_verify(pub, 32, bad, 64, m, n, &valid, &what) == DSTACK_OK && !valid);
    }
    /* empty message */
    CHECK(ed25519_key_sign(key, NULL, 0, sig) == DSTACK_OK);
    CHECK(ed25519_verify(pub, 32, sig, 64, NULL, 0, &valid, &what) == DSTACK_OK && valid);
    EVP_PKEY_free(key);

    /* Point decompression as curve25519-dalek does it: y = 2, 7, 8, 11 have no x; y = 0 and
     * y = 1 do, as does y = p + 1 (y is reduced mod p, the sign bit ignored). */
    static const struct {
        uint8_t y0;   /* low byte of y */
        uint8_t top;  /* byte 31 */
        uint8_t rest; /* bytes 1..30 */
        bool point;
    } pts[] = {
        {0, 0, 0, true},           {1, 0, 0, true},   {2, 0, 0, false}, {7, 0, 0, false},
        {8, 0, 0, false},          {11, 0, 0, false}, {3, 0, 0, true},  {2, 0x80, 0, false},
        {0xee, 0x7f, 0xff, true},  /* p + 1 = 1 mod p */
        {0xef, 0x7f, 0xff, false}, /* p + 2 = 2 mod p */
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        uint8_t p[32];
        memset(p, pts[i].rest, sizeof p);
        p[0] = pts[i].y0;
        p[31] = pts[i].top;
        CHECK(ed25519_point_valid(p) == pts[i].point);
    }

    /* Malformed inputs are errors, not valid=false (rpc_service.rs verify; docs/api/Verify.md). */
    memset(bad, 0, sizeof bad);
    bad[0] = 2; /* y = 2: not a point */
    CHECK(ed25519_verify(bad, 32, sig, 64, NULL, 0, &valid, &what) == DSTACK_EFORMAT);
    CHECK_STR(what, "public key");
    static const size_t bad_pub_lens[] = {0, 31, 33, 64};
    for (size_t i = 0; i < sizeof bad_pub_lens / sizeof bad_pub_lens[0]; i++) {
        CHECK(ed25519_verify(pub, bad_pub_lens[i], sig, 64, NULL, 0, &valid, &what) ==
              DSTACK_EFORMAT);
        CHECK_STR(what, "public key");
    }
    static const size_t bad_sig_lens[] = {0, 63, 65};
    for (size_t i = 0; i < sizeof bad_sig_lens / sizeof bad_sig_lens[0]; i++) {
        memset(bad, 0, sizeof bad);
        CHECK(ed25519_verify(pub, 32, bad, bad_sig_lens[i], NULL, 0, &valid, &what) ==
              DSTACK_EFORMAT);
        CHECK_STR(what, "signature");
    }
    /* an all-zero key decodes (y = 0 is a point), so dalek answers valid=false, not an error */
    memset(bad, 0, sizeof bad);
    CHECK(ed25519_verify(bad, 32, sig, 64, NULL, 0, &valid, &what) == DSTACK_OK && !valid);
    CHECK(ed25519_verify(NULL, 32, sig, 64, NULL, 0, &valid, &what) == DSTACK_EFORMAT);

    /* GetKey: the ed25519 seed is the same HKDF output as the secp256k1 key (docs/api/GetKey.md).
     */
    uint8_t k[32], derived[32];
    check_unhex("d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d", k, sizeof k);
    struct kdf_slice path = {"vms", 3};
    CHECK(kdf_derive(k, 32, &path, 1, derived, 32) == DSTACK_OK);
    CHECK(memcmp(derived, seed, 32) == 0);
    return check_exit();
}
