/* State shared by the two halves of the TOML reader: cfg_toml.c (lines, keys, tables) and
 * cfg_toml_value.c (strings, integers, booleans, arrays). */
#ifndef DSTACK_INTERNAL_CFG_TOML_PRIV_H
#define DSTACK_INTERNAL_CFG_TOML_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg_toml.h"

#define TOML_KEY_MAX 128  /* bytes of one key segment */
#define TOML_DEPTH_MAX 32 /* nested arrays, and dotted key segments */

struct toml {
    const char *p, *end;
    const char *line_start;
    unsigned line;
    unsigned depth;
    struct cfg_parse_error *err;
};

/* Records the error at the current position; always returns false. */
bool toml_fail(struct toml *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned toml_column(const struct toml *t);
void toml_skip_ws(struct toml *t);
/* Skips spaces, tabs, comments and new lines (inside arrays). */
bool toml_skip_ws_lines(struct toml *t);
/* A comment from '#' to the end of the line (not the new line). */
bool toml_skip_comment(struct toml *t);
/* Length of the valid UTF-8 sequence at p (1..4), 0 when invalid or truncated. */
size_t toml_utf8_len(const char *p, const char *end);

/* A basic ("...") or literal ('...') string at t->p into a malloc'd buffer. */
bool toml_string(struct toml *t, char **out, size_t *len);
/* One value at t->p. */
bool toml_value(struct toml *t, struct cfg_node **out);

#endif
