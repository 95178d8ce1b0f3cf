/* The GuestApi service (guest-api/proto/guest_api.proto) served to the host on the guest-api
 * listener only: vsock port 8000 on a CVM, guest.sock in the simulator (docs/api/guest-*.md).
 * Every method takes google.protobuf.Empty. */
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "cjson_util.h"
#include "docker.h"
#include "guest_api/encode.h"
#include "guest_api/guest_api.h"
#include "guest_api/run_capture.h"
#include "guest_api/vsock_http.h"
#include "info.h"
#include "log.h"
#include "util/error.h"
#include "util/file.h"

static dstack_err answer(struct rpc_call *call, char *text, size_t len)
{
    if (text == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    call->result_text = text;
    call->result_text_len = len;
    return DSTACK_OK;
}

dstack_err h_guest_sysinfo(struct rpc_call *call)
{
    const struct agent_config *cfg = call->agent->cfg;
    struct sysinfo_snapshot *s = malloc(sizeof *s);
    if (s == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    sysinfo_collect(cfg->data_disks, cfg->n_data_disks, s);
    size_t len = 0;
    char *text = guest_encode_sysinfo(s, &len);
    free(s);
    return answer(call, text, len);
}

dstack_err h_guest_network_info(struct rpc_call *call)
{
    struct netinfo_snapshot *s = malloc(sizeof *s);
    if (s == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (netinfo_collect(NULL, NULL, s) != DSTACK_OK) {
        free(s);
        return DSTACK_EINVAL; /* the callee's text */
    }
    size_t len = 0;
    char *text = guest_encode_netinfo(s, &len);
    netinfo_free(s);
    free(s);
    return answer(call, text, len);
}

dstack_err h_guest_list_containers(struct rpc_call *call)
{
    struct docker_containers list;
    if (docker_list_containers(&list) != DSTACK_OK) {
        return DSTACK_EINVAL; /* the callee's text */
    }
    size_t len = 0;
    char *text = guest_encode_containers(&list, &len);
    docker_containers_free(&list);
    return answer(call, text, len);
}

/* GuestInfo: the Worker's public Info (tcb_info hidden unless public_tcbinfo) and our version. */
dstack_err h_guest_info(struct rpc_call *call)
{
    char *info = NULL;
    size_t info_len = 0;
    if (info_get_text(call->agent->info, call->agent, true, &info, &info_len) != DSTACK_OK) {
        return DSTACK_EINVAL; /* the callee's text */
    }
    cJSON *src = cj_parse(info, info_len);
    free(info);
    cJSON *o = cJSON_CreateObject();
    bool ok = src != NULL && o != NULL && cj_add_str(o, "version", DSTACK_WIRE_VERSION);
    static const char *const fields[] = {"app_id", "instance_id", "app_cert", "tcb_info",
                                         "device_id"};
    for (size_t i = 0; ok && i < sizeof fields / sizeof fields[0]; i++) {
        ok = cj_add_str(o, fields[i], cj_str(src, fields[i], ""));
    }
    size_t len = 0;
    char *text = ok ? cj_print(o, &len) : NULL;
    cJSON_Delete(o);
    cJSON_Delete(src);
    return answer(call, text, len);
}

/* ---- Shutdown ----------------------------------------------------------------------------- */

struct shutdown_job {
    char sys_config[1024];
    size_t argc;
    char argv[CONFIG_MAX_POWEROFF_ARGS][256];
};

/* The host's Notification {event, payload} as upstream's PrpcClient sends it: serde_json's
 * compact encoding, fields in proto order (host-api/proto/host_api.proto). */
static char *notification_body(const char *event, const char *payload)
{
    cJSON *o = cJSON_CreateObject();
    size_t len = 0;
    char *text = o != NULL && cj_add_str(o, "event", event) && cj_add_str(o, "payload", payload)
                     ? cj_print(o, &len)
                     : NULL;
    cJSON_Delete(o);
    return text;
}

/* Tells the host "shutdown.progress: powering off" at sys-config's host_api_url, as upstream's
 * notify_host does: POST <host_api_url>/Notify?json (best effort: the power-off goes ahead
 * either way; docs/api/guest-Shutdown.md). */
static void notify_host(const char *sys_config)
{
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(sys_config, 1u << 20, &text, &len, NULL) != DSTACK_OK) {
        log_warn("Shutdown: no host notification: %s", err_text());
        return;
    }
    cJSON *doc = cj_parse(text, len);
    free(text);
    const char *url = cj_str(doc, "host_api_url", "");
    char *body = notification_body("shutdown.progress", "powering off");
    if (url[0] == '\0') {
        log_warn("Shutdown: no host notification: %s has no host_api_url", sys_config);
    } else if (body == NULL) {
        log_warn("Shutdown: no host notification: out of memory");
    } else if (host_http_post(url, "Notify?json", body, 3000) != DSTACK_OK) {
        log_warn("Shutdown: host notification failed: %s", err_text());
    } else {
        log_info("Shutdown: host notified at %.200s", url);
    }
    free(body);
    cJSON_Delete(doc);
}

static void *shutdown_thread(void *arg)
{
    struct shutdown_job *job = arg;
    notify_host(job->sys_config);
    if (job->argc == 0) {
        /* The simulator has no VM to power off: it stops itself, cleanly (daemon.c). */
        log_info("Shutdown requested by the host: stopping the simulator");
        kill(getpid(), SIGTERM);
    } else {
        const char *argv[CONFIG_MAX_POWEROFF_ARGS + 1] = {NULL};
        for (size_t i = 0; i < job->argc; i++) {
            argv[i] = job->argv[i];
        }
        log_info("Shutdown requested by the host: running %s", argv[0]);
        int rc = run_wait(argv);
        if (rc != 0) {
            log_error("Shutdown: %s failed (%d)", argv[0], rc);
        }
    }
    free(job);
    return NULL;
}

dstack_err h_guest_shutdown(struct rpc_call *call)
{
    const struct agent_config *cfg = call->agent->cfg;
    if (!cfg->guest_allow_shutdown) {
        return err_set(DSTACK_EINVAL,
                       "Shutdown is disabled on this agent (allow_shutdown = false in "
                       "the [guest-api] configuration)");
    }
    struct shutdown_job *job = calloc(1, sizeof *job);
    pthread_t t;
    if (job == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    snprintf(job->sys_config, sizeof job->sys_config, "%s", cfg->sys_config_file);
    job->argc = cfg->n_poweroff;
    memcpy(job->argv, cfg->poweroff_argv, sizeof job->argv);
    if (pthread_create(&t, NULL, shutdown_thread, job) != 0) {
        free(job);
        return err_set(DSTACK_EINVAL, "cannot start the shutdown");
    }
    pthread_detach(t);
    return answer(call, strdup("null"), 4);
}
