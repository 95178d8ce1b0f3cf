/* HKDF-SHA256 with salt "RATLS" (upstream dstack/ra-tls/src/kdf.rs, docs/api/GetKey.md). */
#include <string.h>

#include "check.h"
#include "crypto/kdf.h"
#include "util/hex.h"

#define SIM_K256 "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"
#define UNIT_K256 "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"

int main(void)
{
    /* One info slice (the path), 32 bytes out: GetKey's key. */
    static const struct {
        const char *ikm;
        const char *info;
        const char *want;
    } one[] = {
        /* [computed] ikm 00..1f, empty info */
        {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "",
         "8d48a799fe1f635d802f1aeeded950ca3b387f7b4eadfc7c98af4186190b9449"},
        /* tests/vectors/keys.md / docs/api/GetKey.md: the simulator's k256_key and GetKey paths */
        {SIM_K256, "", "aa221ae548b5a8f52fcb8687cfd873712f6a1232b2717e5ee3d58ab74f21905b"},
        {SIM_K256, "/test/path",
         "b9fbb7171185c421c58610a2acba8ceae93623ae47815618cbad1e98fc042cb7"},
        {SIM_K256, "vms", "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2"},
        {SIM_K256, "test", "133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8"},
        {SIM_K256, "my/path", "d30f18bd6ff895e190f41f86009d502748f1da5a8b8ee504d784bd313b08570e"},
        {SIM_K256, "my/key/path",
         "866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0"},
        {SIM_K256, "/", "f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d"},
        {SIM_K256, "/test", "5659d67867ac5487dc181b88d96abf4749728a6282100684d48a04a304e5a06d"},
        {SIM_K256, "test/wallet",
         "143a1b5adb60fb8a1b39c908d98bdecf11e748f79034e09a4af94712baa93cd5"},
        /* tests/vectors/keys.md: upstream's unit-test key (rpc_service.rs:L1125-1155), path "vms"
         */
        {UNIT_K256, "vms", "9db79b3fefe69f2a7b7efbc908c854bf845a629023361f2c9cb3db09fb99010f"},
    };
    uint8_t ikm[64], out[96], out2[96];
    struct secret32 prk;

    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        size_t ikm_len = check_unhex(one[i].ikm, ikm, sizeof ikm);
        struct kdf_slice info = {one[i].info, strlen(one[i].info)};
        CHECK(kdf_derive(ikm, ikm_len, &info, 1, out, 32) == DSTACK_OK);
        CHECK_HEX(out, 32, one[i].want);
        /* extract once + expand per path = the one-shot derivation */
        CHECK(kdf_extract(ikm, ikm_len, &prk) == DSTACK_OK);
        CHECK(kdf_expand(&prk, &info, 1, out2, 32) == DSTACK_OK);
        CHECK(memcmp(out, out2, 32) == 0);
    }

    /* Slices are concatenated without separators: [repo-test] kdf.rs:L118-147 derives the P-256
     * scalar b60ac47b... from the root scalar with ["context one", "context two"]. */
    size_t n = check_unhex("f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1", ikm,
                           sizeof ikm);
    struct kdf_slice two[] = {{"context one", 11}, {"context two", 11}};
    CHECK(kdf_derive(ikm, n, two, 2, out, 32) == DSTACK_OK);
    CHECK_HEX(out, 32, "b60ac47b8fcfbdf96031b9e94f0b60cfe9de05eccb5a1dca41a26f757833c0e7");
    struct kdf_slice joined = {"context onecontext two", 22};
    CHECK(kdf_derive(ikm, n, &joined, 1, out2, 32) == DSTACK_OK);
    CHECK(memcmp(out, out2, 32) == 0);
    struct kdf_slice with_empty[] = {{"", 0}, {"context one", 11}, {NULL, 0}, {"context two", 11}};
    CHECK(kdf_derive(ikm, n, with_empty, 4, out2, 32) == DSTACK_OK);
    CHECK(memcmp(out, out2, 32) == 0);

    /* Long infos take the heap path ([computed] Python cryptography 48 HKDF). */
    static char big[4000];
    n = check_unhex(SIM_K256, ikm, sizeof ikm);
    memset(big, 'a', 600);
    struct kdf_slice b600 = {big, 600};
    CHECK(kdf_derive(ikm, n, &b600, 1, out, 32) == DSTACK_OK);
    CHECK_HEX(out, 32, "5047782fb5391d82e52f893293d02ac11b135cbd7ac9f184ee36000bc78f8802");
    memset(big, '/', sizeof big);
    struct kdf_slice b4000[] = {{big, 1000}, {big, 3000}};
    CHECK(kdf_derive(ikm, n, b4000, 2, out, 32) == DSTACK_OK);
    CHECK_HEX(out, 32, "904abd61f3a1e3b9989d18748a7e6e1b4d391b13c960f80516959ce12a49e7b8");

    /* Either side of the length where OpenSSL's HKDF hands over to the streamed expand, a
     * multi-block output from the streamed path, and a path far above OpenSSL's own limit
     * ([computed] Python cryptography 48 HKDF). */
    static char q[2000];
    memset(q, 'q', sizeof q);
    static const struct {
        size_t info_len, out_len;
        const char *want;
    } longs[] = {
        {1024, 32, "f0c8bb1baadd3f7342e601b901a8a3a831760eb8d87009e0dcb7f44ec660b68c"},
        {1025, 32, "5a3a85276a04cb447f708f611b84622fa597e12aa23d2c99bdd4dc35c3d63036"},
        {2000, 80,
         "c1017b6c4f3a3b8d4431ff552bb124b9da5a1fca86c96216e4fada97f2d2798ea16d41b9d6ed888155444cc63"
         "f9c3b383697c296559b52e38fde716280ba6efe62175390273b070c1dc469a7076e8198"},
    };
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
        struct kdf_slice qs = {q, longs[i].info_len};
        CHECK(kdf_derive(ikm, n, &qs, 1, out, longs[i].out_len) == DSTACK_OK);
        CHECK_HEX(out, longs[i].out_len, longs[i].want);
        CHECK(kdf_extract(ikm, n, &prk) == DSTACK_OK);
        CHECK(kdf_expand(&prk, &qs, 1, out2, 32) == DSTACK_OK);
        CHECK(memcmp(out, out2, 32) == 0);
    }
    char *huge = malloc(100000);
    memset(huge, 'p', 100000);
    struct kdf_slice hs = {huge, 100000};
    CHECK(kdf_derive(ikm, n, &hs, 1, out, 32) == DSTACK_OK);
    CHECK_HEX(out, 32, "39da1f11b2ea7f07c56f52724388b7b985865404fc3b198e6598d95c884c3852");
    free(huge);

    /* Empty IKM and a 64-byte output ([computed] Python cryptography). */
    struct kdf_slice x = {"x", 1};
    CHECK(kdf_derive(NULL, 0, &x, 1, out, 64) == DSTACK_OK);
    CHECK_HEX(out, 64,
              "05fe9e04cd6be60449a281282468121f3f13d099fb0f8b31d8dd4f9071c3d7f5728468ea2c0a9e6f2d5d"
              "a9ff179c8055c5ef8d25f3df4eb5d086994de1ac811e");

    /* Bad lengths: refused, output wiped. */
    memset(out, 0xaa, sizeof out);
    CHECK(kdf_derive(ikm, n, &x, 1, out, 0) == DSTACK_EINVAL);
    CHECK(kdf_derive(ikm, n, &x, 1, out, KDF_MAX_OUT + 1) == DSTACK_EINVAL);
    CHECK(kdf_expand(&prk, &x, 1, out, 0) == DSTACK_EINVAL);
    return check_exit();
}
