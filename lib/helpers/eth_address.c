/* Ethereum address with EIP-55 checksum (docs/sdk.md; EIP-55). */
#include <dstack/helpers.h>

#include <secp256k1.h>

#include "client/client_internal.h"
#include "crypto/k256.h"
#include "crypto/keccak.h"
#include "util/hex.h"
#include "util/secret.h"

dstack_err dstack_eth_address(const uint8_t key[DSTACK_KEY_LEN],
                              char out[DSTACK_ETH_ADDRESS_LEN + 1])
{
    err_clear();
    if (key == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_eth_address: NULL argument");
    }
    out[0] = '\0';
    const secp256k1_context *ctx = k256_ctx();
    secp256k1_pubkey pk;
    if (ctx == NULL) {
        return err_set(DSTACK_ECRYPTO, "secp256k1 context unavailable");
    }
    if (secp256k1_ec_pubkey_create(ctx, &pk, key) != 1) {
        return err_set(DSTACK_EINVAL, "key is not a valid secp256k1 private key");
    }
    uint8_t full[K256_PUBKEY_FULL_LEN];
    size_t len = sizeof full;
    (void)secp256k1_ec_pubkey_serialize(ctx, full, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    uint8_t h[KECCAK256_LEN];
    keccak256(full + 1, sizeof full - 1, h); /* X || Y without the 0x04 tag */
    char lower[41];
    hex_encode(h + 12, 20, lower);
    /* EIP-55: upper-case a letter when the matching nibble of keccak256(lowercase hex) >= 8. */
    uint8_t ch[KECCAK256_LEN];
    keccak256(lower, 40, ch);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nib = (ch[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;
        char c = lower[i];
        out[2 + i] = (c >= 'a' && c <= 'f' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = '\0';
    return DSTACK_OK;
}
