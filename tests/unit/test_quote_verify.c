/* dstack_quote_verify: accepts our simulated quotes under the simulator root, rejects every
 * single flipped byte, rejects other roots, and checks the real TDX quote fixture against the
 * Intel root carried in its own chain (signatures and chain only: no TCB collateral). */
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <dstack/quote.h>

#include "tee/sim_pck.h"
#include "check.h"
#include "util/error.h"

static struct quote_pki *make_pki(uint8_t fill)
{
    uint8_t seed[QUOTE_SEED_LEN];
    memset(seed, fill, sizeof seed);
    struct quote_pki *pki = NULL;
    CHECK(quote_pki_new(seed, &pki) == DSTACK_OK);
    return pki;
}

static void test_simulated(void)
{
    struct quote_pki *pki = make_pki(0x31), *other = make_pki(0x32);
    if (pki == NULL || other == NULL) {
        return;
    }
    const char *root = quote_pki_root_pem(pki);
    struct quote_td td;
    quote_td_defaults(&td);
    memset(td.rtmr[3], 0x33, sizeof td.rtmr[3]);
    uint8_t rd[64] = "report data";
    uint8_t *q = NULL;
    size_t len = 0;
    CHECK(quote_build_v4(pki, &td, rd, &q, &len) == DSTACK_OK);
    err_clear();
    CHECK(dstack_quote_verify(q, len, root, strlen(root)) == DSTACK_OK);
    CHECK_STR(err_text(), ""); /* a success sets no text */

    /* Another seed's root: the chain does not end there. */
    const char *wrong = quote_pki_root_pem(other);
    CHECK(dstack_quote_verify(q, len, wrong, strlen(wrong)) == DSTACK_EVERIFY);
    CHECK_STR(err_text(), "PCK chain does not end at the trusted root");

    /* A root certificate re-issued for the same key (another run of the simulator, or the
     * other seed's pki re-made with the same seed) is accepted: trust is in the root key. */
    struct quote_pki *again = make_pki(0x31);
    const char *root2 = again ? quote_pki_root_pem(again) : "";
    CHECK(strcmp(root2, root) != 0); /* fresh ECDSA signature */
    CHECK(dstack_quote_verify(q, len, root2, strlen(root2)) == DSTACK_OK);
    quote_pki_free(again);

    /* Every single flipped byte is rejected. */
    size_t accepted = 0;
    for (size_t i = 0; i < len; i++) {
        q[i] ^= 0x01;
        if (dstack_quote_verify(q, len, root, strlen(root)) == DSTACK_OK) {
            fprintf(stderr, "flip at %zu accepted\n", i);
            accepted++;
        }
        q[i] ^= 0x01;
    }
    CHECK(accepted == 0);
    /* and a few other bit positions across every region */
    static const size_t offsets[] = {0,   5,   30,  100,  200,  520,  600,  631, 640,
                                     710, 765, 800, 1160, 1230, 1300, 2000, 3000};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        for (uint8_t bit = 2; bit != 0; bit = (uint8_t)(bit << 1)) {
            q[offsets[i]] ^= bit;
            accepted += dstack_quote_verify(q, len, root, strlen(root)) == DSTACK_OK;
            q[offsets[i]] ^= bit;
        }
    }
    CHECK(accepted == 0);
    CHECK(dstack_quote_verify(q, len, root, strlen(root)) == DSTACK_OK);

    /* Truncated quotes, a quote with trailing bytes (accepted: QGS pads), bad roots. */
    CHECK(dstack_quote_verify(q, len - 1, root, strlen(root)) == DSTACK_EFORMAT);
    CHECK(dstack_quote_verify(q, 631, root, strlen(root)) == DSTACK_EFORMAT);
    uint8_t *padded = calloc(1, len + 70);
    memcpy(padded, q, len);
    CHECK(dstack_quote_verify(padded, len + 70, root, strlen(root)) == DSTACK_OK);
    free(padded);
    CHECK(dstack_quote_verify(q, len, "not a pem", 9) == DSTACK_EINVAL);
    CHECK(dstack_quote_verify(q, len, NULL, 0) == DSTACK_EINVAL);

    /* Report data is signed: a patched quote (what upstream's simulator serves) fails. */
    q[568] ^= 0xff;
    CHECK(dstack_quote_verify(q, len, root, strlen(root)) == DSTACK_EVERIFY);
    CHECK_STR(err_text(), "quote signature is invalid");
    free(q);
    quote_pki_free(pki);
    quote_pki_free(other);
}

/* The root is the last PEM block of the quote's own chain. */
static char *last_pem(const uint8_t *chain, size_t len)
{
    const char *begin = NULL;
    for (size_t i = 0; i + 27 <= len; i++) {
        if (memcmp(chain + i, "-----BEGIN CERTIFICATE-----", 27) == 0) {
            begin = (const char *)chain + i;
        }
    }
    if (begin == NULL) {
        return NULL;
    }
    size_t n = len - (size_t)(begin - (const char *)chain);
    char *out = malloc(n + 1);
    memcpy(out, begin, n);
    out[n] = '\0';
    return out;
}

static void test_real_fixture(void)
{
    size_t len = 0;
    uint8_t *q = (uint8_t *)check_read_file(check_fixture("upstream/tdx/tdx_quote.bin"), &len);
    struct dstack_quote p;
    CHECK(q != NULL && dstack_quote_parse(q, len, &p) == DSTACK_OK);
    char *root = last_pem(p.pck_chain, p.pck_chain_len);
    CHECK(root != NULL && strstr(root, "-----END CERTIFICATE-----") != NULL);
    err_clear();
    dstack_err err = dstack_quote_verify(q, len, root, strlen(root));
    if (err != DSTACK_OK) {
        fprintf(stderr, "real quote: %s\n", err_text());
    }
    CHECK(err == DSTACK_OK);

    /* Intel's root really is "Intel SGX Root CA". */
    BIO *bio = BIO_new_mem_buf(root, -1);
    X509 *rc = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    char cn[128] = "";
    if (rc != NULL) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(rc), NID_commonName, cn, sizeof cn);
    }
    CHECK_STR(cn, "Intel SGX Root CA");
    X509_free(rc);
    BIO_free(bio);

    /* Corruptions of the real quote in each signed region. */
    static const size_t offsets[] = {4, 200, 568, 631, 640, 720, 800, 1200, 1230};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        q[offsets[i]] ^= 0x80;
        CHECK(dstack_quote_verify(q, len, root, strlen(root)) != DSTACK_OK);
        q[offsets[i]] ^= 0x80;
    }
    /* Our simulator's root does not anchor Intel's chain. */
    struct quote_pki *pki = make_pki(0x31);
    if (pki != NULL) {
        const char *sim_root = quote_pki_root_pem(pki);
        CHECK(dstack_quote_verify(q, len, sim_root, strlen(sim_root)) == DSTACK_EVERIFY);
        quote_pki_free(pki);
    }
    free(root);
    free(q);
}

int main(void)
{
    test_simulated();
    test_real_fixture();
    return check_exit();
}
