#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "public/render.h"

void render_label(const char *value, struct strbuf *out)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\') {
            strbuf_puts(out, "\\\\");
        } else if (*p == '\n') {
            strbuf_puts(out, "\\n");
        } else if (*p == '"') {
            strbuf_puts(out, "\\\"");
        } else {
            strbuf_putc(out, *p);
        }
    }
}

static void header(struct strbuf *out, const char *name, const char *help)
{
    strbuf_puts(out, "# HELP ");
    strbuf_puts(out, name);
    strbuf_putc(out, ' ');
    strbuf_puts(out, help);
    strbuf_puts(out, "\n# TYPE ");
    strbuf_puts(out, name);
    strbuf_puts(out, " gauge\n");
}

static void gauge_u64(struct strbuf *out, const char *name, const char *help, uint64_t v)
{
    char num[32];
    header(out, name, help);
    snprintf(num, sizeof num, " %" PRIu64 "\n\n", v);
    strbuf_puts(out, name);
    strbuf_puts(out, num);
}

/* An info-style gauge: name{label="value"} 1 */
static void gauge_label(struct strbuf *out, const char *name, const char *help, const char *label,
                        const char *value)
{
    header(out, name, help);
    strbuf_puts(out, name);
    strbuf_putc(out, '{');
    strbuf_puts(out, label);
    strbuf_puts(out, "=\"");
    render_label(value, out);
    strbuf_puts(out, "\"} 1\n\n");
}

/* The shortest decimal that reads back as the same double, like Rust's f64 Display. */
static void put_f64(struct strbuf *out, double v)
{
    char num[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, v);
        if (strtod(num, NULL) == v && strchr(num, 'e') == NULL) {
            break; /* "1e+02" reads back too, but Rust writes 100 */
        }
    }
    strbuf_puts(out, num);
}

enum disk_value { DISK_TOTAL, DISK_FREE, DISK_USED, DISK_PERCENT };

static void disk_family(struct strbuf *out, const struct sysinfo_snapshot *s, const char *name,
                        const char *help, enum disk_value which)
{
    header(out, name, help);
    for (size_t i = 0; i < s->n_disks; i++) {
        const struct sysinfo_disk *d = &s->disks[i];
        uint64_t used = d->total_size > d->free_size ? d->total_size - d->free_size : 0;
        strbuf_puts(out, name);
        strbuf_puts(out, "{name=\"");
        render_label(d->name, out);
        strbuf_puts(out, "\", mount_point=\"");
        render_label(d->mount_point, out);
        strbuf_puts(out, "\"} ");
        char num[32];
        uint64_t v = which == DISK_TOTAL ? d->total_size : which == DISK_FREE ? d->free_size : used;
        if (which == DISK_PERCENT) {
            if (d->total_size > 0) {
                put_f64(out, (double)used / (double)d->total_size * 100.0);
            } else {
                strbuf_putc(out, '0');
            }
        } else {
            snprintf(num, sizeof num, "%" PRIu64, v);
            strbuf_puts(out, num);
        }
        strbuf_putc(out, '\n');
    }
    strbuf_putc(out, '\n');
}

void render_metrics(const struct sysinfo_snapshot *s, struct strbuf *out)
{
    gauge_label(out, "system_os_name", "Operating system name", "os_name", s->os_name);
    gauge_label(out, "system_os_version", "Operating system version", "os_version", s->os_version);
    gauge_label(out, "system_kernel_version", "Kernel version", "kernel_version",
                s->kernel_version);
    gauge_label(out, "system_cpu_model", "CPU model information", "cpu_model", s->cpu_model);
    gauge_u64(out, "system_num_cpus", "Number of logical CPUs", s->num_cpus);
    gauge_u64(out, "system_memory_total", "Total memory in bytes", s->total_memory);
    gauge_u64(out, "system_memory_available", "Available memory in bytes", s->available_memory);
    gauge_u64(out, "system_memory_used", "Used memory in bytes", s->used_memory);
    gauge_u64(out, "system_memory_free", "Free memory in bytes", s->free_memory);
    gauge_u64(out, "system_swap_total", "Total swap memory in bytes", s->total_swap);
    gauge_u64(out, "system_swap_used", "Used swap memory in bytes", s->used_swap);
    gauge_u64(out, "system_swap_free", "Free swap memory in bytes", s->free_swap);
    gauge_u64(out, "system_uptime", "System uptime in seconds", s->uptime);
    gauge_u64(out, "system_load_average_1m", "System load average (1 minute)", s->loadavg_one);
    gauge_u64(out, "system_load_average_5m", "System load average (5 minutes)", s->loadavg_five);
    gauge_u64(out, "system_load_average_15m", "System load average (15 minutes)",
              s->loadavg_fifteen);
    disk_family(out, s, "disk_total_size", "Disk total size in bytes", DISK_TOTAL);
    disk_family(out, s, "disk_free_size", "Disk free size in bytes", DISK_FREE);
    disk_family(out, s, "disk_used_size", "Disk used size in bytes", DISK_USED);
    disk_family(out, s, "disk_usage_percentage", "Disk usage percentage", DISK_PERCENT);
}
