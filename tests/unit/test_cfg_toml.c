/* The TOML subset reader (internal/config/cfg_toml.h) against the conformance set in
 * tests/fixtures/toml/: every valid/<name>.toml parses to the tree in valid/<name>.json (a
 * canonical dump, document order), every invalid/<name>.toml is refused with exactly the
 * "line L, column C: message" in invalid/<name>.err. Also the JSON reader (cfg_json.h) and the
 * unused-key walk. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_json.h"
#include "cfg_toml.h"
#include "check.h"

#define FIXTURES DSTACK_SOURCE_DIR "/tests/fixtures/toml"

struct out {
    char b[8192];
    size_t n;
};

static void put(struct out *o, const char *s, size_t len)
{
    if (len < sizeof o->b - o->n) {
        memcpy(o->b + o->n, s, len);
        o->n += len;
        o->b[o->n] = '\0';
    }
}

static void put_str(struct out *o, const char *s, size_t len)
{
    put(o, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
        const char *hit = s[i] != '\0' ? strchr(from, s[i]) : NULL;
        char esc[8];
        if (hit != NULL) {
            esc[0] = '\\';
            esc[1] = to[hit - from];
            put(o, esc, 2);
        } else if ((unsigned char)s[i] < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)s[i]);
            put(o, esc, 6);
        } else {
            put(o, &s[i], 1);
        }
    }
    put(o, "\"", 1);
}

static void dump(struct out *o, const struct cfg_node *n)
{
    char num[32];
    switch (n->type) {
    case CFG_TABLE:
    case CFG_ARRAY:
        put(o, n->type == CFG_TABLE ? "{" : "[", 1);
        for (size_t i = 0; i < n->n_items; i++) {
            if (i > 0) {
                put(o, ",", 1);
            }
            if (n->type == CFG_TABLE) {
                put_str(o, n->items[i]->key, strlen(n->items[i]->key));
                put(o, ":", 1);
            }
            dump(o, n->items[i]);
        }
        put(o, n->type == CFG_TABLE ? "}" : "]", 1);
        break;
    case CFG_STRING:
        put_str(o, n->str, n->str_len);
        break;
    case CFG_INT:
        snprintf(num, sizeof num, "%lld", (long long)n->num);
        put(o, num, strlen(num));
        break;
    case CFG_BOOL:
        put(o, n->flag ? "true" : "false", n->flag ? 4 : 5);
        break;
    }
}

static char *read_trimmed(const char *path)
{
    size_t len;
    char *s = check_read_file(path, &len);
    while (s != NULL && len > 0 && s[len - 1] == '\n') {
        s[--len] = '\0';
    }
    return s;
}

/* Runs fn over every .toml file of dir; returns how many. */
static int each_doc(const char *dir, void (*fn)(const char *dir, const char *stem))
{
    DIR *d = opendir(dir);
    int count = 0;
    if (d == NULL) {
        fprintf(stderr, "cannot open %s\n", dir);
        check_failed++;
        return 0;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".toml") == 0) {
            char stem[256];
            snprintf(stem, sizeof stem, "%.*s", (int)(n - 5), e->d_name);
            fn(dir, stem);
            count++;
        }
    }
    closedir(d);
    return count;
}

static void one_valid(const char *dir, const char *stem)
{
    char path[512], want_path[512];
    snprintf(path, sizeof path, "%s/%s.toml", dir, stem);
    snprintf(want_path, sizeof want_path, "%s/%s.json", dir, stem);
    size_t len;
    char *text = check_read_file(path, &len);
    char *want = read_trimmed(want_path);
    struct cfg_node *root = NULL;
    struct cfg_parse_error err;
    CHECK(text != NULL && want != NULL);
    if (text != NULL && want != NULL) {
        int rc = cfg_toml_parse(text, len, &root, &err);
        if (rc != 0) {
            fprintf(stderr, "valid/%s refused: line %u, column %u: %s\n", stem, err.line,
                    err.column, err.msg);
        }
        CHECK(rc == 0);
        if (rc == 0) {
            struct out o = {.n = 0};
            dump(&o, root);
            CHECK_STR(o.b, want);
        }
    }
    cfg_node_free(root);
    free(text);
    free(want);
}

static void one_invalid(const char *dir, const char *stem)
{
    char path[512], want_path[512];
    snprintf(path, sizeof path, "%s/%s.toml", dir, stem);
    snprintf(want_path, sizeof want_path, "%s/%s.err", dir, stem);
    size_t len;
    char *text = check_read_file(path, &len);
    char *want = read_trimmed(want_path);
    struct cfg_node *root = NULL;
    struct cfg_parse_error err;
    CHECK(text != NULL && want != NULL);
    if (text != NULL && want != NULL) {
        int rc = cfg_toml_parse(text, len, &root, &err);
        CHECK(rc == -1 && root == NULL);
        char got[256];
        snprintf(got, sizeof got, "line %u, column %u: %s", err.line, err.column, err.msg);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "invalid/%s:\n", stem);
        }
        CHECK_STR(got, want);
    }
    cfg_node_free(root);
    free(text);
    free(want);
}

static const struct {
    const char *in, *want; /* want: the dump, or "!" + the error */
} json_cases[] = {
    {"{\"default\": {\"workers\": 8, \"core\": {\"data_disks\": [\"/\"]}}, \"x\": true}",
     "{\"default\":{\"workers\":8,\"core\":{\"data_disks\":[\"/\"]}},\"x\":true}"},
    {" {} \n", "{}"},
    {"[]", "!expected an object of profiles at the top level"},
    {"{\"a\": 1, \"a\": 2}", "!a: duplicate key"},
    {"{\"a\": {\"b\": null}}", "!a.b: null is not a configuration value"},
    {"{\"a\": [1, 1.5]}", "!a[1]: expected an integer (no fraction, at most 2^53)"},
    {"{\"a\": 1e300}", "!a: expected an integer (no fraction, at most 2^53)"},
    {"{\"a\": \"\xc3\x28\"}", "!invalid UTF-8"}, /* lib/json refuses it, at line 1 column 8 */
    {"{\"a\": 1} x", "!invalid JSON"},
    {"{\"a\": }", "!invalid JSON"},
};

static void json_reader(void)
{
    for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        struct cfg_node *root = NULL;
        struct cfg_parse_error err;
        int rc = cfg_json_parse(json_cases[i].in, strlen(json_cases[i].in), &root, &err);
        struct out o = {.n = 0};
        if (rc == 0) {
            dump(&o, root);
        } else {
            put(&o, "!", 1);
            put(&o, err.msg, strlen(err.msg));
        }
        CHECK_STR(o.b, json_cases[i].want);
        cfg_node_free(root);
    }
    /* Where cJSON stopped, as a line and a column. */
    struct cfg_node *root = NULL;
    struct cfg_parse_error err;
    const char *bad = "{\n  \"a\": 1,\n  \"b\": ]\n}";
    CHECK(cfg_json_parse(bad, strlen(bad), &root, &err) == -1);
    CHECK(err.line == 3 && err.column == 8);
}

static void collect(void *ctx, const char *path, const struct cfg_node *n)
{
    struct out *o = ctx;
    char line[300];
    snprintf(line, sizeof line, "%s@%u:%u ", path, n->line, n->column);
    put(o, line, strlen(line));
}

/* The keys nobody read are listed by path, a table nobody read once. */
static void unused_keys(void)
{
    static const char text[] = "[default]\nworkers = 8\nident = \"x\"\n"
                               "[default.core]\nkeys_file = \"k\"\ndata_disks = [\"/\"]\n"
                               "[default.core.simulator]\npatch_report_data = true\n"
                               "[internal]\naddress = \"unix:./d.sock\"\n[guest-api]\nport = 1\n";
    struct cfg_node *root = NULL;
    struct cfg_parse_error err;
    CHECK(cfg_toml_parse(text, sizeof text - 1, &root, &err) == 0);
    struct cfg_node *def = cfg_get(root, "default");
    cfg_get(def, "workers");
    struct cfg_node *core = cfg_get(def, "core");
    cfg_get(core, "keys_file");
    cfg_get(root, "internal");
    struct out o = {.n = 0};
    cfg_tree_unused(root, collect, &o);
    CHECK_STR(o.b, "default.ident@3:1 default.core.data_disks@6:1 default.core.simulator@7:15 "
                   "internal.address@10:1 guest-api@11:2 ");
    cfg_node_free(root);
}

int main(void)
{
    int valid = each_doc(FIXTURES "/valid", one_valid);
    int invalid = each_doc(FIXTURES "/invalid", one_invalid);
    CHECK(valid >= 20 && invalid >= 40);
    json_reader();
    unused_keys();
    printf("%d valid and %d invalid TOML documents; %d checks, %d failed\n", valid, invalid,
           check_total, check_failed);
    return check_failed ? 1 : 0;
}
