/* libFuzzer target: the V0 VersionedAttestation decoder (docs/wire.md), as the
 * simulator's --attestation loads it; decoded inputs must re-encode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/versioned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct versioned_attestation a;
    if (versioned_decode(data, size, &a) != DSTACK_OK) {
        return 0;
    }
    uint8_t *enc = NULL;
    size_t len = 0;
    if (versioned_encode_v0(&a, &enc, &len) != DSTACK_OK || len != size ||
        memcmp(enc, data, size) != 0) {
        __builtin_trap(); /* the codec is canonical: decode then encode is the identity */
    }
    free(enc);
    uint8_t rd[64] = {1};
    (void)versioned_set_report_data(&a, rd);
    (void)versioned_encode_v0_stripped(&a, &enc, &len);
    free(enc);
    json_free(versioned_event_log_json(&a));
    versioned_free(&a);
    return 0;
}
