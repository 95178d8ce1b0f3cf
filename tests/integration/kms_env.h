/* The simulator under key_provider Kms against the test KMS (tests/peers/kms): starts the
 * simulator once to learn its app id, starts dstack-test-kms allowing that id (or another)
 * and writing <sim dir>/appkeys.json, then restarts the simulator on that keys file. */
#ifndef DSTACK_TEST_KMS_ENV_H
#define DSTACK_TEST_KMS_ENV_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

struct kms_env {
    struct sim sim;
    pid_t kms_pid;
    char url[256];
    char app_id[41];     /* the simulator's app id, hex */
    char root_path[400]; /* the test KMS's root certificate (PEM file) */
    char *root_pem;
    char *quote_root_pem; /* the simulator's quote root */
};

/* kms_args: extra dstack-test-kms options (NULL-terminated, may be NULL); allow_other: the KMS
 * allows a different app id than the simulator's. timeout_ms/connect_ms: 0 = the agent's
 * defaults. The simulator gets a config file (-c) with these limits and a thread per
 * connection, as the real agent runs. */
bool kms_env_start(struct kms_env *e, const char *const *kms_args, bool allow_other,
                   unsigned connect_ms, unsigned timeout_ms);

/* Kills the test KMS (the agent keeps running: "KMS down"). */
void kms_env_kill_kms(struct kms_env *e);

/* Stops both; returns sim_stop's status (98 when a key of the keys file is in the log). */
int kms_env_stop(struct kms_env *e);

/* TCP sockets the simulator holds: its listeners are Unix sockets, so these are KMS
 * connections (leak checks expect 0 once calls have ended). */
int kms_env_sim_tcp(const struct kms_env *e);

#endif
