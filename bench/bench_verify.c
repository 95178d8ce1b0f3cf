/* Figure 10: DCAP verification per quote, ours (dstack_dcap_verify, the collateral JSON parsed
 * each time) against @phala/dcap-qvl (node, JSON.parse + verify) on the same real TDX sample,
 * collateral and time, in the same run. Target: ours >= 5x faster. Rounds alternate the two
 * and the medians are compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dstack/verify.h>

#include "bench_util.h"

#define ROUNDS 3
#define SAMPLE_NOW "1751328000" /* 2025-07-01, inside the sample collateral's validity */
#define QUOTE DSTACK_FIXTURE_DIR "/dcap-qvl/tdx_quote"
#define COLLATERAL DSTACK_FIXTURE_DIR "/dcap-qvl/tdx_quote_collateral.json"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b != NULL && fread(b, 1, (size_t)n, f) == (size_t)n) {
        b[n] = '\0';
        *len = (size_t)n;
    } else {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static double ours_us(const char *q, size_t qlen, const char *cj, size_t clen, uint64_t n)
{
    struct dstack_dcap_report rep;
    double t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        struct dstack_collateral *col = NULL;
        if (dstack_collateral_from_json(cj, clen, &col) != DSTACK_OK ||
            dstack_dcap_verify((const uint8_t *)q, qlen, col, strtoull(SAMPLE_NOW, NULL, 10), NULL,
                               &rep) != DSTACK_OK) {
            fprintf(stderr, "bench_verify: the sample does not verify\n");
            exit(1);
        }
        dstack_collateral_free(col);
    }
    return (bench_now() - t0) * 1e6 / (double)n;
}

static double js_us(uint64_t n)
{
    char cmd[2048], line[256] = "";
    snprintf(cmd, sizeof cmd, "node %s/dcap_bench.mjs %s %s %s %s %llu", DSTACK_BENCH_JS_DIR,
             DSTACK_VERIFIER_COMPAT_DIR, QUOTE, COLLATERAL, SAMPLE_NOW, (unsigned long long)n);
    FILE *p = popen(cmd, "r");
    if (p == NULL || fgets(line, sizeof line, p) == NULL) {
        if (p != NULL) {
            pclose(p);
        }
        return -1;
    }
    pclose(p);
    const char *v = strstr(line, "\"per_quote_us\":");
    return v ? strtod(v + strlen("\"per_quote_us\":"), NULL) : -1;
}

int main(void)
{
    size_t qlen = 0, clen = 0;
    char *q = slurp(QUOTE, &qlen), *cj = slurp(COLLATERAL, &clen);
    char pkg[512], measured[160];
    snprintf(pkg, sizeof pkg, "%s/node_modules/@phala/dcap-qvl/package.json",
             DSTACK_VERIFIER_COMPAT_DIR);
    if (q == NULL || cj == NULL || access(pkg, R_OK) != 0) {
        bench_row("10. DCAP verify vs @phala/dcap-qvl",
                  "missing sample or npm ci in tests/verifier", ">= 5x", false);
        return 3;
    }
    double ours[ROUNDS], js[ROUNDS];
    uint64_t n_ours = bench_scaled(2000), n_js = bench_scaled(200);
    for (int r = 0; r < ROUNDS; r++) {
        ours[r] = ours_us(q, qlen, cj, clen, n_ours ? n_ours : 1);
        js[r] = js_us(n_js ? n_js : 1);
    }
    double o = bench_median(ours, ROUNDS), j = bench_median(js, ROUNDS);
    snprintf(measured, sizeof measured, "ours %.0f us, dcap-qvl %.0f us per quote: %.1fx", o, j,
             o > 0 ? j / o : 0);
    bool pass = j > 0 && o > 0 && j / o >= 5.0;
    bench_row("10. DCAP verify per quote vs @phala/dcap-qvl", measured, ">= 5x", pass);
    free(q);
    free(cj);
    return pass ? 0 : 3;
}
