/* Hex digit checks for the agent's answers that /quote relays without decoding. */
#ifndef DSTACK_SC_HEX_H
#define DSTACK_SC_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is an even number of hex digits; lower: lowercase only (what the agent writes
 * and what the answer must carry), else either case. No "0x" prefix is skipped here. */
bool sc_hex_digits(const char *s, size_t n, bool lower);

#endif
