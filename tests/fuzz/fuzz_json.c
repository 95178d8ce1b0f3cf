/* libFuzzer target: json_parse (lib/json), the one JSON decoder every other parser goes through.
 * Byte 0 picks the flags (serde's rules or JSON.parse's); the rest is the text. What parses must
 * be valid UTF-8 (the four strictness rules hold), and json_dump's text of it must parse back to
 * an equal tree and dump to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    unsigned flags = data[0] & (JSON_DUPS_LAST | JSON_KEEP_NUL | JSON_HUGE_INF);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct json_error err;
    cJSON *v = json_parse(text, len, flags, &err);
    if (v == NULL) {
        if (err.text[0] == '\0') {
            __builtin_trap(); /* every refusal says why */
        }
        return 0;
    }
    if (!utf8_valid(text, len)) {
        __builtin_trap(); /* rule 1 */
    }
    char *out = json_dump(v, (data[0] & 0x10) ? 2 : 0, NULL);
    if (out != NULL && !(flags & JSON_HUGE_INF)) {
        cJSON *again = json_parse(out, strlen(out), flags, NULL);
        char *out2 = json_dump(again, (data[0] & 0x10) ? 2 : 0, NULL);
        if (again == NULL || out2 == NULL || strcmp(out, out2) != 0) {
            __builtin_trap(); /* our own text must parse back to the same bytes */
        }
        free(out2);
        json_free(again);
    }
    free(out);
    json_free(v);
    return 0;
}
