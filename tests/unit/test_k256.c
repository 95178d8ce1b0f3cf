/* secp256k1 through libsecp256k1 with upstream's conventions (docs/api/Sign.md, docs/api/GetKey.md,
 * docs/api/Verify.md, docs/simulator.md; vectors from upstream's tests and data). */
#include <string.h>

#include <secp256k1.h>

#include <dstack/crypto.h>

#include "check.h"
#include "crypto/hash.h"
#include "crypto/k256.h"
#include "crypto/kdf.h"
#include "crypto/keccak.h"
#include "util/hex.h"

#define SIM_K256 "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"
#define SIM_KMS_SIG                                                                                \
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc"      \
    "49a612496ce67223a12ac923f8efe330346dfc6c500"
#define SIM_APP_ID "5bb4ff9a3837357f19dc176407a5709c62eb6c56"
#define VMS_KEY "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2"
#define VMS_PUB "036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54"

/* out = n - s (for building a high-S twin of a low-S signature). */
static void negate_mod_n(const uint8_t s[32], uint8_t out[32])
{
    static const uint8_t n[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
        0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    };
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = n[i] - s[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

static void test_getkey_signatures(void)
{
    /* GetKey's sig0 = recoverable ECDSA by the app root key over keccak256(purpose ":" pubhex)
     * (tests/vectors/keys.md table, docs/api/GetKey.md table). pubhex is the compressed secp256k1
     * key of the derived key, or for ed25519 rows the Ed25519 key (checked in test_ed25519). */
    static const struct {
        const char *key; /* NULL for ed25519 rows: pubhex given */
        const char *purpose;
        const char *pubhex;
        const char *sig0;
    } rows[] = {
        {"aa221ae548b5a8f52fcb8687cfd873712f6a1232b2717e5ee3d58ab74f21905b", "",
         "027458ba47c31272b5076edebdc1ecdaedef806b10d76dd0a209cbd1fa14a3f9cf",
         "64ce2f1b381d04f7404fda78bdc942c314d89b7069d97eea1897e51b249dd3b1700995cbf7efe7ff04195dd6e"
         "31f153b702eeeeaffc5941510739dc39b9bd9cf01"},
        {"b9fbb7171185c421c58610a2acba8ceae93623ae47815618cbad1e98fc042cb7", "test-purpose",
         "02c1082e78670feed1c847db81dbd71be37e4d53200a746c0a89f0afa8173cf566",
         "f50c51735a97072f0c98125ed61fc84e2fdb36e95990b9e57337dadc0e2a9712227f04e07209faecb8891d59e"
         "c144a6c13e411dc90b3423f28071bd3fe11978d01"},
        {VMS_KEY, "signing", VMS_PUB,
         "51ec279eb0da3fb45335c2fd6badaf701905bf35f229912976c4ae3c9d649cf97f964473f2dce7118743bad84"
         "a6df707d11c9b5f0b38379204e14fd2c7baddba01"},
        {NULL, "signing", "698f56bd587d8ce3ca8db0e1c361ba9d190089f98dc4d9df800ff92ed073a65d",
         "d61ff204728dae76ba4e29313003433d533d069f9c98ebb3382104145f1c664c59fac4326a86420ec3f450303"
         "d3a675d595f546448076a464343bcc25143c4a300"},
        {NULL, "signing", "1cbb894af8792a8f6e1e9d58ae2a37364fd8e8378ce9d2300fab933b58aaa6cb",
         "d85afcef55a4be6b46dc03f2644537c6bbf29c1184472aa812012846c8352eaa414ea1d1bc7c4958257bbc19c"
         "bb4b1c7b4b1230f6356ccca5ccfd23375240d7801"},
        {"d30f18bd6ff895e190f41f86009d502748f1da5a8b8ee504d784bd313b08570e", "eth",
         "031516c03b742062ae5ae2a2a7afd7be347dd6a9265069f456a09a8ec8e9185fd3",
         "19fb4a86cb7f329e165a5446f98fdfe600e5b19368a17844d784172dbe76ec756055cf7a9389feceeef82337b"
         "fe062250d075f5dd03a3713ae84fca50a2e7bfe00"},
        {"866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0", "signing",
         "0327936f74b569370540b92cff37af615ecc339fd95504b35b782b850808b7de66",
         "4e9bccd54a86c85b72d04453183a9aa8c989861142cc5caf2cdba12f99e834c81c0117311cf290357f9db94b7"
         "9faba8074e3fe8764e6576a5fb657a89060fe3301"},
        {NULL, "signing", "a7b0b4abf5113055bae2a611c83870888855f83468502e8aba4557e9a9b6815d",
         "bdcf39cde546877d89884b708d82470d866b8f1abc6e6e67e1cb37c243eb45aa20984c8943eae83091655125c"
         "339b94108e9c4ae800e463b7fbae44cea26167300"},
    };
    uint8_t root[32], key[32], pub[33], digest[32], sig[65], rec[33], app_id[20], kms[65];
    uint8_t app_pub[33], kms_pub[33];
    check_unhex(SIM_K256, root, sizeof root);
    check_unhex(SIM_APP_ID, app_id, sizeof app_id);
    check_unhex(SIM_KMS_SIG, kms, sizeof kms);

    /* the app root public key (= Go test expectedAppPubkey) */
    CHECK(k256_pubkey(root, pub) == DSTACK_OK);
    CHECK_HEX(pub, 33, "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c");

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].key != NULL) {
            check_unhex(rows[i].key, key, sizeof key);
            CHECK(k256_pubkey(key, pub) == DSTACK_OK);
            CHECK_HEX(pub, 33, rows[i].pubhex);
        }
        struct keccak_ctx kc;
        keccak_init(&kc, 32);
        keccak_update(&kc, rows[i].purpose, strlen(rows[i].purpose));
        keccak_update(&kc, ":", 1);
        keccak_update(&kc, rows[i].pubhex, strlen(rows[i].pubhex));
        keccak_final(&kc, digest);
        CHECK(k256_sign_recoverable(root, digest, sig) == DSTACK_OK);
        CHECK_HEX(sig, 65, rows[i].sig0);
        CHECK(k256_recover(digest, sig, rec) == DSTACK_OK);
        CHECK_HEX(rec, 33, "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c");

        /* the public chain verifier recovers both links */
        uint8_t pk[33];
        size_t pk_len = check_unhex(rows[i].pubhex, pk, sizeof pk);
        CHECK(dstack_sig_chain_recover(rows[i].purpose, pk, pk_len, sig, 65, kms, 65, app_id, 20,
                                       app_pub, kms_pub) == DSTACK_OK);
        CHECK_HEX(app_pub, 33,
                  "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c");
        CHECK_HEX(kms_pub, 33,
                  "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6");
    }

    /* [repo-data] tests/vectors/keys.md: the KMS digest and signer of the simulator's
     * k256_signature. */
    struct keccak_ctx kc;
    keccak_init(&kc, 32);
    keccak_update(&kc, "dstack-kms-issued:", 18);
    keccak_update(&kc, app_id, 20);
    check_unhex("02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c", pub,
                sizeof pub);
    keccak_update(&kc, pub, 33);
    keccak_final(&kc, digest);
    CHECK_HEX(digest, 32, "1f1acc59bf7234477601c8abf24b462777d69b8497e91189bb4c4c0568308bf5");
    CHECK(k256_recover(digest, kms, rec) == DSTACK_OK);
    CHECK_HEX(rec, 33, "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6");

    /* Chain verification through the GetKey convenience, and its failures. */
    check_unhex("b9fbb7171185c421c58610a2acba8ceae93623ae47815618cbad1e98fc042cb7", key,
                sizeof key);
    check_unhex(rows[1].sig0, sig, sizeof sig);
    CHECK(dstack_get_key_chain_recover(key, "test-purpose", "secp256k1", sig, 65, kms, 65, app_id,
                                       20, app_pub, kms_pub) == DSTACK_OK);
    CHECK_HEX(kms_pub, 33, "0321529e458424ab1f710a3a57ec4dad2fb195ddca572f7469242ba6c7563085b6");
    /* wrong purpose: recovers *a* key, but not the app's */
    CHECK(dstack_get_key_chain_recover(key, "other", "secp256k1", sig, 65, kms, 65, app_id, 20,
                                       app_pub, kms_pub) == DSTACK_OK);
    CHECK(memcmp(app_pub, pub, 33) != 0);
    CHECK(dstack_get_key_chain_recover(key, "test-purpose", "rsa", sig, 65, kms, 65, app_id, 20,
                                       app_pub, kms_pub) == DSTACK_EUNSUPPORTED);
    CHECK(dstack_get_key_chain_recover(key, "test-purpose", "k256", sig, 64, kms, 65, app_id, 20,
                                       app_pub, kms_pub) == DSTACK_EINVAL);
    CHECK(dstack_get_key_chain_recover(key, "test-purpose", "", sig, 65, kms, 65, app_id, 19,
                                       app_pub, kms_pub) == DSTACK_EINVAL);
    sig[64] = 4; /* recovery id out of range */
    CHECK(dstack_get_key_chain_recover(key, "test-purpose", "", sig, 65, kms, 65, app_id, 20,
                                       app_pub, kms_pub) == DSTACK_EVERIFY);
    CHECK(k256_recover(digest, sig, rec) == DSTACK_EFORMAT);
}

static void test_kms_derivation(void)
{
    /* [computed] synthetic KMS root 32 x 0x11 issuing the app key for
     * ea549f02...b2ff: app_sk = HKDF(root, app_id || "app-key"), then "dstack-kms-issued". */
    uint8_t root[32], app_id[20], app_sk[32], app_pub[33], digest[32], sig[65];
    memset(root, 0x11, sizeof root);
    CHECK(k256_pubkey(root, app_pub) == DSTACK_OK);
    CHECK(app_pub[0] == 0x03);
    check_unhex("ea549f02e1a25fabd1cb788380e033ec5461b2ff", app_id, sizeof app_id);
    struct kdf_slice info[] = {{app_id, 20}, {"app-key", 7}};
    CHECK(kdf_derive(root, 32, info, 2, app_sk, 32) == DSTACK_OK);
    CHECK_HEX(app_sk, 32, "be074a5d2fd9556582d91a13459e16a775114e17442392da2e4bd966471883e7");
    CHECK(k256_pubkey(app_sk, app_pub) == DSTACK_OK);
    CHECK_HEX(app_pub, 33, "03bbb177c2d1f9e1347870548e13633140a5990f6d02f6b0b995101ea3ac0a06d3");
    struct keccak_ctx kc;
    keccak_init(&kc, 32);
    keccak_update(&kc, "dstack-kms-issued:", 18);
    keccak_update(&kc, app_id, 20);
    keccak_update(&kc, app_pub, 33);
    keccak_final(&kc, digest);
    CHECK(k256_sign_recoverable(root, digest, sig) == DSTACK_OK);
    CHECK_HEX(sig, 65,
              "e033ab8dd8fd15ff22474b9c5b7361a62e3f3380024905e434ee9eb957e7f8242203c5af3cabee526f85"
              "aee2184f5a53cef68d5928122b2b6039a2f66c71717b00");

    /* [repo-test] legacy env-encrypt pubkey signature (sdk python/js tests, vectors computed with
     * upstream's code). */
    uint8_t msg[26 + 20 + 32], pk[32], esig[65], rec[33];
    memcpy(msg, "dstack-env-encrypt-pubkey:", 26);
    memset(msg + 26, 0, 20);
    check_unhex("e33a1832c6562067ff8f844a61e51ad051f1180b66ec2551fb0251735f3ee90a", pk, sizeof pk);
    memcpy(msg + 46, pk, 32);
    keccak256(msg, sizeof msg, digest);
    check_unhex(
        "8542c49081fbf4e03f62034f13fbf70630bdf256a53032e38465a27c36fd6bed7a5e7111652004aef37f7fd9"
        "2fbfc1285212c4ae6a6154203a48f5e16cad2cef00",
        esig, sizeof esig);
    CHECK(k256_recover(digest, esig, rec) == DSTACK_OK);
    CHECK_HEX(rec, 33, "0217610d74cbd39b6143842c6d8bc310d79da1d82cc9d17f8876376221eda0c38f");
}

static void test_ethereum_vector(void)
{
    /* [repo-test of k256] ethereum_end_to_end_example (tests/vectors/keys.md). */
    uint8_t sk[32], msg[64], digest[32], sig[65];
    check_unhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", sk, sizeof sk);
    size_t n = check_unhex(
        "e9808504e3b29200831e848094f0109fc8df283027b6285cc889f5aa624eac1f55843b9aca0080018080", msg,
        sizeof msg);
    keccak256(msg, n, digest);
    CHECK(k256_sign_recoverable(sk, digest, sig) == DSTACK_OK);
    CHECK_HEX(sig, 65,
              "c9cf86333bcb065d140032ecaab5d9281bde80f21b9687b3e94161de42d51895727a108a0b8d10146541"
              "4033c3f705a9c7b826e596766046ee1183dbc8aeaa6800");
}

static void test_sign(void)
{
    /* Sign: r || s over SHA-256(data), or over a raw 32-byte digest (docs/api/Sign.md,
     * tests/vectors/keys.md, vectors computed with upstream's code), with the "vms" key. */
    static const struct {
        const char *data; /* text, SHA-256'd first; NULL: z given */
        const char *z;
        const char *want;
    } rows[] = {
        {"hello", NULL,
         "4c5f038f26c2294e6647926a2f93d9c377d82feb4a053ff0ad856b59c428d49a73d86c665ac0f10d9218e79bf"
         "1bdd035d145ccf43c3f2d76a27ce3d877c3b1fe"},
        {"hello dstack", NULL,
         "372ee0e4cf6c19c38762c8fdad740b221bb530d5c5346f8d95083f6e905e79ab02212b0d849c304764b4af0f9"
         "b5598e9e8cad053bdd6b51de3fd0869e9d35acb"},
        {NULL, "62def9deb63593d05474b22851c0616dbc10ca66aa4f93900ab923a0fa52c54f",
         "d79fbb0129ff07098837226231994646c809cda435f3783b2c752728e091e80b094145e622686554e6257e888"
         "8b99731e824315c46f7ddf85c07ec858bd6b869"},
        /* computed with upstream's code: z = 32 x ff >= n, RustCrypto's unreduced-nonce rule */
        {NULL, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "fc35de03dff94601683141bcdd8ca1e8491bbc2cb17f40401d8ebff1ff568ba464eb6c82ab8c01c9d0dd08607"
         "642385b9266f56ebfb94ad1cf8d300a842d2a3f"},
    };
    uint8_t sk[32], z[32], sig[64], pub[33], bad[65];
    bool valid;
    const char *what;
    check_unhex(VMS_KEY, sk, sizeof sk);
    check_unhex(VMS_PUB, pub, sizeof pub);

    static const char prehash_msg[] = "test message for secp256k1 prehashed";
    CHECK(hash_sha256(prehash_msg, strlen(prehash_msg), z) == DSTACK_OK);
    CHECK_HEX(z, 32, "62def9deb63593d05474b22851c0616dbc10ca66aa4f93900ab923a0fa52c54f");
    CHECK(hash_sha256("hello dstack", 12, z) == DSTACK_OK);
    CHECK_HEX(z, 32, "d535b845dcb8fe31d1a801bb0150b5c9194ff74fb02589f0feb72ff7928c8e09");

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].data != NULL) {
            CHECK(hash_sha256(rows[i].data, strlen(rows[i].data), z) == DSTACK_OK);
        } else {
            check_unhex(rows[i].z, z, sizeof z);
        }
        CHECK(k256_sign(sk, z, sig) == DSTACK_OK);
        CHECK_HEX(sig, 64, rows[i].want);
        CHECK(k256_verify(pub, 33, sig, 64, z, &valid, &what) == DSTACK_OK && valid);

        /* tampered signature or digest: well-formed, so valid = false rather than an error */
        memcpy(bad, sig, 64);
        bad[10] ^= 0x01;
        CHECK(k256_verify(pub, 33, bad, 64, z, &valid, &what) == DSTACK_OK && !valid);
        z[0] ^= 0x80;
        CHECK(k256_verify(pub, 33, sig, 64, z, &valid, &what) == DSTACK_OK && !valid);
        z[0] ^= 0x80;

        /* the high-S twin of a valid signature verifies false, as in k256 */
        memcpy(bad, sig, 64);
        negate_mod_n(sig + 32, bad + 32);
        CHECK(k256_verify(pub, 33, bad, 64, z, &valid, &what) == DSTACK_OK && !valid);
    }

    /* computed with upstream's code: libsecp256k1's default nonce (z reduced first) gives another
     * signature for z >= n; ours must not be that one. */
    memset(z, 0xff, sizeof z);
    secp256k1_ecdsa_signature raw;
    uint8_t dflt[64];
    CHECK(secp256k1_ecdsa_sign(k256_ctx(), &raw, z, sk, NULL, NULL) == 1);
    secp256k1_ecdsa_signature_serialize_compact(k256_ctx(), dflt, &raw);
    CHECK_HEX(dflt, 64,
              "b87d3717660a7aba921bdbfbb9850926457115cfdb9b4d74035f8e36f5dcf27a1a7bbf77dc6f68161877"
              "ac8874665a43b4c935f29aeee2c184a4127c178d3771");
    CHECK(k256_sign(sk, z, sig) == DSTACK_OK);
    CHECK(memcmp(sig, dflt, 64) != 0);
    /* both verify: a nonce rule only picks among valid signatures */
    CHECK(k256_verify(pub, 33, dflt, 64, z, &valid, &what) == DSTACK_OK && valid);
    CHECK(k256_ge_order(z));
    check_unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", z, sizeof z);
    CHECK(!k256_ge_order(z)); /* n - 1 */
    check_unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", z, sizeof z);
    CHECK(k256_ge_order(z)); /* n */
}

static void test_verify_inputs(void)
{
    uint8_t sk[32], z[32], sig[64], pub[33], full[65], bad[65];
    bool valid;
    const char *what;
    size_t len = sizeof full;
    secp256k1_pubkey pk;

    check_unhex(VMS_KEY, sk, sizeof sk);
    check_unhex(VMS_PUB, pub, sizeof pub);
    CHECK(hash_sha256("hello", 5, z) == DSTACK_OK);
    CHECK(k256_sign(sk, z, sig) == DSTACK_OK);

    /* uncompressed 04 || X || Y is accepted */
    CHECK(secp256k1_ec_pubkey_parse(k256_ctx(), &pk, pub, 33) == 1);
    secp256k1_ec_pubkey_serialize(k256_ctx(), full, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    CHECK(k256_verify(full, 65, sig, 64, z, &valid, &what) == DSTACK_OK && valid);
    /* hybrid 06/07 (accepted by libsecp256k1, not by k256) */
    memcpy(bad, full, 65);
    bad[0] = (uint8_t)(0x06 | (full[64] & 1));
    CHECK(k256_verify(bad, 65, sig, 64, z, &valid, &what) == DSTACK_EFORMAT);
    CHECK_STR(what, "public key");
    /* 0x05 "compact": X alone means the even-Y point; our key has odd Y (03) */
    memcpy(bad, pub, 33);
    bad[0] = 0x05;
    CHECK(k256_verify(bad, 33, sig, 64, z, &valid, &what) == DSTACK_OK && !valid);
    bad[0] = 0x02;
    CHECK(k256_verify(bad, 33, sig, 64, z, &valid, &what) == DSTACK_OK && !valid);

    /* malformed public keys */
    static const size_t bad_pub_lens[] = {0, 1, 32, 64, 66};
    memset(bad, 0x02, sizeof bad);
    for (size_t i = 0; i < sizeof bad_pub_lens / sizeof bad_pub_lens[0]; i++) {
        CHECK(k256_verify(bad, bad_pub_lens[i], sig, 64, z, &valid, &what) == DSTACK_EFORMAT);
        CHECK_STR(what, "public key");
    }
    CHECK(k256_verify(full + 1, 64, sig, 64, z, &valid, &what) == DSTACK_EFORMAT); /* X||Y */
    memset(bad, 0, sizeof bad);
    CHECK(k256_verify(bad, 33, sig, 64, z, &valid, &what) == DSTACK_EFORMAT); /* all zero */
    CHECK(k256_verify(bad, 1, sig, 64, z, &valid, &what) == DSTACK_EFORMAT);  /* identity */
    bad[0] = 0x04;
    CHECK(k256_verify(bad, 65, sig, 64, z, &valid, &what) == DSTACK_EFORMAT); /* off curve */
    memset(bad + 1, 0xff, 32);
    bad[0] = 0x02; /* X >= p */
    CHECK(k256_verify(bad, 33, sig, 64, z, &valid, &what) == DSTACK_EFORMAT);
    CHECK(k256_verify(NULL, 0, sig, 64, z, &valid, &what) == DSTACK_EFORMAT);

    /* malformed signatures: wrong length, r or s zero, r or s >= n */
    static const size_t bad_sig_lens[] = {0, 63, 65, 128};
    for (size_t i = 0; i < sizeof bad_sig_lens / sizeof bad_sig_lens[0]; i++) {
        memset(bad, 0x01, sizeof bad);
        CHECK(k256_verify(pub, 33, bad, bad_sig_lens[i], z, &valid, &what) == DSTACK_EFORMAT);
        CHECK_STR(what, "signature");
    }
    memcpy(bad, sig, 64);
    memset(bad, 0, 32);
    CHECK(k256_verify(pub, 33, bad, 64, z, &valid, &what) == DSTACK_EFORMAT);
    memcpy(bad, sig, 64);
    memset(bad + 32, 0, 32);
    CHECK(k256_verify(pub, 33, bad, 64, z, &valid, &what) == DSTACK_EFORMAT);
    memcpy(bad, sig, 64);
    memset(bad, 0xff, 32);
    CHECK(k256_verify(pub, 33, bad, 64, z, &valid, &what) == DSTACK_EFORMAT);
    memset(bad, 0, sizeof bad);
    CHECK(k256_verify(pub, 33, bad, 64, z, &valid, &what) == DSTACK_EFORMAT);

    /* secret keys: 0 and >= n are not scalars */
    memset(bad, 0, 32);
    CHECK(!k256_seckey_valid(bad));
    CHECK(k256_pubkey(bad, pub) == DSTACK_EINVAL);
    CHECK(k256_sign(bad, z, sig) == DSTACK_EINVAL);
    CHECK(k256_sign_recoverable(bad, z, full) == DSTACK_EINVAL);
    memset(bad, 0xff, 32);
    CHECK(!k256_seckey_valid(bad));
    CHECK(k256_seckey_valid(sk));
}

int main(void)
{
    CHECK(k256_ctx() != NULL);
    test_getkey_signatures();
    test_kms_derivation();
    test_ethereum_vector();
    test_sign();
    test_verify_inputs();
    return check_exit();
}
