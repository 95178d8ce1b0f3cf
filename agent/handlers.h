/* Every RPC handler of the agent, by the file that implements it. */
#ifndef DSTACK_AGENT_HANDLERS_H
#define DSTACK_AGENT_HANDLERS_H

#include "rpc.h"

/* rpc_info.c */
dstack_err h_version(struct rpc_call *call);
dstack_err h_gpu_info(struct rpc_call *call);
dstack_err h_info(struct rpc_call *call);

/* rpc_keys.c */
dstack_err h_get_key(struct rpc_call *call);
dstack_err h_sign(struct rpc_call *call);
dstack_err h_verify(struct rpc_call *call);
dstack_err h_derive_k256_key(struct rpc_call *call);

/* rpc_tls.c */
dstack_err h_get_tls_key(struct rpc_call *call);
dstack_err h_derive_key(struct rpc_call *call);

/* rpc_quote.c */
dstack_err h_get_quote(struct rpc_call *call);
dstack_err h_attest(struct rpc_call *call);
dstack_err h_tdx_quote(struct rpc_call *call);
dstack_err h_raw_quote(struct rpc_call *call);
dstack_err h_emit_event(struct rpc_call *call);

/* rpc_worker.c: the external Worker service */
dstack_err h_worker_info(struct rpc_call *call);
dstack_err h_get_attestation_for_app_key(struct rpc_call *call);

#endif
