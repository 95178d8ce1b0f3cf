/* libFuzzer target: the keys file the host hands the guest (upstream AppKeys JSON, docs/api/
 * docs/wire.md), parsed by agent/appkeys.c into locked memory at start-up. */
#include <stdlib.h>
#include <string.h>

#include "appkeys.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_keys *keys = NULL;
    err_clear();
    if (appkeys_parse("appkeys.json", (const char *)data, size, &keys) == DSTACK_OK) {
        if (keys == NULL) {
            __builtin_trap();
        }
        appkeys_free(keys);
    } else if (keys != NULL || err_text()[0] == '\0') {
        __builtin_trap(); /* a refusal leaves nothing behind and names the problem */
    }
    return 0;
}
