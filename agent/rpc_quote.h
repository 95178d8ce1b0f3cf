/* GetQuoteResponse building, shared by GetQuote and the Worker's GetAttestationForAppKey. */
#ifndef DSTACK_AGENT_RPC_QUOTE_H
#define DSTACK_AGENT_RPC_QUOTE_H

#include <stdint.h>

#include <dstack/common.h>

#include "rpc.h"

/* Sets call->result to {quote, event_log, report_data, vm_config[, attestation]} for rd. */
dstack_err rpc_quote_response(struct rpc_call *call, const uint8_t rd[DSTACK_REPORT_DATA_LEN]);

#endif
