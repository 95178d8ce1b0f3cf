/* The agent's state, shared by all listeners and handlers. Built once at start-up; handlers
 * only read it (anything mutable carries its own lock). */
#ifndef DSTACK_AGENT_AGENT_H
#define DSTACK_AGENT_AGENT_H

#include <stddef.h>

#include "json/json.h"

#include "config.h"
#include "tee/tee.h"

struct app_keys;           /* appkeys.h: the keys file, in locked memory */
struct info_cache;         /* info.h: the Info response, rebuilt when RTMR3 moves */
struct quote_answer_cache; /* quote_answer.h: GetQuote's encoded event log, per measurement state */
struct kms_client;         /* kms/kms_client.h: certificates through the KMS (key_provider Kms) */
struct app_cert_task;      /* startup.c: Info.app_cert retried in the background (Kms) */

struct agent {
    const struct agent_config *cfg;
    struct app_keys *keys;
    char *compose_text; /* app-compose.json, verbatim (echoed in tcb_info.app_compose) */
    size_t compose_len;
    char *app_name;  /* compose "name" */
    char *vm_config; /* sys-config "vm_config" string */
    const struct tee_backend *tee;
    void *tee_state;
    struct info_cache *info; /* info_cache_new after the backend opens; NULL = build per call */
    struct quote_answer_cache *quotes; /* NULL = encode the event log per call */
    struct kms_client *kms;            /* non-NULL iff keys->provider is KEY_PROVIDER_KMS */
    struct app_cert_task *app_cert_task;
};

#endif
