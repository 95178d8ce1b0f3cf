/* Configuration files as upstream finds and reads them (dstack/load_config/src/lib.rs): built-in
 * defaults, then dstack.toml and dstack.json in /etc/dstack, then in the working folder, then the
 * file given with -c. Here the syntax of every file is told by its content (a JSON document
 * starts with '{'), not by its name, so `-c dstack.toml` and `-c agent.conf` both work. */
#ifndef DSTACK_INTERNAL_CFG_FILE_H
#define DSTACK_INTERNAL_CFG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include <dstack/common.h>

#include "cfg_tree.h"

#define CFG_FILE_MAX (1u << 20) /* far above any real configuration */

/* Reads path into a tree. When missing is not NULL a file that does not exist is not an error
 * (*missing set, *out NULL). Errors name the file, then the line and column when the syntax is
 * wrong, in err_text(): "config file ./dstack.toml: line 3, column 5: floats are not supported:
 * ...". */
dstack_err cfg_file_read(const char *path, struct cfg_node **out, bool *missing);

/* The search folders of upstream's load_config("dstack", ...), in order. */
extern const char *const cfg_search_dirs[];

/* For each folder of dirs (NULL-terminated), each of <dir>/<name>.toml and <dir>/<name>.json
 * that exists, in that order: fn(ctx, path). Stops at the first non-zero return of fn. */
int cfg_search(const char *const dirs[], const char *name, int (*fn)(void *ctx, const char *path),
               void *ctx);

#endif
