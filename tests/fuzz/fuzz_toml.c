/* libFuzzer target: the configuration readers (internal/config): the TOML subset reader and the
 * JSON reader over the same bytes. A refusal must say where and why; an accepted tree must hold
 * only tables with keys, and strings whose length matches. */
#include <stdint.h>
#include <string.h>

#include "cfg_json.h"
#include "cfg_toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tree(const struct cfg_node *n, unsigned depth)
{
    if (depth > 80) {
        __builtin_trap(); /* both readers cap nesting well below */
    }
    if (n->type == CFG_STRING && (n->str == NULL || strlen(n->str) > n->str_len)) {
        __builtin_trap();
    }
    for (size_t i = 0; i < n->n_items; i++) {
        if ((n->type == CFG_TABLE) != (n->items[i]->key != NULL)) {
            __builtin_trap();
        }
        check_tree(n->items[i], depth + 1);
    }
}

static void check(int rc, struct cfg_node *root, const struct cfg_parse_error *err)
{
    if (rc == 0) {
        if (root == NULL || root->type != CFG_TABLE) {
            __builtin_trap();
        }
        check_tree(root, 0);
    } else if (root != NULL || err->msg[0] == '\0' ||
               memchr(err->msg, '\0', sizeof err->msg) == NULL) {
        __builtin_trap();
    }
    cfg_node_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_node *root = NULL;
    struct cfg_parse_error err;
    check(cfg_toml_parse((const char *)data, size, &root, &err), root, &err);
    root = NULL;
    check(cfg_json_parse((const char *)data, size, &root, &err), root, &err);
    return 0;
}
