/* The raw bytes of a top-level member's value in a JSON object. Intel signs the exact text of
 * "tcbInfo" / "enclaveIdentity" inside the PCS answer, so the value is cut out of the answer
 * rather than printed again (a re-serialisation could change escapes or number forms). The
 * caller has already checked the whole text parses as JSON. */
#include "pccs.h"

#include <string.h>

/* Index just past the JSON string starting at s[i] == '"', or len when unterminated. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return len;
}

/* Index just past the value starting at s[i] (object, array, string or scalar). */
static size_t skip_value(const char *s, size_t len, size_t i)
{
    if (i < len && s[i] == '"') {
        return skip_string(s, len, i);
    }
    size_t depth = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            i = skip_string(s, len, i) - 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return i; /* end of the enclosing container: a scalar ends here */
            }
            if (--depth == 0) {
                return i + 1;
            }
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            return i;
        }
    }
    return len;
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
        i++;
    }
    return i;
}

bool pccs_json_raw_value(const char *json, size_t len, const char *key, const char **at, size_t *n)
{
    size_t i = skip_ws(json, len, 0), klen = strlen(key);
    if (i >= len || json[i] != '{') {
        return false;
    }
    i++;
    while ((i = skip_ws(json, len, i)) < len && json[i] == '"') {
        size_t kend = skip_string(json, len, i);
        bool match = kend - i == klen + 2 && memcmp(json + i + 1, key, klen) == 0;
        i = skip_ws(json, len, kend);
        if (i >= len || json[i] != ':') {
            return false;
        }
        i = skip_ws(json, len, i + 1);
        size_t vend = skip_value(json, len, i);
        if (match) {
            *at = json + i;
            *n = vend - i;
            return vend > i;
        }
        i = skip_ws(json, len, vend);
        if (i < len && json[i] == ',') {
            i++;
        }
    }
    return false;
}
