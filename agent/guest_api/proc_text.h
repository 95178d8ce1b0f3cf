/* Small text files of the kernel's pseudo file systems (/proc, /sys), whose st_size is 0 so the
 * regular-file reader of lib/util cannot take them. */
#ifndef DSTACK_AGENT_GUEST_API_PROC_TEXT_H
#define DSTACK_AGENT_GUEST_API_PROC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads at most cap-1 bytes of path into buf, NUL-terminated. False when it cannot be opened or
 * read (buf is then ""). Longer files are cut, which the callers' formats tolerate. */
bool proc_text_read(const char *path, char *buf, size_t cap);

/* The first unsigned decimal number in path; false when absent or unreadable. */
bool proc_text_u64(const char *path, uint64_t *out);

/* The value of `key` in a "Key: value" or KEY=value listing (/proc/meminfo, /etc/os-release):
 * blanks may stand before the separator; the text after it and any blanks, up to the end of the
 * line, surrounding double quotes removed. False when the key is absent. */
bool proc_text_field(const char *text, const char *key, char sep, char *out, size_t cap);

#endif
