/* Reads a JSON configuration file (upstream's dstack.json) into the same tree as TOML
 * (cfg_tree.h), so both syntaxes meet one reader of the keys. Refused: anything but an object at
 * the top, duplicate keys, null, fractions, integers beyond 2^53, invalid UTF-8, nesting deeper
 * than 32. */
#ifndef DSTACK_INTERNAL_CFG_JSON_H
#define DSTACK_INTERNAL_CFG_JSON_H

#include <stddef.h>

#include "cfg_toml.h"
#include "cfg_tree.h"

int cfg_json_parse(const char *text, size_t len, struct cfg_node **out,
                   struct cfg_parse_error *err);

#endif
