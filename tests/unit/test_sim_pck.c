/* The simulated quoting stack: quote layout, seed-derived keys (vectors computed independently
 * with Python + `openssl ec`), the QE report, the PCK chain and the root PEM file. */
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <dstack/quote.h>

#include "tee/sim_pck.h"
#include "check.h"
#include "util/error.h"

/* seed = 0x31 * 32 (upstream's mock-attestation test seed). Public keys x ‖ y of the scalars
 * SHA-256("dstack-mock-p256-v1" ‖ seed ‖ label ‖ 00000000). */
static const char root_pub_hex[] =
    "8afafcdc8362b9f56fdeab940ec18cb13cc1a78eff69248567a2b534d940bff0"
    "c22d8b54b408663705e7267104eb34bf0ac69914996c5614143dc77f5b993200";
static const char ak_pub_hex[] = "85adaa0957d57cc3fe5727159e90d7b5187f9c1e5563261aec8bc753a77e50e6"
                                 "c95ca91021bbbb9a3d2c93f54a8923e912727b3c438c0c2b55355e87d00d1605";

static void fill_td(struct quote_td *td)
{
    quote_td_defaults(td);
    for (size_t i = 0; i < DSTACK_MR_LEN; i++) {
        td->mr_td[i] = (uint8_t)i;
        td->mr_config_id[i] = (uint8_t)(0x40 + i);
        for (size_t r = 0; r < 4; r++) {
            td->rtmr[r][i] = (uint8_t)(0x10 * (r + 1) + i);
        }
    }
    td->xfam[0] = 0xe7;
}

static size_t count_certs(const char *pem)
{
    size_t n = 0;
    for (const char *p = pem; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL; p++) {
        n++;
    }
    return n;
}

static void test_layout(const struct quote_pki *pki)
{
    struct quote_td td;
    fill_td(&td);
    uint8_t rd[64];
    for (size_t i = 0; i < 64; i++) {
        rd[i] = (uint8_t)(0xc0 ^ i);
    }
    uint8_t *q = NULL;
    size_t len = 0;
    CHECK(quote_build_v4(pki, &td, rd, &q, &len) == DSTACK_OK);
    struct dstack_quote p;
    CHECK(dstack_quote_parse(q, len, &p) == DSTACK_OK);
    CHECK(p.end == len);                          /* no padding after the signature data */
    CHECK_HEX(q, 12, "040002008100000001000000"); /* v4, ECDSA-P256, TDX, qe_svn 1, pce_svn 0 */
    CHECK_HEX(p.header.qe_vendor_id, 16, "939a7233f79c4ca9940a0db3957f0607");
    CHECK(memcmp(p.report.mr_td, td.mr_td, 48) == 0);
    CHECK(memcmp(p.report.mr_config_id, td.mr_config_id, 48) == 0);
    CHECK(memcmp(p.report.rtmr, td.rtmr, sizeof td.rtmr) == 0);
    CHECK(memcmp(p.report.report_data, rd, 64) == 0);
    CHECK(memcmp(q + 568, rd, 64) == 0);
    CHECK_HEX(p.report.td_attributes, 8, "0000001000000000");
    CHECK_HEX(p.report.xfam, 8, "e700000000000000");
    static const uint8_t zero48[48];
    CHECK(memcmp(p.report.mr_signer_seam, zero48, 48) == 0);
    CHECK_HEX(p.attest_key, 64, ak_pub_hex);
    /* QE report: mr_signer 0x44*32, isv_prod_id 1, isv_svn 1. */
    CHECK(p.qe_report[DSTACK_QE_OFF_MR_SIGNER] == 0x44 &&
          p.qe_report[DSTACK_QE_OFF_MR_SIGNER + 31] == 0x44);
    CHECK(p.qe_report[DSTACK_QE_OFF_ISV_PROD_ID] == 1 && p.qe_report[DSTACK_QE_OFF_ISV_SVN] == 1);
    CHECK(p.qe_auth_len == 32);
    CHECK(p.pck_cert_type == 5);
    CHECK(p.pck_chain_len == strlen(quote_pki_chain_pem(pki)));
    CHECK(memcmp(p.pck_chain, quote_pki_chain_pem(pki), p.pck_chain_len) == 0);
    free(q);

    /* A quote per call: same fields, fresh ECDSA signature. */
    uint8_t *q2 = NULL;
    size_t len2 = 0;
    CHECK(quote_build_v4(pki, &td, rd, &q2, &len2) == DSTACK_OK);
    CHECK(len2 == len);
    free(q2);
    CHECK(quote_build_v4(NULL, &td, rd, &q2, &len2) == DSTACK_EINVAL);
}

static void test_chain(const struct quote_pki *pki)
{
    const char *chain = quote_pki_chain_pem(pki);
    CHECK(count_certs(chain) == 3);
    CHECK(count_certs(quote_pki_root_pem(pki)) == 1);
    /* The root is the chain's last certificate. */
    const char *root = quote_pki_root_pem(pki);
    size_t rl = strlen(root), cl = strlen(chain);
    CHECK(cl > rl && strcmp(chain + cl - rl, root) == 0);

    BIO *bio = BIO_new_mem_buf(root, -1);
    X509 *rc = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    CHECK(rc != NULL);
    EVP_PKEY *k = rc ? X509_get0_pubkey(rc) : NULL;
    uint8_t pt[65];
    size_t ptl = 0;
    CHECK(k != NULL &&
          EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", pt, sizeof pt, &ptl) == 1);
    CHECK(ptl == 65);
    CHECK_HEX(pt + 1, 64, root_pub_hex);
    CHECK(rc != NULL && X509_check_ca(rc) == 1);
    CHECK(rc != NULL && X509_verify(rc, k) == 1);
    X509_free(rc);
    BIO_free(bio);
}

static void test_root_file(const struct quote_pki *pki)
{
    char dir[] = "/tmp/quote_build_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/tdx-root-ca.pem", dir);
    CHECK(quote_pki_write_root_pem(pki, path) == DSTACK_OK);
    FILE *f = fopen(path, "r");
    char buf[4096] = {0};
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) {
        fclose(f);
    }
    CHECK(n == strlen(quote_pki_root_pem(pki)));
    CHECK_STR(buf, quote_pki_root_pem(pki));
    unlink(path);

    /* A symlink at the old temporary name ("<path>.tmp.<pid>", opened with O_CREAT|O_TRUNC)
     * had the write go to its target; the file is now made through file_write_new. */
    char victim[300], planted[300];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(planted, sizeof planted, "%s.tmp.%ld", path, (long)getpid());
    FILE *vf = fopen(victim, "w");
    CHECK(vf != NULL && fputs("precious\n", vf) >= 0 && fclose(vf) == 0);
    CHECK(symlink(victim, planted) == 0);
    CHECK(quote_pki_write_root_pem(pki, path) == DSTACK_OK);
    char *v = check_read_text(victim);
    CHECK_STR(v, "precious\n");
    free(v);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
    CHECK(lstat(planted, &st) == 0 && S_ISLNK(st.st_mode));
    unlink(planted);
    unlink(victim);
    unlink(path);
    rmdir(dir);

    err_clear();
    CHECK(quote_pki_write_root_pem(pki, "/nonexistent-dir/x.pem") == DSTACK_EIO);
    CHECK(strstr(err_text(), "/nonexistent-dir/x.pem") != NULL);
}

static void test_seed(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"3131313131313131313131313131313131313131313131313131313131313131",
         "3131313131313131313131313131313131313131313131313131313131313131"},
        /* anything else: SHA-256 of the text */
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t s[32];
        CHECK(quote_seed_from_string(cases[i].in, s) == DSTACK_OK);
        CHECK_HEX(s, 32, cases[i].want);
    }
}

int main(void)
{
    uint8_t seed[QUOTE_SEED_LEN];
    memset(seed, 0x31, sizeof seed);
    struct quote_pki *pki = NULL;
    CHECK(quote_pki_new(seed, &pki) == DSTACK_OK);
    if (pki == NULL) {
        return check_exit();
    }
    test_layout(pki);
    test_chain(pki);
    test_root_file(pki);
    test_seed();

    /* Another seed gives other keys. */
    struct quote_pki *other = NULL;
    seed[0] ^= 1;
    CHECK(quote_pki_new(seed, &other) == DSTACK_OK);
    CHECK(other != NULL && strcmp(quote_pki_root_pem(other), quote_pki_root_pem(pki)) != 0);
    quote_pki_free(other);
    quote_pki_free(pki);
    return check_exit();
}
