/* TOML documents: lines, comments, keys, [table] headers and where each key lands
 * (toml.io 1.0.0, "Keys", "Table"). Values are read by cfg_toml_value.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_toml_priv.h"
#include "util/utf8.h"

struct key_part {
    char name[TOML_KEY_MAX];
    size_t len;
    unsigned line, column;
};

struct key {
    struct key_part part[TOML_DEPTH_MAX];
    size_t n;
};

unsigned toml_column(const struct toml *t)
{
    return (unsigned)(t->p - t->line_start) + 1;
}

bool toml_fail(struct toml *t, const char *fmt, ...)
{
    if (t->err->msg[0] != '\0') {
        return false; /* keep the first, innermost reason */
    }
    t->err->line = t->line;
    t->err->column = toml_column(t);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err->msg, sizeof t->err->msg, fmt, ap);
    va_end(ap);
    return false;
}

size_t toml_utf8_len(const char *p, const char *end)
{
    /* One character: util/utf8 is the project's one validator. */
    return (unsigned char)*p < 0x80 ? 1 : utf8_char_len(p, (size_t)(end - p));
}

void toml_skip_ws(struct toml *t)
{
    while (t->p < t->end && (*t->p == ' ' || *t->p == '\t')) {
        t->p++;
    }
}

bool toml_skip_comment(struct toml *t)
{
    if (t->p == t->end || *t->p != '#') {
        return true;
    }
    while (t->p < t->end && *t->p != '\n') {
        unsigned char c = (unsigned char)*t->p;
        if (c == '\r' && t->p + 1 < t->end && t->p[1] == '\n') {
            break;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return toml_fail(t, "control character 0x%02x in a comment", c);
        }
        size_t n = toml_utf8_len(t->p, t->end);
        if (n == 0) {
            return toml_fail(t, "invalid UTF-8 in a comment");
        }
        t->p += n;
    }
    return true;
}

/* A new line (\n or \r\n) at t->p, if any; false when there is none. */
static bool newline(struct toml *t)
{
    const char *p = t->p;
    if (p < t->end && *p == '\r' && p + 1 < t->end && p[1] == '\n') {
        p++;
    }
    if (p == t->end || *p != '\n') {
        return false;
    }
    t->p = p + 1;
    t->line++;
    t->line_start = t->p;
    return true;
}

bool toml_skip_ws_lines(struct toml *t)
{
    for (;;) {
        toml_skip_ws(t);
        if (!toml_skip_comment(t)) {
            return false;
        }
        if (!newline(t)) {
            return true;
        }
    }
}

/* After a header or a key/value pair: spaces, an optional comment, then the end of the line. */
static bool end_of_line(struct toml *t, const char *after)
{
    toml_skip_ws(t);
    if (!toml_skip_comment(t)) {
        return false;
    }
    if (t->p == t->end || newline(t)) {
        return true;
    }
    return toml_fail(t, "expected a new line or a # comment after %s", after);
}

static bool is_bare_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool key_part(struct toml *t, struct key_part *kp)
{
    kp->line = t->line;
    kp->column = toml_column(t);
    if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
        char *s = NULL;
        size_t len = 0;
        if (!toml_string(t, &s, &len)) {
            return false;
        }
        bool fits = len < sizeof kp->name && memchr(s, '\0', len) == NULL;
        if (fits) {
            memcpy(kp->name, s, len + 1);
            kp->len = len;
        }
        free(s);
        if (!fits) {
            t->p = t->line_start + kp->column - 1;
            return toml_fail(t, "key too long (at most %d bytes) or holding NUL", TOML_KEY_MAX - 1);
        }
        return true;
    }
    const char *start = t->p;
    while (t->p < t->end && is_bare_key_char(*t->p)) {
        t->p++;
    }
    kp->len = (size_t)(t->p - start);
    if (kp->len == 0) {
        return toml_fail(t, "expected a key (letters, digits, _ and -, or a quoted string)");
    }
    if (kp->len >= sizeof kp->name) {
        t->p = start;
        return toml_fail(t, "key too long (at most %d bytes)", TOML_KEY_MAX - 1);
    }
    memcpy(kp->name, start, kp->len);
    kp->name[kp->len] = '\0';
    return true;
}

/* key or key.key.key, spaces allowed around the dots. */
static bool dotted_key(struct toml *t, struct key *k)
{
    k->n = 0;
    for (;;) {
        if (k->n == TOML_DEPTH_MAX) {
            return toml_fail(t, "key with more than %d parts", TOML_DEPTH_MAX);
        }
        if (!key_part(t, &k->part[k->n++])) {
            return false;
        }
        toml_skip_ws(t);
        if (t->p == t->end || *t->p != '.') {
            return true;
        }
        t->p++;
        toml_skip_ws(t);
    }
}

static struct cfg_node *add_table(struct toml *t, struct cfg_node *parent,
                                  const struct key_part *kp, enum cfg_origin origin)
{
    struct cfg_node *n = cfg_node_new(CFG_TABLE, kp->name, kp->len, kp->line, kp->column);
    if (n == NULL || !cfg_node_append(parent, n)) {
        cfg_node_free(n);
        toml_fail(t, "out of memory");
        return NULL;
    }
    n->origin = origin;
    return n;
}

/* what holds one %s: the key. */
static bool fail_at(struct toml *t, const struct key_part *kp, const char *what)
{
    t->p = t->line_start + kp->column - 1;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    return toml_fail(t, what, kp->name);
#pragma GCC diagnostic pop
}

/* [a.b.c]: the tables on the way may exist; the last one must not have been defined yet. */
static bool header(struct toml *t, struct cfg_node *root, struct cfg_node **current)
{
    t->p++; /* [ */
    if (t->p < t->end && *t->p == '[') {
        return toml_fail(t, "arrays of tables ([[...]]) are not supported: expected [table]");
    }
    toml_skip_ws(t);
    struct key k;
    if (!dotted_key(t, &k)) {
        return false;
    }
    if (t->p == t->end || *t->p != ']') {
        return toml_fail(t, "expected ] to close the table header");
    }
    t->p++;
    struct cfg_node *n = root;
    for (size_t i = 0; i < k.n; i++) {
        const struct key_part *kp = &k.part[i];
        struct cfg_node *next = cfg_table_find(n, kp->name, kp->len);
        bool last = i + 1 == k.n;
        if (next == NULL) {
            next = add_table(t, n, kp, last ? CFG_DEFINED_HEADER : CFG_IMPLICIT);
            if (next == NULL) {
                return false;
            }
        } else if (next->type != CFG_TABLE) {
            return fail_at(t, kp, "\"%s\" is already a value: expected a new table name");
        } else if (last && next->origin != CFG_IMPLICIT) {
            return fail_at(t, kp, "table \"%s\" defined twice");
        } else if (last) {
            next->origin = CFG_DEFINED_HEADER;
        }
        n = next;
    }
    *current = n;
    return end_of_line(t, "the table header");
}

/* key = value in the current table; a dotted key creates (or extends) tables of its own. */
static bool key_value(struct toml *t, struct cfg_node *current)
{
    struct key k;
    if (!dotted_key(t, &k)) {
        return false;
    }
    if (t->p == t->end || *t->p != '=') {
        return toml_fail(t, "expected = after the key");
    }
    t->p++;
    toml_skip_ws(t);
    struct cfg_node *n = current;
    for (size_t i = 0; i + 1 < k.n; i++) {
        const struct key_part *kp = &k.part[i];
        struct cfg_node *next = cfg_table_find(n, kp->name, kp->len);
        if (next == NULL) {
            next = add_table(t, n, kp, CFG_DEFINED_DOTTED);
            if (next == NULL) {
                return false;
            }
        } else if (next->type != CFG_TABLE || next->origin != CFG_DEFINED_DOTTED) {
            return fail_at(
                t, kp,
                "\"%s\" is already defined: a dotted key can only extend tables of dotted keys");
        }
        n = next;
    }
    const struct key_part *kp = &k.part[k.n - 1];
    if (cfg_table_find(n, kp->name, kp->len) != NULL) {
        return fail_at(t, kp, "key \"%s\" defined twice");
    }
    struct cfg_node *v = NULL;
    if (!toml_value(t, &v)) {
        return false;
    }
    v->key = malloc(kp->len + 1);
    if (v->key == NULL || !cfg_node_append(n, v)) {
        cfg_node_free(v);
        return toml_fail(t, "out of memory");
    }
    memcpy(v->key, kp->name, kp->len + 1);
    v->line = kp->line;
    v->column = kp->column;
    return end_of_line(t, "the value");
}

int cfg_toml_parse(const char *text, size_t len, struct cfg_node **out, struct cfg_parse_error *err)
{
    struct toml t = {.p = text, .end = text + len, .line_start = text, .line = 1, .err = err};
    memset(err, 0, sizeof *err);
    *out = NULL;
    struct cfg_node *root = cfg_node_new(CFG_TABLE, NULL, 0, 1, 1);
    if (root == NULL) {
        toml_fail(&t, "out of memory");
        return -1;
    }
    root->origin = CFG_DEFINED_HEADER;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        t.p += 3; /* a byte order mark */
    }
    struct cfg_node *current = root;
    bool ok = true;
    while (ok && toml_skip_ws_lines(&t) && t.p < t.end) {
        ok = *t.p == '[' ? header(&t, root, &current) : key_value(&t, current);
    }
    if (err->msg[0] != '\0') {
        cfg_node_free(root);
        return -1;
    }
    *out = root;
    return 0;
}
