/* The dashboard page: the fields upstream's template shows, under the same compose flags, in
 * our own markup. Every value from outside (app name, container names, statuses, TCB info) goes
 * through render_html. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "public/render.h"

void render_html(const char *text, struct strbuf *out)
{
    size_t run = 0;
    const char *p = text;
    for (; p[run] != '\0';) {
        const char *ref = NULL;
        switch (p[run]) {
        case '&':
            ref = "&amp;";
            break;
        case '<':
            ref = "&lt;";
            break;
        case '>':
            ref = "&gt;";
            break;
        case '"':
            ref = "&quot;";
            break;
        case '\'':
            ref = "&#x27;";
            break;
        default:
            run++;
            continue;
        }
        strbuf_append(out, p, run);
        strbuf_puts(out, ref);
        p += run + 1;
        run = 0;
    }
    strbuf_append(out, p, run);
}

/* Bytes as upstream's hsize filter writes them: "1.50 GB" (powers of 1024, two decimals). */
static void put_size(struct strbuf *out, uint64_t bytes)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    char text[48];
    snprintf(text, sizeof text, "%.2f %s", v, units[u]);
    strbuf_puts(out, text);
}

/* load x 100 as upstream prints `as f32 / 100.0`: "0.5", "1", "2.37". */
static void put_load(struct strbuf *out, uint32_t centi)
{
    char text[32];
    unsigned whole = centi / 100u, frac = centi % 100u;
    if (frac == 0) {
        snprintf(text, sizeof text, "%u", whole);
    } else if (frac % 10u == 0) {
        snprintf(text, sizeof text, "%u.%u", whole, frac / 10u);
    } else {
        snprintf(text, sizeof text, "%u.%02u", whole, frac);
    }
    strbuf_puts(out, text);
}

static void row_start(struct strbuf *out, const char *label)
{
    strbuf_puts(out, "<div class=\"row\"><div class=\"label\">");
    strbuf_puts(out, label);
    strbuf_puts(out, "</div><div class=\"value\">");
}

/* "Used: U / Total: T (<third>: X)", as upstream's template shows memory and swap. */
static void usage_row(struct strbuf *out, const char *label, uint64_t used, uint64_t total,
                      const char *third, uint64_t third_value)
{
    row_start(out, label);
    strbuf_puts(out, "Used: ");
    put_size(out, used);
    strbuf_puts(out, " / Total: ");
    put_size(out, total);
    strbuf_puts(out, " (");
    strbuf_puts(out, third);
    strbuf_puts(out, ": ");
    put_size(out, third_value);
    strbuf_puts(out, ")</div></div>\n");
}

static void row(struct strbuf *out, const char *label, const char *value)
{
    row_start(out, label);
    render_html(value, out);
    strbuf_puts(out, "</div></div>\n");
}

static void system_rows(struct strbuf *out, const struct sysinfo_snapshot *s)
{
    char num[64];
    row_start(out, "Operating System");
    render_html(s->os_name, out);
    strbuf_putc(out, ' ');
    render_html(s->os_version, out);
    strbuf_puts(out, "</div></div>\n");
    row(out, "Kernel Version", s->kernel_version);
    row_start(out, "CPU");
    render_html(s->cpu_model, out);
    snprintf(num, sizeof num, " (%" PRIu32 " cores)", s->num_cpus);
    strbuf_puts(out, num);
    strbuf_puts(out, "</div></div>\n");
    usage_row(out, "Memory Usage", s->used_memory, s->total_memory, "Available",
              s->available_memory);
    usage_row(out, "Swap Usage", s->used_swap, s->total_swap, "Free", s->free_swap);
    row_start(out, "Load Average");
    const uint32_t loads[3] = {s->loadavg_one, s->loadavg_five, s->loadavg_fifteen};
    static const char *const names[3] = {"1min: ", ", 5min: ", ", 15min: "};
    for (size_t i = 0; i < 3; i++) {
        strbuf_puts(out, names[i]);
        put_load(out, loads[i]);
        strbuf_putc(out, '%');
    }
    strbuf_puts(out, "</div></div>\n");
    snprintf(num, sizeof num, "%" PRIu64, s->uptime);
    row(out, "System Uptime", num);
    for (size_t i = 0; i < s->n_disks; i++) {
        char label[32];
        snprintf(label, sizeof label, "Disk %zu", i);
        row_start(out, label);
        strbuf_puts(out, "Free: ");
        put_size(out, s->disks[i].free_size);
        strbuf_puts(out, " / Total: ");
        put_size(out, s->disks[i].total_size);
        strbuf_puts(out, "</div></div>\n");
    }
}

static void container_rows(struct strbuf *out, const struct dashboard_model *m)
{
    for (size_t i = 0; i < m->containers->n; i++) {
        const struct docker_container *c = &m->containers->items[i];
        const char *name = c->n_names > 0 ? c->names[0] : "";
        name += name[0] == '/'; /* upstream's cname filter */
        strbuf_puts(out, "<tr><td>");
        render_html(name, out);
        strbuf_puts(out, "</td><td>");
        render_html(c->status, out);
        strbuf_puts(out, "</td>");
        if (m->public_logs) {
            /* Docker names are [A-Za-z0-9_.-]: nothing to percent-encode; escaped anyway. */
            strbuf_puts(out, "<td><a href=\"/logs/");
            render_html(name, out);
            strbuf_puts(out, "?text&amp;bare&amp;timestamps&amp;follow&amp;tail=20\" "
                             "target=\"_blank\">View Logs</a></td>");
        }
        strbuf_puts(out, "</tr>\n");
    }
    if (m->containers->n == 0) {
        strbuf_puts(out, "<tr><td colspan=\"3\" class=\"none\">");
        render_html(m->docker_error != NULL ? m->docker_error : "No containers", out);
        strbuf_puts(out, "</td></tr>\n");
    }
}

static const char *const page_head =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n"
    "<title>Worker Information</title>\n<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:960px;margin:0 auto;padding:24px;"
    "background:#f6f7f9;color:#1f2d3d;line-height:1.5}\n"
    "h1,h2{border-bottom:2px solid #e3e7ec;padding-bottom:6px}\n"
    ".card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002}\n"
    ".row{display:grid;grid-template-columns:190px 1fr;gap:12px;padding:6px 0;"
    "border-bottom:1px solid #eef1f4}\n.label{font-weight:600}\n"
    ".value{font-family:monospace;word-break:break-all}\n"
    "table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;"
    "box-shadow:0 1px 3px #0002}\nth{background:#1f2d3d;color:#fff;text-align:left}\n"
    "th,td{padding:10px 14px;border-bottom:1px solid #eef1f4}\n.none{color:#777}\n"
    "textarea{width:100%;height:220px;font-family:monospace;border:1px solid #d6dbe1;"
    "border-radius:6px;padding:8px;box-sizing:border-box}\n"
    "</style>\n</head>\n<body>\n";

void render_dashboard(const struct dashboard_model *m, struct strbuf *out)
{
    strbuf_puts(out, page_head);
    strbuf_puts(out, "<h1>Node Information</h1>\n<div class=\"card\">\n");
    row(out, "App Name", m->app_name);
    row(out, "App ID", m->app_id);
    row(out, "Instance ID", m->instance_id);
    row(out, "Device ID", m->device_id);
    row(out, "Key Provider Info", m->key_provider_info);
    if (m->cloud_vendor[0] != '\0' || m->cloud_product[0] != '\0') {
        row_start(out, "Machine Provider");
        render_html(m->cloud_vendor, out);
        strbuf_puts(out, " (");
        render_html(m->cloud_product, out);
        strbuf_puts(out, ")</div></div>\n");
    }
    if (m->public_sysinfo && m->sys != NULL) {
        system_rows(out, m->sys);
    }
    strbuf_puts(out, "</div>\n<h2>Deployed Containers</h2>\n<table>\n<thead><tr><th>Name</th>"
                     "<th>Status</th>");
    strbuf_puts(out, m->public_logs ? "<th>Logs</th>" : "");
    strbuf_puts(out, "</tr></thead>\n<tbody>\n");
    container_rows(out, m);
    strbuf_puts(out, "</tbody>\n</table>\n<h2>TCB Info</h2>\n");
    if (m->public_tcbinfo) {
        strbuf_puts(out, "<textarea readonly>");
        render_html(m->tcb_info, out);
        strbuf_puts(out, "</textarea>\n");
    } else {
        strbuf_puts(out, "<p>TCB info is not public</p>\n");
    }
    strbuf_puts(out, "</body>\n</html>\n");
}
