/* The external Worker service (docs/api/Worker.md): public Info, Version and the
 * attestation of the app's signing key. Served on TCP 8090 upstream; nothing here reveals a
 * private key. */
#include <string.h>

#include "agent.h"
#include "appkeys.h"
#include "handlers.h"
#include "info.h"
#include "rpc_quote.h"
#include "util/base64.h"

/* Info with tcb_info and vm_config hidden unless the compose has public_tcbinfo (default true). */
dstack_err h_worker_info(struct rpc_call *call)
{
    cJSON *out = NULL;
    dstack_err e = info_get(call->agent->info, call->agent, true, &out);
    if (e != DSTACK_OK) {
        return e; /* info_get's text */
    }
    call->result = out;
    return DSTACK_OK;
}

/* A quote whose report data names the public key of Sign's key (GetKey "vms"/"signing"):
 * "dip1::ed25519-pk:" or "dip1::secp256k1c-pk:" + base64url (no padding), zero-padded to 64
 * (rpc_service.rs:627-675, docs/api/Worker.md). "" and secp256k1_prehashed are refused like
 * upstream (the first by its match, the second by GetKey). */
dstack_err h_get_attestation_for_app_key(struct rpc_call *call)
{
    const char *alg;
    dstack_err e = rpc_arg_string(call, "algorithm", &alg);
    if (e != DSTACK_OK) {
        return e;
    }
    const struct app_keys *keys = call->agent->keys;
    const struct appkeys_signing_key *sk;
    const char *prefix;
    if (strcmp(alg, "ed25519") == 0) {
        sk = &keys->vms_ed25519;
        prefix = "dip1::ed25519-pk:";
    } else if (strcmp(alg, "secp256k1") == 0 || strcmp(alg, "k256") == 0) {
        sk = &keys->vms_k256;
        prefix = "dip1::secp256k1c-pk:";
    } else {
        return err_set(DSTACK_EINVAL, "Unsupported algorithm");
    }
    uint8_t rd[DSTACK_REPORT_DATA_LEN] = {0};
    char text[DSTACK_REPORT_DATA_LEN + 1];
    size_t plen = strlen(prefix);
    /* 17 + 43 = 60 bytes for Ed25519, 20 + 44 = 64 for secp256k1: always fits. */
    if (plen + base64_encoded_len(sk->pub_len, true) > DSTACK_REPORT_DATA_LEN) {
        return err_set(DSTACK_EINVAL, "report data does not fit");
    }
    memcpy(text, prefix, plen);
    base64_encode(sk->pub, sk->pub_len, true, text + plen);
    memcpy(rd, text, strlen(text));
    return rpc_quote_response(call, rd);
}
