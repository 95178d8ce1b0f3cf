/* Info on dstack.sock and tappd.sock (spec/wire-api.md §4.5, §5.5): the cached AppInfo. */
#include "agent.h"
#include "handlers.h"
#include "info.h"

bool h_info(struct rpc_call *call)
{
    char err[RPC_ERROR_MAX];
    json_t *out = NULL;
    if (info_get(call->agent->info, call->agent, false, &out, err, sizeof err) != DSTACK_OK) {
        return rpc_fail(call, "%s", err);
    }
    call->result = out;
    return true;
}
