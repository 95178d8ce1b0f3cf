/* Where each SysInfo field comes from follows sysinfo 0.35 (the crate upstream's agent uses) on
 * Linux, so the host UI shows the same numbers for the same machine. */
#include "guest_api/sysinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "guest_api/proc_text.h"

#define MEMINFO_MAX 8192
#define CPUINFO_MAX 65536
#define MOUNTS_MAX (256u * 1024u)

/* Copies src, cut to cap - 1 bytes (long values are cut on purpose, never an error). */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A "Name:   1234 kB" line of /proc/meminfo, in bytes. */
static bool meminfo_bytes(const char *meminfo, const char *key, uint64_t *out)
{
    char v[64];
    if (!proc_text_field(meminfo, key, ':', v, sizeof v)) {
        return false;
    }
    *out = strtoull(v, NULL, 10) * 1024u;
    return true;
}

static void read_memory(struct sysinfo_snapshot *s)
{
    char *m = malloc(MEMINFO_MAX);
    if (m == NULL || !proc_text_read("/proc/meminfo", m, MEMINFO_MAX)) {
        free(m);
        return;
    }
    uint64_t buffers = 0, cached = 0;
    meminfo_bytes(m, "MemTotal", &s->total_memory);
    meminfo_bytes(m, "MemFree", &s->free_memory);
    if (!meminfo_bytes(m, "MemAvailable", &s->available_memory)) {
        /* Kernels before 3.14: sysinfo estimates it as free + buffers + page cache. */
        meminfo_bytes(m, "Buffers", &buffers);
        meminfo_bytes(m, "Cached", &cached);
        s->available_memory = s->free_memory + buffers + cached;
    }
    s->used_memory =
        s->total_memory > s->available_memory ? s->total_memory - s->available_memory : 0;
    meminfo_bytes(m, "SwapTotal", &s->total_swap);
    meminfo_bytes(m, "SwapFree", &s->free_swap);
    s->used_swap = s->total_swap > s->free_swap ? s->total_swap - s->free_swap : 0;
    free(m);
}

/* "0.52 0.58 0.59 1/467 12345": each average x 100, truncated like upstream's `as u32`. */
static void read_load(struct sysinfo_snapshot *s)
{
    char buf[128];
    if (!proc_text_read("/proc/loadavg", buf, sizeof buf)) {
        return;
    }
    uint32_t *dst[3] = {&s->loadavg_one, &s->loadavg_five, &s->loadavg_fifteen};
    char *p = buf;
    for (size_t i = 0; i < 3; i++) {
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p) {
            return;
        }
        *dst[i] = v > 0 && v * 100.0 < 4294967295.0 ? (uint32_t)(v * 100.0) : 0;
        p = end;
    }
}

static void read_cpus(struct sysinfo_snapshot *s)
{
    char *buf = malloc(CPUINFO_MAX);
    if (buf == NULL) {
        return;
    }
    /* sysinfo lists one CPU per "cpuN" line of /proc/stat and names it that way. */
    uint32_t n = 0;
    if (proc_text_read("/proc/stat", buf, CPUINFO_MAX)) {
        for (const char *p = buf; (p = strstr(p, "\ncpu")) != NULL; p++) {
            n += p[4] >= '0' && p[4] <= '9';
        }
    }
    s->num_cpus = n;
    /* Frequency: cpufreq when the kernel has it, else the "cpu MHz" of /proc/cpuinfo (what a
     * VM has), truncated to whole MHz. */
    uint64_t mhz = 0, khz = 0;
    char v[64];
    if (proc_text_u64("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", &khz)) {
        mhz = khz / 1000u;
    } else if (proc_text_read("/proc/cpuinfo", buf, CPUINFO_MAX) &&
               proc_text_field(buf, "cpu MHz", ':', v, sizeof v)) {
        mhz = (uint64_t)strtod(v, NULL);
    }
    if (n > 0) {
        snprintf(s->cpu_model, sizeof s->cpu_model, "cpu0 @%llu MHz", (unsigned long long)mhz);
    }
    free(buf);
}

static void read_os(struct sysinfo_snapshot *s)
{
    char buf[4096];
    if (proc_text_read("/etc/os-release", buf, sizeof buf) ||
        proc_text_read("/usr/lib/os-release", buf, sizeof buf)) {
        proc_text_field(buf, "NAME", '=', s->os_name, sizeof s->os_name);
        proc_text_field(buf, "VERSION_ID", '=', s->os_version, sizeof s->os_version);
    }
    if (proc_text_read("/proc/sys/kernel/osrelease", buf, sizeof buf)) {
        buf[strcspn(buf, "\n")] = '\0';
        copy_text(s->kernel_version, sizeof s->kernel_version, buf);
    }
    char up[64];
    if (proc_text_read("/proc/uptime", up, sizeof up)) {
        s->uptime = strtoull(up, NULL, 10);
    }
}

/* /proc/self/mounts escapes blanks and backslashes as \ooo octal. */
static void unescape_mount_field(char *s)
{
    char *w = s;
    for (char *r = s; *r != '\0'; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* The device mounted at `where` (the last mount there wins: it is the visible one). */
static bool mounted_device(const char *mounts, const char *where, char *dev, size_t cap)
{
    bool found = false;
    for (const char *line = mounts; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char entry[2 * SYSINFO_PATH_MAX + 2];
        if (len < sizeof entry) {
            memcpy(entry, line, len);
            entry[len] = '\0';
            char *sp = strchr(entry, ' ');
            char *mp = sp != NULL ? sp + 1 : NULL;
            char *mp_end = mp != NULL ? strchr(mp, ' ') : NULL;
            if (mp_end != NULL) {
                *sp = '\0';
                *mp_end = '\0';
                unescape_mount_field(entry);
                unescape_mount_field(mp);
                if (strcmp(mp, where) == 0) {
                    copy_text(dev, cap, entry);
                    found = true;
                }
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return found;
}

static int disk_cmp(const void *a, const void *b)
{
    return strcmp(((const struct sysinfo_disk *)a)->mount_point,
                  ((const struct sysinfo_disk *)b)->mount_point);
}

static void read_disks(const char (*data_disks)[SYSINFO_PATH_MAX], size_t n,
                       struct sysinfo_snapshot *s)
{
    char *mounts = malloc(MOUNTS_MAX);
    if (mounts == NULL || !proc_text_read("/proc/self/mounts", mounts, MOUNTS_MAX)) {
        free(mounts);
        return;
    }
    for (size_t i = 0; i < n && s->n_disks < SYSINFO_MAX_DISKS; i++) {
        struct sysinfo_disk *d = &s->disks[s->n_disks];
        struct statvfs vfs;
        if (!mounted_device(mounts, data_disks[i], d->name, sizeof d->name) ||
            statvfs(data_disks[i], &vfs) != 0) {
            continue;
        }
        copy_text(d->mount_point, sizeof d->mount_point, data_disks[i]);
        d->total_size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
        d->free_size = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        s->n_disks++;
    }
    free(mounts);
    qsort(s->disks, s->n_disks, sizeof s->disks[0], disk_cmp);
}

void sysinfo_collect(const char (*data_disks)[SYSINFO_PATH_MAX], size_t n_data_disks,
                     struct sysinfo_snapshot *out)
{
    memset(out, 0, sizeof *out);
    read_os(out);
    read_cpus(out);
    read_memory(out);
    read_load(out);
    read_disks(data_disks, n_data_disks, out);
}
