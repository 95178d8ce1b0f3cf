#include "cfg_tree.h"

#include <stdlib.h>
#include <string.h>

/* Deeper trees are refused by both readers; this also bounds the recursion below. */
#define CFG_PATH_MAX 512

struct cfg_node *cfg_node_new(enum cfg_type type, const char *key, size_t key_len, unsigned line,
                              unsigned column)
{
    struct cfg_node *n = calloc(1, sizeof *n);
    if (n == NULL) {
        return NULL;
    }
    n->type = type;
    n->line = line;
    n->column = column;
    if (key != NULL) {
        n->key = malloc(key_len + 1);
        if (n->key == NULL) {
            free(n);
            return NULL;
        }
        memcpy(n->key, key, key_len);
        n->key[key_len] = '\0';
    }
    return n;
}

void cfg_node_free(struct cfg_node *n)
{
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; i < n->n_items; i++) {
        cfg_node_free(n->items[i]);
    }
    free(n->items);
    free(n->key);
    free(n->str);
    free(n);
}

bool cfg_node_append(struct cfg_node *parent, struct cfg_node *child)
{
    if (parent->n_items == parent->cap_items) {
        size_t cap = parent->cap_items ? parent->cap_items * 2 : 4;
        struct cfg_node **items = realloc(parent->items, cap * sizeof *items);
        if (items == NULL) {
            return false;
        }
        parent->items = items;
        parent->cap_items = cap;
    }
    parent->items[parent->n_items++] = child;
    return true;
}

struct cfg_node *cfg_table_find(const struct cfg_node *t, const char *key, size_t key_len)
{
    if (t == NULL || t->type != CFG_TABLE) {
        return NULL;
    }
    for (size_t i = 0; i < t->n_items; i++) {
        const char *k = t->items[i]->key;
        if (strlen(k) == key_len && memcmp(k, key, key_len) == 0) {
            return t->items[i];
        }
    }
    return NULL;
}

struct cfg_node *cfg_get(struct cfg_node *t, const char *key)
{
    struct cfg_node *n = cfg_table_find(t, key, strlen(key));
    if (n != NULL) {
        n->used = true;
    }
    return n;
}

static void unused_walk(const struct cfg_node *t, char *path, size_t len,
                        void (*fn)(void *, const char *, const struct cfg_node *), void *ctx)
{
    for (size_t i = 0; i < t->n_items; i++) {
        const struct cfg_node *c = t->items[i];
        size_t klen = strlen(c->key);
        size_t need = klen + (len > 0 ? 1 : 0);
        if (need >= CFG_PATH_MAX - len) {
            continue; /* not reachable: the readers cap key lengths and depth */
        }
        size_t at = len;
        if (len > 0) {
            path[at++] = '.';
        }
        memcpy(path + at, c->key, klen + 1);
        if (!c->used) {
            fn(ctx, path, c);
        } else if (c->type == CFG_TABLE) {
            unused_walk(c, path, at + klen, fn, ctx);
        }
        path[len] = '\0';
    }
}

void cfg_tree_unused(const struct cfg_node *root,
                     void (*fn)(void *ctx, const char *path, const struct cfg_node *n), void *ctx)
{
    char path[CFG_PATH_MAX] = "";
    if (root != NULL && root->type == CFG_TABLE) {
        unused_walk(root, path, 0, fn, ctx);
    }
}

const char *cfg_type_name(enum cfg_type type)
{
    static const char *const names[] = {
        [CFG_TABLE] = "a table",  [CFG_ARRAY] = "an array", [CFG_STRING] = "a string",
        [CFG_INT] = "an integer", [CFG_BOOL] = "a boolean",
    };
    return names[type];
}
