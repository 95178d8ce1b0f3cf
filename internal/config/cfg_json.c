/* The configuration reader's JSON side: lib/json parses (strict UTF-8, grammar, positions), this
 * file turns the tree into configuration nodes and names what it refuses by its key path. */
#include "cfg_json.h"

#include <stdio.h>
#include <string.h>

#include "cfg_toml_priv.h"
#include "json/json.h"

#define JSON_DEPTH_MAX 32
#define JSON_INT_MAX 9007199254740992.0 /* 2^53: larger doubles are not exact integers */

struct conv {
    struct cfg_parse_error *err;
    char path[256];
};

static bool conv_fail(struct conv *c, const char *what)
{
    snprintf(c->err->msg, sizeof c->err->msg, "%.100s: %s", c->path[0] ? c->path : "top level",
             what);
    return false;
}

static bool convert(struct conv *c, const cJSON *j, struct cfg_node *n, unsigned depth);

static bool convert_children(struct conv *c, const cJSON *j, struct cfg_node *n, unsigned depth)
{
    size_t path_len = strlen(c->path);
    size_t index = 0;
    for (const cJSON *e = j->child; e != NULL; e = e->next, index++) {
        const char *key = n->type == CFG_TABLE ? e->string : NULL;
        if (key != NULL) {
            snprintf(c->path + path_len, sizeof c->path - path_len, "%s%s", path_len ? "." : "",
                     key);
            if (cfg_table_find(n, key, strlen(key)) != NULL) {
                return conv_fail(c, "duplicate key");
            }
        } else {
            snprintf(c->path + path_len, sizeof c->path - path_len, "[%zu]", index);
        }
        struct cfg_node *child = cfg_node_new(CFG_STRING, key, key ? strlen(key) : 0, 0, 0);
        if (child == NULL || !cfg_node_append(n, child)) {
            cfg_node_free(child);
            return conv_fail(c, "out of memory");
        }
        if (!convert(c, e, child, depth + 1)) {
            return false;
        }
        c->path[path_len] = '\0';
    }
    return true;
}

static bool convert(struct conv *c, const cJSON *j, struct cfg_node *n, unsigned depth)
{
    if (depth > JSON_DEPTH_MAX) {
        return conv_fail(c, "nested deeper than 32 levels");
    }
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        n->type = cJSON_IsObject(j) ? CFG_TABLE : CFG_ARRAY;
        n->origin = CFG_DEFINED_HEADER;
        return convert_children(c, j, n, depth);
    }
    if (cJSON_IsString(j)) {
        n->type = CFG_STRING;
        n->str_len = strlen(j->valuestring);
        n->str = strdup(j->valuestring);
        return n->str != NULL || conv_fail(c, "out of memory");
    }
    if (cJSON_IsBool(j)) {
        n->type = CFG_BOOL;
        n->flag = cJSON_IsTrue(j);
        return true;
    }
    if (cJSON_IsNumber(j)) {
        /* An integer literal, read exactly (json_i64): "2.0" and "1e2" are floats, as serde's
         * integer fields have them. */
        int64_t v = 0;
        if (!json_i64(j, &v) || v > (int64_t)JSON_INT_MAX || v < -(int64_t)JSON_INT_MAX) {
            return conv_fail(c, "expected an integer (no fraction, at most 2^53)");
        }
        n->type = CFG_INT;
        n->num = v;
        return true;
    }
    return conv_fail(c, "null is not a configuration value");
}

int cfg_json_parse(const char *text, size_t len, struct cfg_node **out, struct cfg_parse_error *err)
{
    memset(err, 0, sizeof *err);
    *out = NULL;
    /* Repeated keys stay in the tree: convert() names them by their path. */
    struct json_error jerr;
    cJSON *j = json_parse(text, len, JSON_DUPS_KEEP, &jerr);
    if (j == NULL) {
        err->line = (unsigned)jerr.line;
        err->column = (unsigned)jerr.column;
        /* Grammar errors keep the reader's own word; the other refusals say what lib/json saw. */
        snprintf(err->msg, sizeof err->msg, "%s",
                 jerr.kind == JSON_E_SYNTAX ? "invalid JSON"
                 : jerr.kind == JSON_E_UTF8 ? "invalid UTF-8"
                                            : jerr.text);
        return -1;
    }
    struct conv c = {.err = err};
    struct cfg_node *root = cfg_node_new(CFG_TABLE, NULL, 0, 1, 1);
    bool ok = root != NULL && cJSON_IsObject(j);
    if (root == NULL) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
    } else if (!ok) {
        snprintf(err->msg, sizeof err->msg, "expected an object of profiles at the top level");
    } else {
        ok = convert(&c, j, root, 0);
    }
    json_free(j);
    if (!ok) {
        cfg_node_free(root);
        return -1;
    }
    *out = root;
    return 0;
}
