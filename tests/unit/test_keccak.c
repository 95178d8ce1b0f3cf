/* Legacy Keccak-256/384/512 and the SHA-2/SHA-3 helpers (docs/api/Sign.md, vectors computed with
 * upstream's code). */
#include <string.h>

#include <dstack/crypto.h>

#include "check.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"

/* Bytes 0, 1, 2, ... (mod 256): inputs that straddle the rate of each variant. */
static void counting(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)i;
    }
}

static void digest(size_t outlen, const void *p, size_t n, uint8_t *out)
{
    if (outlen == 32) {
        keccak256(p, n, out);
    } else if (outlen == 48) {
        keccak384(p, n, out);
    } else {
        keccak512(p, n, out);
    }
}

int main(void)
{
    /* Known answers. "[noble]" = @noble/hashes 1.8 keccak_256/384/512 over counting bytes. */
    static const struct {
        size_t outlen;
        const char *text; /* NULL: use `counting` bytes of length n */
        size_t n;
        const char *want;
    } kat[] = {
        /* Keccak team / Ethereum: empty input (docs/api/Sign.md) */
        {32, "", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
        {48, "", 0,
         "2c23146a63a29acf99e73b88f8c24eaa7dc60aa771780ccc006afbfa8fe2479b2dd2b21362337441ac12b5159"
         "11957ff"},
        {64, "", 0,
         "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304c00fa9caf9d87976ba469bcbe"
         "06713b435f091ef2769fb160cdab33d3670680e"},
        {32, "abc", 3, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
        {32, "The quick brown fox jumps over the lazy dog", 43,
         "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"},
        /* computed with upstream's code: report data of content "test" with tag "app-data" */
        {32, "app-data:test", 13,
         "b877945563d5025eec520b6bb150efcf4c368c491ff1947529be3125d4e5ecb6"},
        {48, "app-data:test", 13,
         "a551aba3b52b345ceeaba78660e95318fd404f947efa8ce16134a9d7dd370248c7a8cf4711dce74e8c4feb01a"
         "bb45ea9"},
        {64, "app-data:test", 13,
         "6dd564fe70580e2476e2ecb78ba5f994b83f8178064257bba498dcab267c5c75135c6b8f268d93415ac8662db"
         "5104abccd51d30c0500da684a7550ae3f3b71c7"},
        /* [noble] block boundaries: rate 136 (256), 104 (384), 72 (512) */
        {32, NULL, 135, "cbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62"},
        {32, NULL, 136, "7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e"},
        {32, NULL, 137, "ac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db"},
        {32, NULL, 272, "fdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e"},
        {32, NULL, 1000, "aca79e4146e30eb1c733f6d6060d72471c36ea4e01ebf45d7f4916249c2bbd82"},
        {48, NULL, 103,
         "594b7f9a689485dba9802ed9f13e986b0b9bb83b448d402a37a628fedbeee0783b1d03c8a9a211fe9d8269a6a"
         "45ad0a1"},
        {48, NULL, 104,
         "7f6de44434fc3011507c34186e81e80174f82052f4c63e67b85fc82835ec7659a767052484569835c98bcdc82"
         "c785e3f"},
        {48, NULL, 105,
         "1480a097d5c3cc04b85bfba18666c3fd5f246744f8798f247f3c107187d8899a2711edd8aa5cfcaf77b9f3345"
         "0c8d785"},
        {64, NULL, 71,
         "fe0953f9afdffed7ff9764c2590ff0e6af1b0689e42ddca68d6ef003ddce2671b806e0d2e6d57117bb75ad616"
         "6e2e990ca662b6a7f8945584f5308459eabae15"},
        {64, NULL, 72,
         "76fa23369085405345fe6a2831f334113bee6b111056e21072082af56e7c1ab4458858dbdb5f88e0d86d38ca6"
         "54310c9a30712319c1f4f9783fe9f3ac0469527"},
        {64, NULL, 73,
         "e417b9573c871d948d48f62f6b16ea6cd1f1557a462ff5c1ae276d14d2fb43cd7084631656bf60f4ceb881133"
         "113d304335bd93487e8ec3e845ebc3c1877ca12"},
    };
    uint8_t buf[1000], out[64], out2[64];

    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        const void *p = kat[i].text;
        if (p == NULL) {
            counting(buf, kat[i].n);
            p = buf;
        }
        digest(kat[i].outlen, p, kat[i].n, out);
        CHECK_HEX(out, kat[i].outlen, kat[i].want);

        /* The same bytes fed in uneven pieces give the same digest. */
        struct keccak_ctx kc;
        keccak_init(&kc, kat[i].outlen);
        const uint8_t *q = p;
        size_t left = kat[i].n, step = 1;
        while (left > 0) {
            size_t take = step < left ? step : left;
            keccak_update(&kc, q, take);
            q += take;
            left -= take;
            step = step * 3 + 1;
        }
        keccak_final(&kc, out2);
        CHECK(memcmp(out, out2, kat[i].outlen) == 0);
    }

    /* Keccak is not SHA3: same input, different padding. */
    uint8_t sha3[32];
    CHECK(hash_digest(HASH_SHA3_256, "", 0, sha3) == DSTACK_OK);
    CHECK_HEX(sha3, 32, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    keccak256("", 0, out);
    CHECK(memcmp(out, sha3, 32) != 0);

    /* The public wrapper is the same function. */
    dstack_keccak256("abc", 3, out);
    CHECK_HEX(out, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");

    /* An unsupported output length falls back to 256 rather than overrunning. */
    struct keccak_ctx kc;
    keccak_init(&kc, 20);
    CHECK(kc.outlen == 32 && kc.rate == 136);

    /* SHA-2 / SHA-3 helpers (vectors computed with upstream's code, FIPS 180-4 "abc"). */
    static const struct {
        enum hash_alg alg;
        const char *in;
        const char *want;
    } sha[] = {
        {HASH_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {HASH_SHA384, "abc",
         "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca13"
         "4c825a7"},
        {HASH_SHA512, "app-data:test",
         "1864e059be7e1ec12d9fe9da903d3711e0d72edab19f044cc9d6ac90c32b996b545a9979309bd19c36b803941"
         "e8e3485115e9b794001f2b9f367f6e03c52e532"},
        {HASH_SHA3_256, "app-data:test",
         "893acdd0162e33594df56553bea2079b99d7d562284f9eb7fd9458e2add81fe8"},
    };
    for (size_t i = 0; i < sizeof sha / sizeof sha[0]; i++) {
        CHECK(hash_digest(sha[i].alg, sha[i].in, strlen(sha[i].in), out) == DSTACK_OK);
        CHECK_HEX(out, hash_len(sha[i].alg), sha[i].want);
    }
    CHECK(hash_len(HASH_SHA3_384) == 48 && hash_len(HASH_SHA3_512) == 64);
    CHECK(hash_md((enum hash_alg)99) == NULL && hash_len((enum hash_alg)99) == 0);
    CHECK(hash_digest((enum hash_alg)99, "x", 1, out) == DSTACK_ECRYPTO);
    return check_exit();
}
