/* The parsed form of a configuration file, whatever its syntax (TOML or JSON): a tree of tables,
 * arrays and scalars, each node remembering where it was written (for messages) and whether the
 * program read it (so that every key nobody reads is warned about by name, never dropped
 * silently). docs/configuration.md describes the keys; cfg_toml.h and cfg_json.h the syntaxes. */
#ifndef DSTACK_INTERNAL_CFG_TREE_H
#define DSTACK_INTERNAL_CFG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfg_type { CFG_TABLE, CFG_ARRAY, CFG_STRING, CFG_INT, CFG_BOOL };

/* How a TOML table came to exist; the TOML rules on redefinition depend on it (toml.io 1.0.0,
 * "Table"). JSON objects are CFG_DEFINED_HEADER. */
enum cfg_origin { CFG_IMPLICIT, CFG_DEFINED_HEADER, CFG_DEFINED_DOTTED, CFG_DEFINED_INLINE };

struct cfg_node {
    enum cfg_type type;
    char *key;             /* the key in its parent table; NULL for array items and the root */
    unsigned line, column; /* 1-based place of the key (or the value, for array items) */
    bool used;             /* the program read it (cfg_tree_unused lists the others) */
    enum cfg_origin origin;
    char *str; /* CFG_STRING: NUL-terminated UTF-8 (readers refuse embedded NULs) */
    size_t str_len;
    int64_t num;             /* CFG_INT */
    bool flag;               /* CFG_BOOL */
    struct cfg_node **items; /* CFG_TABLE and CFG_ARRAY, in document order */
    size_t n_items, cap_items;
};

/* A new node (key copied; NULL key for array items and the root); NULL when out of memory. */
struct cfg_node *cfg_node_new(enum cfg_type type, const char *key, size_t key_len, unsigned line,
                              unsigned column);
void cfg_node_free(struct cfg_node *n); /* NULL ok; frees the whole subtree */
/* Appends child to a table or an array; false when out of memory (child is then still the
 * caller's). */
bool cfg_node_append(struct cfg_node *parent, struct cfg_node *child);

/* The child of a table by key, NULL when absent or when t is not a table. Does not mark it. */
struct cfg_node *cfg_table_find(const struct cfg_node *t, const char *key, size_t key_len);

/* Like cfg_table_find, and marks the node (not its children) as used. */
struct cfg_node *cfg_get(struct cfg_node *t, const char *key);

/* Calls fn with the dotted path ("default.core.data_disks") of every table key under root that
 * was not marked used; a table that was not used is reported once, not key by key. Array items
 * are not keys and are never reported. */
void cfg_tree_unused(const struct cfg_node *root,
                     void (*fn)(void *ctx, const char *path, const struct cfg_node *n), void *ctx);

/* "a table", "a string", ... for messages. */
const char *cfg_type_name(enum cfg_type type);

#endif
