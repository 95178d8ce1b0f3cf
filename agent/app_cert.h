/* Info.app_cert, the RA-TLS "demo-cert" upstream issues at start-up (rpc_service.rs:L108-153).
 * With a local CA it is made before the agent serves. Through a KMS it is made by a background
 * thread that retries with back-off (1 s doubling to 60 s) and logs each failure, so an
 * unreachable KMS never delays or stops start-up; Info answers "" until it succeeds. */
#ifndef DSTACK_AGENT_APP_CERT_H
#define DSTACK_AGENT_APP_CERT_H

#include <dstack/common.h>

struct agent;

/* Never fails start-up for a certificate that cannot be issued; errors only for resources. */
dstack_err app_cert_start(struct agent *a);

/* Stops and joins the background thread (a KMS call in flight is cancelled). NULL-safe. */
void app_cert_stop(struct agent *a);

#endif
