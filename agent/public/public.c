#include "public/public.h"

#include <stdlib.h>
#include <string.h>

#include "cjson_util.h"
#include "docker.h"
#include "info.h"
#include "public/render.h"
#include "server.h"
#include "util/error.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

void public_flags_read(const struct agent *a, struct public_flags *out)
{
    *out = (struct public_flags){.public_tcbinfo = true};
    cJSON *doc = a->compose_text != NULL ? cj_parse(a->compose_text, a->compose_len) : NULL;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "public_logs")) != NULL) {
        out->public_logs = cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "public_sysinfo")) != NULL) {
        out->public_sysinfo = cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "public_tcbinfo")) != NULL) {
        out->public_tcbinfo = cJSON_IsTrue(v);
    }
    cJSON_Delete(doc);
}

static enum MHD_Result send_strbuf(struct listener *l, struct MHD_Connection *conn, unsigned status,
                                   const char *type, struct strbuf *b)
{
    if (b->failed || b->data == NULL) {
        strbuf_free(b);
        const char *msg = "out of memory";
        return server_send(l, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT_PLAIN, strdup(msg),
                           strlen(msg));
    }
    return server_send(l, conn, status, type, b->data, b->len); /* takes the buffer */
}

static enum MHD_Result send_text(struct listener *l, struct MHD_Connection *conn, unsigned status,
                                 const char *msg)
{
    struct strbuf b = {0};
    strbuf_puts(&b, msg);
    return send_strbuf(l, conn, status, TEXT_PLAIN, &b);
}

static void collect_sysinfo(const struct agent *a, struct sysinfo_snapshot *s)
{
    sysinfo_collect(a->cfg->data_disks, a->cfg->n_data_disks, s);
}

static enum MHD_Result metrics(struct listener *l, struct MHD_Connection *conn)
{
    struct sysinfo_snapshot *s = malloc(sizeof *s);
    if (s == NULL) {
        return send_text(l, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    collect_sysinfo(l->agent, s);
    struct strbuf b = {0};
    render_metrics(s, &b);
    free(s);
    return send_strbuf(l, conn, MHD_HTTP_OK, TEXT_PLAIN, &b);
}

static enum MHD_Result dashboard(struct listener *l, struct MHD_Connection *conn,
                                 const struct public_flags *flags)
{
    char *info = NULL;
    size_t info_len = 0;
    if (info_get_text(l->agent->info, l->agent, true, &info, &info_len) != DSTACK_OK) {
        return send_text(l, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err_text());
    }
    cJSON *doc = cj_parse(info, info_len);
    free(info);
    struct sysinfo_snapshot *sys = flags->public_sysinfo ? malloc(sizeof *sys) : NULL;
    if (sys != NULL) {
        collect_sysinfo(l->agent, sys);
    }
    struct docker_containers containers = {0};
    bool docker_ok = docker_list_containers(&containers) == DSTACK_OK;
    struct dashboard_model m = {
        .app_name = cj_str(doc, "app_name", ""),
        .app_id = cj_str(doc, "app_id", ""),
        .instance_id = cj_str(doc, "instance_id", ""),
        .device_id = cj_str(doc, "device_id", ""),
        .key_provider_info = cj_str(doc, "key_provider_info", ""),
        .tcb_info = cj_str(doc, "tcb_info", ""),
        .cloud_vendor = cj_str(doc, "cloud_vendor", ""),
        .cloud_product = cj_str(doc, "cloud_product", ""),
        .public_sysinfo = flags->public_sysinfo,
        .public_logs = flags->public_logs,
        .public_tcbinfo = flags->public_tcbinfo,
        .sys = sys,
        .containers = &containers,
        .docker_error = docker_ok ? NULL : err_text(), /* why the list is empty */
    };
    struct strbuf b = {0};
    render_dashboard(&m, &b);
    docker_containers_free(&containers);
    free(sys);
    cJSON_Delete(doc);
    return send_strbuf(l, conn, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
}

bool public_dispatch(struct listener *l, struct MHD_Connection *conn, const char *url,
                     bool raw_control, enum MHD_Result *result)
{
    struct public_flags flags;
    public_flags_read(l->agent, &flags);
    if (strcmp(url, "/") == 0 && !raw_control) {
        *result = dashboard(l, conn, &flags);
        return true;
    }
    if (flags.public_sysinfo && strcmp(url, "/metrics") == 0 && !raw_control) {
        *result = metrics(l, conn);
        return true;
    }
    if (flags.public_logs && strncmp(url, "/logs/", 6) == 0 && url[6] != '\0') {
        *result = public_logs(l, conn, url + 6, raw_control);
        return true;
    }
    return false;
}
