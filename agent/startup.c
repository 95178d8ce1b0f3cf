#include "startup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_cert.h"
#include "appkeys.h"
#include "info.h"
#include "kms/kms_client.h"
#include "log.h"
#include "quote_answer.h"
#include "tls.h"
#include "util/error.h"
#include "util/file.h"

#define MAX_CONFIG_FILE (1u << 20) /* compose / sys-config: far above any real one */

/* app-compose.json: kept verbatim (tcb_info.app_compose echoes it); "name" -> app_name. */
static dstack_err load_compose(struct agent *a, const char *path)
{
    dstack_err e = file_read_all(path, MAX_CONFIG_FILE, &a->compose_text, &a->compose_len, NULL);
    if (e != DSTACK_OK) {
        return e;
    }
    struct json_error jerr;
    cJSON *doc = json_parse(a->compose_text, a->compose_len, 0, &jerr);
    if (!cJSON_IsObject(doc)) {
        (void)err_set(DSTACK_EFORMAT, "%.300s: not a JSON object (%.150s, line %d)", path,
                      doc ? "wrong type" : jerr.text, jerr.line);
        json_free(doc);
        return DSTACK_EFORMAT;
    }
    const cJSON *name = json_get(doc, "name");
    if (name != NULL && !cJSON_IsString(name)) {
        json_free(doc);
        return err_set(DSTACK_EFORMAT, "%.400s: \"name\" must be a string", path);
    }
    a->app_name = strdup(name ? json_str(name) : "");
    json_free(doc);
    return a->app_name ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

/* sys-config.json: only its required "vm_config" string is surfaced (docs/wire.md). */
static dstack_err load_sys_config(struct agent *a, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    dstack_err e = file_read_all(path, MAX_CONFIG_FILE, &text, &len, NULL);
    if (e != DSTACK_OK) {
        return e;
    }
    struct json_error jerr;
    cJSON *doc = json_parse(text, len, 0, &jerr);
    free(text);
    const cJSON *vm = json_get(doc, "vm_config");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(vm)) {
        (void)err_set(DSTACK_EFORMAT, "%.300s: %.200s", path,
                      doc == NULL ? jerr.text : "\"vm_config\" (a JSON string) is required");
        json_free(doc);
        return DSTACK_EFORMAT;
    }
    a->vm_config = strdup(json_str(vm));
    json_free(doc);
    return a->vm_config ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

dstack_err agent_open(struct agent *a, const struct agent_config *cfg)
{
    memset(a, 0, sizeof *a);
    a->cfg = cfg;
    dstack_err e = DSTACK_OK;

    a->tee = tee_backend_find(cfg->backend);
    if (a->tee == NULL && strcmp(cfg->backend, "simulator") == 0) {
        return err_set(DSTACK_EUNSUPPORTED,
                       "the simulator backend is not part of this program: the simulator is a "
                       "separate program, dstack-simulator");
    }
    if (a->tee == NULL) {
        return err_set(DSTACK_EINVAL, "unknown TEE backend \"%s\"", cfg->backend);
    }
    if (a->tee->prepare != NULL && (e = a->tee->prepare(cfg)) != DSTACK_OK) {
        goto out;
    }
    if ((e = load_compose(a, cfg->compose_file)) != DSTACK_OK ||
        (e = load_sys_config(a, cfg->sys_config_file)) != DSTACK_OK ||
        (e = appkeys_load(cfg->keys_file, &a->keys)) != DSTACK_OK) {
        goto out;
    }
    if ((e = a->tee->open(cfg, &a->tee_state)) != DSTACK_OK) {
        (void)err_wrap(e, "%s backend", a->tee->name);
        goto out;
    }
    if ((e = info_cache_new(a, &a->info)) != DSTACK_OK) {
        goto out;
    }
    if ((e = quote_answer_cache_new(&a->quotes)) != DSTACK_OK) {
        (void)err_set(e, "out of memory");
        goto out;
    }
    if (a->keys->provider == KEY_PROVIDER_KMS) {
        if (kms_http_global_init() != DSTACK_OK || kms_client_new(&a->kms) != DSTACK_OK) {
            e = err_set(DSTACK_ENOMEM, "cannot set up the KMS client");
            goto out;
        }
    }
    if ((e = app_cert_start(a)) != DSTACK_OK) {
        (void)err_set(e, "cannot start the Info.app_cert task");
        goto out;
    }
out:
    if (e != DSTACK_OK) {
        agent_close(a);
    }
    return e;
}

void agent_close(struct agent *a)
{
    app_cert_stop(a); /* first: it uses the backend, the keys and the info cache */
    kms_client_free(a->kms);
    info_cache_free(a->info);
    quote_answer_cache_free(a->quotes);
    if (a->tee != NULL && a->tee_state != NULL) {
        a->tee->close(a->tee_state);
    }
    appkeys_free(a->keys);
    free(a->compose_text);
    free(a->app_name);
    free(a->vm_config);
    memset(a, 0, sizeof *a);
}
