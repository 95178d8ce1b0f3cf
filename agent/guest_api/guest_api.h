/* The GuestApi handlers (routes.c serves them on API_GUEST listeners only). */
#ifndef DSTACK_AGENT_GUEST_API_GUEST_API_H
#define DSTACK_AGENT_GUEST_API_GUEST_API_H

#include "rpc.h"

dstack_err h_guest_info(struct rpc_call *call);
dstack_err h_guest_sysinfo(struct rpc_call *call);
dstack_err h_guest_network_info(struct rpc_call *call);
dstack_err h_guest_list_containers(struct rpc_call *call);
dstack_err h_guest_shutdown(struct rpc_call *call);

#endif
