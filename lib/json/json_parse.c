/* json_parse: the lexical pass (json_scan.c), cJSON's parser, then one walk over the tree that
 * gives strings their carried length, marks float literals, keeps long integers' literals and
 * settles duplicate keys. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "json/json_internal.h"
#include "util/error.h"
#include "util/file.h"
#include "util/utf8.h"

#define DUPS_QUADRATIC_MAX 16 /* objects up to this size compare keys pairwise */

struct walk {
    const char *text;
    size_t len;
    unsigned flags;
    const struct json_scan *scan;
    size_t next_string, next_number, next_plain; /* next unused mark */
    size_t n_strings, n_numbers;                 /* ordinals seen */
    cJSON *root;
    struct json_error *err;
};

/* The contents of a string the scanner checked, whose escapes are all two characters long
 * (RFC 8259 section 7: \" \\ \/ \b \f \n \r \t), decoded into out. Runs between
 * backslashes are copied whole. */
static void unescape_simple(const char *in, size_t len, char *out)
{
    const char *end = in + len;
    while (in < end) {
        const char *bs = memchr(in, '\\', (size_t)(end - in));
        size_t run = (size_t)((bs != NULL ? bs : end) - in);
        memcpy(out, in, run);
        out += run;
        if (bs == NULL) {
            break;
        }
        switch (bs[1]) {
        case 'b':
            *out++ = '\b';
            break;
        case 'f':
            *out++ = '\f';
            break;
        case 'n':
            *out++ = '\n';
            break;
        case 'r':
            *out++ = '\r';
            break;
        case 't':
            *out++ = '\t';
            break;
        default: /* " \ / */
            *out++ = bs[1];
            break;
        }
        in = bs + 2;
    }
}

/* A plain string left out of cJSON's text: *slot (cJSON's "") becomes its contents. */
static bool fill_plain(struct walk *w, size_t ordinal, char **slot)
{
    const struct json_marks *m = &w->scan->plain_strings;
    if (w->next_plain >= m->n || m->v[w->next_plain].ordinal != ordinal) {
        return true;
    }
    const struct json_mark *k = &m->v[w->next_plain++];
    char *s = malloc(k->decoded_len + 1);
    if (s == NULL) {
        json_error_at(w->err, w->text, w->len, k->offset, "out of memory");
        w->err->kind = JSON_E_MEMORY;
        return false;
    }
    if (k->escaped) {
        unescape_simple(w->text + k->offset, k->len, s);
    } else {
        memcpy(s, w->text + k->offset, k->len);
    }
    s[k->decoded_len] = '\0';
    free(*slot); /* cJSON's allocation: the default hooks are malloc/free */
    *slot = s;
    return true;
}

static bool visit_string(struct walk *w, cJSON *v)
{
    size_t ordinal = w->n_strings++;
    if (!fill_plain(w, ordinal, &v->valuestring)) {
        return false;
    }
    const struct json_marks *m = &w->scan->strings;
    if (w->next_string < m->n && m->v[w->next_string].ordinal == ordinal) {
        v->type |= JSON_T_LEN;
        v->valueint = (int)m->v[w->next_string].decoded_len;
        w->next_string++;
    }
    return true;
}

static bool visit_number(struct walk *w, cJSON *v)
{
    size_t ordinal = w->n_numbers++;
    if (isinf(v->valuedouble) && !(w->flags & JSON_HUGE_INF)) {
        size_t at = json_scan_number_at(w->text, w->len, ordinal);
        json_error_at(w->err, w->text, w->len, at, "number out of range");
        w->err->kind = JSON_E_RANGE;
        return false;
    }
    const struct json_marks *m = &w->scan->numbers;
    if (w->next_number < m->n && m->v[w->next_number].ordinal == ordinal) {
        const struct json_mark *k = &m->v[w->next_number++];
        if (k->is_float) {
            v->type |= JSON_T_FLOAT;
        } else {
            v->valuestring = strndup(w->text + k->offset, k->len); /* freed by cJSON_Delete */
            if (v->valuestring == NULL) {
                json_error_at(w->err, w->text, w->len, k->offset, "out of memory");
                return false;
            }
        }
    }
    return true;
}

/* Counts strings in document order up to target's key: its ordinal (error path only). */
static bool key_ordinal(const cJSON *v, const cJSON *target, size_t *n)
{
    if (cJSON_IsString(v)) {
        (*n)++;
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
        return false;
    }
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        if (cJSON_IsObject(v)) {
            if (c == target) {
                return true;
            }
            (*n)++;
        }
        if (key_ordinal(c, target, n)) {
            return true;
        }
    }
    return false;
}

static bool refuse_duplicate(struct walk *w, const cJSON *dup)
{
    size_t n = 0;
    key_ordinal(w->root, dup, &n);
    size_t at = json_scan_string_end(w->text, w->len, n);
    json_error_at(w->err, w->text, w->len, at, "duplicate object key near '\"%.60s\"'",
                  dup->string);
    w->err->kind = JSON_E_DUP;
    return false;
}

/* JSON.parse: the last value goes to the first key's place; the others go. */
static void keep_last(cJSON *obj, cJSON *first, cJSON *last)
{
    cJSON_DetachItemViaPointer(obj, last);
    cJSON_ReplaceItemViaPointer(obj, first, last);
}

struct member {
    cJSON *node;
    size_t pos;
};

static int by_key_then_position(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    int c = strcmp(x->node->string, y->node->string);
    if (c != 0) {
        return c;
    }
    return x->pos < y->pos ? -1 : 1;
}

/* Large objects: sorted by key, duplicates are neighbours (n log n, not n^2). */
static bool dups_sorted(struct walk *w, cJSON *obj, size_t n)
{
    struct member *v = malloc(n * sizeof *v);
    if (v == NULL) {
        json_error_at(w->err, w->text, w->len, 0, "out of memory");
        w->err->kind = JSON_E_MEMORY;
        return false;
    }
    size_t k = 0;
    for (cJSON *c = obj->child; c != NULL; c = c->next, k++) {
        v[k] = (struct member){.node = c, .pos = k};
    }
    qsort(v, n, sizeof *v, by_key_then_position);
    const struct member *dup = NULL; /* the earliest repeated key */
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i - 1].node->string, v[i].node->string) == 0 &&
            (dup == NULL || v[i].pos < dup->pos)) {
            dup = &v[i];
        }
    }
    if (dup != NULL && !(w->flags & JSON_DUPS_LAST)) {
        cJSON *node = dup->node;
        free(v);
        return refuse_duplicate(w, node);
    }
    for (size_t i = 0; dup != NULL && i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(v[i].node->string, v[j].node->string) == 0) {
            j++;
        }
        for (size_t m = i + 1; m + 1 < j; m++) {
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, v[m].node));
        }
        if (j - i > 1) {
            keep_last(obj, v[i].node, v[j - 1].node);
        }
        i = j;
    }
    free(v);
    return true;
}

static bool check_dups(struct walk *w, cJSON *obj)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        n++;
    }
    if (n < 2 || (w->flags & JSON_DUPS_KEEP)) {
        return true;
    }
    if (n > DUPS_QUADRATIC_MAX) {
        return dups_sorted(w, obj, n);
    }
    for (cJSON *c = obj->child->next; c != NULL;) {
        cJSON *next = c->next, *first = NULL;
        for (cJSON *p = obj->child; p != c && first == NULL; p = p->next) {
            if (strcmp(p->string, c->string) == 0) {
                first = p;
            }
        }
        if (first != NULL) {
            if (!(w->flags & JSON_DUPS_LAST)) {
                return refuse_duplicate(w, c);
            }
            keep_last(obj, first, c);
        }
        c = next;
    }
    return true;
}

static bool walk(struct walk *w, cJSON *v)
{
    if (cJSON_IsString(v)) {
        return visit_string(w, v);
    }
    if (cJSON_IsNumber(v)) {
        return visit_number(w, v);
    }
    bool object = cJSON_IsObject(v);
    if (!object && !cJSON_IsArray(v)) {
        return true;
    }
    for (cJSON *c = v->child; c != NULL; c = c->next) {
        if (object && !fill_plain(w, w->n_strings++, &c->string)) { /* the key, then the value */
            return false;
        }
        if (!walk(w, c)) {
            return false;
        }
    }
    return !object || check_dups(w, v);
}

static size_t skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
        i++;
    }
    return i;
}

/* How much of the text after pos an error message quotes: it need not end in a NUL, and the
 * quote ends on a character boundary so that the message stays UTF-8. */
static int near(const char *text, size_t len, size_t pos)
{
    return (int)utf8_valid_prefix(text + pos, len - pos < 20 ? len - pos : 20);
}

/* cJSON's own verdict on the grammar, with the position it stopped at. */
static cJSON *parse_grammar(const char *text, size_t len, struct json_error *err)
{
    const char *end = NULL;
    cJSON *root = len > 0 ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
    size_t pos = end != NULL && end >= text ? (size_t)(end - text) : len;
    if (root == NULL) {
        pos = skip_space(text, len, pos);
        if (pos >= len) {
            json_error_at(err, text, len, len, "premature end of input");
        } else {
            json_error_at(err, text, len, pos, "invalid JSON near '%.*s'", near(text, len, pos),
                          text + pos);
        }
        return NULL;
    }
    pos = skip_space(text, len, pos);
    if (pos < len) {
        json_error_at(err, text, len, pos, "end of file expected near '%.*s'", near(text, len, pos),
                      text + pos);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* A copy of text whose number literals too long for cJSON are written as the shortest literal of
 * the same double (glibc's strtod rounds correctly, as JSON.parse does); 1e999 for overflow. */
static char *rewrite_text(const char *text, size_t len, const struct json_marks *m, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t o = 0, copied = 0;
    for (size_t k = 0; out != NULL && k < m->n; k++) {
        const struct json_mark *n = &m->v[k];
        if (n->is_string) { /* "" for now: the walk puts the contents in */
            memcpy(out + o, text + copied, n->offset - copied);
            o += n->offset - copied;
            copied = n->offset + n->len;
            continue;
        }
        char *lit = strndup(text + n->offset, n->len);
        if (lit == NULL) {
            OPENSSL_cleanse(out, len + 1); /* the text may hold keys (the keys file) */
            free(out);
            return NULL;
        }
        double d = strtod(lit, NULL);
        free(lit);
        memcpy(out + o, text + copied, n->offset - copied);
        o += n->offset - copied;
        char num[40];
        int w = isinf(d) ? snprintf(num, sizeof num, "%s1e999", d < 0 ? "-" : "")
                         : snprintf(num, sizeof num, "%.17g", d);
        memcpy(out + o, num, (size_t)w); /* at most 24 < 64 characters: the text only shrinks */
        o += (size_t)w;
        copied = n->offset + n->len;
    }
    if (out != NULL) {
        memcpy(out + o, text + copied, len - copied);
        o += len - copied;
        out[o] = '\0';
        *out_len = o;
    }
    return out;
}

cJSON *json_parse(const char *text, size_t len, unsigned flags, struct json_error *err)
{
    struct json_error scratch;
    if (err == NULL) {
        err = &scratch;
    }
    memset(err, 0, sizeof *err);
    if (text == NULL || len > INT_MAX) {
        json_error_at(err, "", 0, 0, "%s", text == NULL ? "no JSON text" : "JSON text too large");
        return NULL;
    }
    struct json_scan scan = {0};
    cJSON *root = NULL;
    if (json_scan_text(text, len, flags, &scan, err)) {
        if (scan.rewrites.n == 0) {
            root = parse_grammar(text, len, err);
        } else {
            size_t short_len = 0;
            char *short_text = rewrite_text(text, len, &scan.rewrites, &short_len);
            if (short_text == NULL) {
                json_error_at(err, text, len, 0, "out of memory");
            } else {
                root = parse_grammar(short_text, short_len, err);
                OPENSSL_cleanse(short_text, short_len); /* the text may hold keys */
            }
            free(short_text);
            if (root == NULL && short_text != NULL) {
                parse_grammar(text, len, err); /* the position in the caller's text */
            }
        }
    }
    if (root != NULL) {
        struct walk w = {
            .text = text, .len = len, .flags = flags, .scan = &scan, .root = root, .err = err};
        if (!walk(&w, root)) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    json_scan_free(&scan);
    return root;
}

cJSON *json_parse_str(const char *text, unsigned flags, struct json_error *err)
{
    return json_parse(text, text != NULL ? strlen(text) : 0, flags, err);
}

cJSON *json_parse_file(const char *path, size_t max, unsigned flags, struct json_error *err)
{
    struct json_error scratch;
    if (err == NULL) {
        err = &scratch;
    }
    memset(err, 0, sizeof *err);
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(path, max, &text, &len, NULL) != DSTACK_OK) {
        snprintf(err->text, sizeof err->text, "%s", err_text());
        return NULL;
    }
    cJSON *root = json_parse(text, len, flags, err);
    free(text);
    return root;
}
