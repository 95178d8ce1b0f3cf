/* Info on dstack.sock and tappd.sock (docs/api/Info.md): the cached AppInfo. */
#include "agent.h"
#include "handlers.h"
#include "info.h"

bool h_info(struct rpc_call *call)
{
    char err[RPC_ERROR_MAX];
    /* The cached encoding: Info is large and changes only when an event is emitted. */
    if (info_get_text(call->agent->info, call->agent, false, &call->result_text,
                      &call->result_text_len, err, sizeof err) != DSTACK_OK) {
        return rpc_fail(call, "%s", err);
    }
    return true;
}
