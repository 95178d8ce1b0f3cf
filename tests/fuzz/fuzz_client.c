/* libFuzzer target: what the SDK (lib/client) decodes from an agent's answer — GetKey, Info
 * (with tcb_info), GetQuote/TdxQuote (then its event log and replay), GetTlsKey/DeriveKey (then
 * the key's DER) — plus the compose documents it hashes. Byte 0 picks the decoder; the rest is
 * the response body. A hostile or broken agent must get an error, never a crash. */
#include "json/json.h"
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/client.h>
#include <dstack/helpers.h>

#include "client/client_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_object(unsigned which, const char *text, size_t len)
{
    cJSON *obj = json_parse(text, len, JSON_DUPS_LAST, NULL); /* as the SDK reads answers */
    if (!cJSON_IsObject(obj)) {
        json_free(obj);
        return;
    }
    char *copy = strndup(text, len); /* the *_from_json decoders take ownership of the text */
    if (copy == NULL) {
        json_free(obj);
        return;
    }
    if (which == 2) {
        struct dstack_get_quote_response *q = NULL;
        if (client_quote_from_json(obj, copy, &q) == DSTACK_OK) {
            struct dstack_event_log log;
            dstack_event_log_init(&log);
            (void)dstack_get_quote_response_event_log(q, &log);
            dstack_event_log_free(&log);
            uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
            (void)dstack_get_quote_response_replay_rtmrs(q, rtmr);
            dstack_get_quote_response_free(q);
        }
    } else {
        struct dstack_get_tls_key_response *k = NULL;
        if (client_tls_key_from_json(obj, copy, &k) == DSTACK_OK) {
            struct dstack_bytes der = {0};
            if (dstack_get_tls_key_response_der(k, 0, &der) == DSTACK_OK) {
                dstack_bytes_wipe_free(&der);
            }
            if (dstack_get_tls_key_response_der(k, 32, &der) == DSTACK_OK) {
                if (der.len != 32) {
                    __builtin_trap();
                }
                dstack_bytes_wipe_free(&der);
            }
            dstack_get_tls_key_response_free(k);
        }
    }
    json_free(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    char *text = strndup((const char *)data + 1, size - 1); /* the public decoders take C text */
    if (text == NULL) {
        return 0;
    }
    size_t len = strlen(text);
    switch (data[0] % 6) {
    case 0: {
        struct dstack_get_key_response *k = NULL;
        if (dstack_get_key_response_decode(text, &k) == DSTACK_OK) {
            dstack_get_key_response_free(k);
        }
        break;
    }
    case 1: {
        struct dstack_info_response *i = NULL;
        if (dstack_info_response_decode(text, &i) == DSTACK_OK) {
            dstack_info_response_free(i);
        }
        break;
    }
    case 2:
    case 3:
        decode_object(data[0] % 6, text, len);
        break;
    case 4: {
        char hash[DSTACK_COMPOSE_HASH_HEX_LEN + 1];
        (void)dstack_compose_hash(text, len, (data[0] & 0x80) != 0, hash);
        break;
    }
    default: {
        static const uint8_t sk[DSTACK_X25519_KEY_LEN] = {7};
        char *plain = NULL;
        size_t plain_len = 0;
        if (dstack_decrypt_env_vars(data + 1, size - 1, sk, &plain, &plain_len) == DSTACK_OK) {
            free(plain);
        }
        break;
    }
    }
    free(text);
    return 0;
}
