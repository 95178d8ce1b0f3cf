/* dcap_batch: our side of the differential suite and of the bench row.
 *   dcap_batch CASE_DIR            each case of CASE_DIR/cases.jsonl through dstack_dcap_verify;
 *                                  one JSON line per case: {"id","ok","status","advisory_ids",
 *                                  "reason"} (collateral parsed per case, as a relying party would)
 *   dcap_batch --bench QUOTE COLLATERAL NOW N
 *                                  N verifications of one quote; prints {"per_quote_us": x} */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dstack/verify.h>

#include "json/json.h"

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "dcap_batch: cannot read %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        exit(2);
    }
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static cJSON *run_one(const char *dir, const cJSON *c)
{
    size_t qlen, clen, rlen = 0;
    char *q = slurp(dir, json_get_str(c, "quote"), &qlen);
    char *cj = slurp(dir, json_get_str(c, "collateral"), &clen);
    const char *root_name = json_get_str(c, "root");
    char *root = root_name ? slurp(dir, root_name, &rlen) : NULL;
    uint64_t now = 0;
    json_u64(json_get(c, "now"), &now);
    struct dstack_dcap_options opts = {(const uint8_t *)root, rlen};
    struct dstack_collateral *col = NULL;
    struct dstack_dcap_report rep;
    dstack_err err = dstack_collateral_from_json(cj, clen, &col);
    if (err == DSTACK_OK) {
        err = dstack_dcap_verify((uint8_t *)q, qlen, col, now, root ? &opts : NULL, &rep);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(json_get(c, "id"), 0));
    cJSON_AddBoolToObject(o, "ok", err == DSTACK_OK);
    if (err == DSTACK_OK) {
        cJSON_AddStringToObject(o, "status", rep.status);
        cJSON *ids = cJSON_AddArrayToObject(o, "advisory_ids");
        for (size_t i = 0; i < rep.advisory_count; i++) {
            cJSON_AddItemToArray(ids, cJSON_CreateString(rep.advisory_ids[i]));
        }
    } else {
        cJSON_AddStringToObject(o, "reason", dstack_last_error());
    }
    dstack_collateral_free(col);
    free(q);
    free(cj);
    free(root);
    return o;
}

static int batch(const char *dir)
{
    size_t len;
    char *all = slurp(dir, "cases.jsonl", &len);
    for (char *line = all, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        size_t n = next ? (size_t)(next - line) : strlen(line);
        next = next ? next + 1 : NULL;
        cJSON *c = json_parse(line, n, 0, NULL);
        if (c == NULL) {
            fprintf(stderr, "dcap_batch: bad manifest line\n");
            return 2;
        }
        cJSON *o = run_one(dir, c);
        char *text = cJSON_PrintUnformatted(o);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(o);
        json_free(c);
    }
    free(all);
    return 0;
}

static int bench(const char *qpath, const char *cpath, const char *now_text, const char *n_text)
{
    size_t qlen, clen;
    char *q = slurp(NULL, qpath, &qlen), *cj = slurp(NULL, cpath, &clen);
    uint64_t now = strtoull(now_text, NULL, 10);
    long n = strtol(n_text, NULL, 10);
    struct dstack_dcap_report rep;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        struct dstack_collateral *col = NULL;
        if (dstack_collateral_from_json(cj, clen, &col) != DSTACK_OK ||
            dstack_dcap_verify((uint8_t *)q, qlen, col, now, NULL, &rep) != DSTACK_OK) {
            fprintf(stderr, "dcap_batch: the bench quote does not verify\n");
            return 1;
        }
        dstack_collateral_free(col);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3);
    printf("{\"per_quote_us\": %.1f, \"n\": %ld, \"status\": \"%s\"}\n", us / (double)n, n,
           rep.status);
    free(q);
    free(cj);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2) {
        return batch(argv[1]);
    }
    if (argc == 6 && strcmp(argv[1], "--bench") == 0) {
        return bench(argv[2], argv[3], argv[4], argv[5]);
    }
    fprintf(stderr, "usage: dcap_batch CASE_DIR | --bench QUOTE COLLATERAL NOW N\n");
    return 2;
}
