/* libFuzzer target: the OS-image inputs of the dstack layer (lib/verify, docs/verifier.md) on
 * arbitrary bytes. Byte 0 picks the parser:
 *   0 measurement.tdx.cbor (tdx_lite_decode), then its TD HOB witness rebuilt for 2 GiB;
 *   1 vm_config JSON text (dl_vm_config_parse);
 *   2 a TD HOB witness on its own (tdx_lite_td_hob_hash), memory from byte 1. */
#include <stddef.h>
#include <stdint.h>

#include "verify/dstack_layer.h"
#include "verify/tdx_lite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t hash[DSTACK_SHA384_LEN];
    if (size < 2) {
        return 0;
    }
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        static struct tdx_lite_measurement m;
        if (tdx_lite_decode(d, n, &m) == DSTACK_OK) {
            (void)tdx_lite_td_hob_hash(m.td_hob_witness, m.td_hob_witness_len, 0x80000000ull, hash);
        }
        break;
    }
    case 1: {
        struct dl_vm_config c;
        if (dl_vm_config_parse((const char *)d, n, &c) == DSTACK_OK) {
            dl_vm_config_free(&c);
        }
        break;
    }
    default:
        /* memory sizes around the 2 GiB and 2.75 GiB thresholds, and odd ones */
        (void)tdx_lite_td_hob_hash(d + 1, n - 1, (uint64_t)d[0] << 26, hash);
        break;
    }
    return 0;
}
