/* The public server's pages as text, apart from HTTP (unit-tested): the Prometheus exposition
 * of /metrics (names of guest-agent/templates/metrics.tpl) and the dashboard of /
 * (what guest-agent/templates/dashboard.html shows; docs/api/public-routes.md). */
#ifndef DSTACK_AGENT_PUBLIC_RENDER_H
#define DSTACK_AGENT_PUBLIC_RENDER_H

#include <stdbool.h>

#include "client/strbuf.h"
#include "docker.h"
#include "guest_api/sysinfo.h"

void render_metrics(const struct sysinfo_snapshot *s, struct strbuf *out);

/* A label value with \, newline and " escaped (Prometheus text format 0.0.4). */
void render_label(const char *value, struct strbuf *out);

/* Text with & < > " ' as character references. */
void render_html(const char *text, struct strbuf *out);

struct dashboard_model {
    /* from the Worker's Info (tcb_info "" unless public) */
    const char *app_name, *app_id, *instance_id, *device_id, *key_provider_info, *tcb_info;
    const char *cloud_vendor, *cloud_product;
    bool public_sysinfo, public_logs, public_tcbinfo;
    const struct sysinfo_snapshot *sys;         /* used when public_sysinfo */
    const struct docker_containers *containers; /* empty when Docker is not there */
    const char *docker_error;                   /* NULL, or why the list is empty */
};

void render_dashboard(const struct dashboard_model *m, struct strbuf *out);

#endif
