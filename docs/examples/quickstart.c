/* The Python SDK's quick start, in C (docs/sdk.md walks through it).
 *
 *   cc quickstart.c $(pkg-config --cflags --libs dstack) -o quickstart
 *   DSTACK_SIMULATOR_ENDPOINT=/path/to/dstack.sock ./quickstart
 */
#include <stdio.h>
#include <string.h>

#include <dstack/dstack.h>

static int fail(const char *what, dstack_err err)
{
    fprintf(stderr, "%s: %s (%s)\n", what, dstack_last_error(), dstack_err_str(err));
    return 1;
}

int main(void)
{
    struct dstack_client *client = NULL;
    struct dstack_get_key_response *key = NULL;
    struct dstack_get_quote_response *quote = NULL;
    struct dstack_info_response *info = NULL;
    dstack_err err;
    int rc = 1;

    /* endpoint NULL: $DSTACK_SIMULATOR_ENDPOINT, else /var/run/dstack.sock and friends */
    if ((err = dstack_client_new(NULL, NULL, &client)) != DSTACK_OK) {
        return fail("connect", err);
    }

    /* Derive a deterministic key for your wallet: same path, same key. */
    if ((err = dstack_get_key(client, "wallet/eth", NULL, NULL, &key)) != DSTACK_OK) {
        rc = fail("get_key", err);
        goto out;
    }
    printf("key: %zu bytes, signature chain of %zu\n", key->key_len, key->signature_chain_len);

    char address[DSTACK_ETH_ADDRESS_LEN + 1];
    if (key->key_len == DSTACK_KEY_LEN && dstack_eth_address(key->key, address) == DSTACK_OK) {
        printf("ethereum address: %s\n", address);
    }

    /* Generate an attestation quote over your own report data (up to 64 bytes). */
    const char *state = "my-app-state";
    err = dstack_get_quote(client, (const uint8_t *)state, strlen(state), &quote);
    if (err != DSTACK_OK) {
        rc = fail("get_quote", err);
        goto out;
    }
    printf("quote: %zu bytes\n", quote->quote.len);

    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    if (dstack_get_quote_response_replay_rtmrs(quote, rtmr) == DSTACK_OK) {
        printf("rtmr3 replayed from the event log: %02x%02x%02x%02x...\n", rtmr[3][0], rtmr[3][1],
               rtmr[3][2], rtmr[3][3]);
    }

    /* Instance information; tcb_info is decoded on first access, NULL when the agent hides it. */
    if ((err = dstack_info(client, &info)) != DSTACK_OK) {
        rc = fail("info", err);
        goto out;
    }
    printf("app_id: %s\ninstance_id: %s\n", info->app_id, info->instance_id);
    const struct dstack_info_tcb *tcb = NULL; /* decoded on first access */
    if ((err = dstack_info_tcb_info(info, &tcb)) != DSTACK_OK) {
        rc = fail("tcb_info", err);
        goto out;
    }
    if (tcb != NULL) {
        printf("mrtd: %s\n", tcb->mrtd);
    }
    rc = 0;
out:
    dstack_info_response_free(info);
    dstack_get_quote_response_free(quote);
    dstack_get_key_response_free(key); /* wipes the key */
    dstack_client_free(client);
    return rc;
}
