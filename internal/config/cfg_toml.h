/* A strict reader of the TOML subset upstream's dstack.toml files use (toml.io 1.0.0): tables
 * ([a], [a.b]), dotted keys, bare and quoted keys, basic strings with escapes, literal strings,
 * integers (decimal, 0x hex, 0o octal, 0b binary, with _ separators), booleans, arrays (nested,
 * over several lines, with comments). Everything else TOML has (floats, dates, multi-line
 * strings, inline tables, arrays of tables) is refused with the line, the column and what was
 * expected, as are duplicate keys and redefined tables. docs/configuration.md, "TOML". */
#ifndef DSTACK_INTERNAL_CFG_TOML_H
#define DSTACK_INTERNAL_CFG_TOML_H

#include <stddef.h>

#include "cfg_tree.h"

#define CFG_MSG_MAX 160

struct cfg_parse_error {
    unsigned line, column; /* 1-based; column counts bytes */
    char msg[CFG_MSG_MAX];
};

/* Parses text (len bytes, need not be NUL-terminated) into a new table tree (*out, free with
 * cfg_node_free). 0 on success; -1 when the text is refused (err says where and why; *out NULL).
 * Out of memory is reported as a refusal with the message "out of memory". */
int cfg_toml_parse(const char *text, size_t len, struct cfg_node **out,
                   struct cfg_parse_error *err);

#endif
