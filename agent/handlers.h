/* Every RPC handler of the agent, by the file that implements it. */
#ifndef DSTACK_AGENT_HANDLERS_H
#define DSTACK_AGENT_HANDLERS_H

#include "rpc.h"

/* rpc_info.c */
bool h_version(struct rpc_call *call);
bool h_gpu_info(struct rpc_call *call);
bool h_info(struct rpc_call *call);

/* rpc_keys.c */
bool h_get_key(struct rpc_call *call);
bool h_sign(struct rpc_call *call);
bool h_verify(struct rpc_call *call);
bool h_derive_k256_key(struct rpc_call *call);

/* rpc_tls.c */
bool h_get_tls_key(struct rpc_call *call);
bool h_derive_key(struct rpc_call *call);

/* rpc_quote.c */
bool h_get_quote(struct rpc_call *call);
bool h_attest(struct rpc_call *call);
bool h_tdx_quote(struct rpc_call *call);
bool h_raw_quote(struct rpc_call *call);
bool h_emit_event(struct rpc_call *call);

/* rpc_worker.c: the external Worker service */
bool h_worker_info(struct rpc_call *call);
bool h_get_attestation_for_app_key(struct rpc_call *call);

#endif
