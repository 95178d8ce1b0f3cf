/* GuestApi.SysInfo: the OS, kernel, CPU, memory, load and data disks of the guest, read from
 * /proc, /etc/os-release and statvfs with the units and sources of upstream's sysinfo crate
 * (guest-agent/src/guest_api_service.rs sys_info; docs/api/guest-SysInfo.md). */
#ifndef DSTACK_AGENT_GUEST_API_SYSINFO_H
#define DSTACK_AGENT_GUEST_API_SYSINFO_H

#include <stddef.h>
#include <stdint.h>

#define SYSINFO_MAX_DISKS 16
#define SYSINFO_PATH_MAX 256

struct sysinfo_disk {
    char name[SYSINFO_PATH_MAX];        /* the mounted device, as /proc/self/mounts names it */
    char mount_point[SYSINFO_PATH_MAX]; /* one of the configured data disks */
    uint64_t total_size;                /* bytes: f_blocks * f_frsize */
    uint64_t free_size;                 /* bytes available to users: f_bavail * f_frsize */
};

struct sysinfo_snapshot {
    char os_name[128];        /* os-release NAME */
    char os_version[64];      /* os-release VERSION_ID */
    char kernel_version[128]; /* /proc/sys/kernel/osrelease */
    char cpu_model[160];      /* "<name> @<MHz> MHz", the first CPU as sysinfo names it */
    uint32_t num_cpus;        /* online logical CPUs (cpuN lines of /proc/stat) */
    uint64_t total_memory, available_memory, used_memory, free_memory; /* bytes */
    uint64_t total_swap, used_swap, free_swap;                         /* bytes */
    uint64_t uptime;                                                   /* seconds */
    uint32_t loadavg_one, loadavg_five, loadavg_fifteen;               /* load x 100 */
    size_t n_disks;
    struct sysinfo_disk disks[SYSINFO_MAX_DISKS]; /* sorted by mount point */
};

/* Fills out from the running system. data_disks: the mount points to report (upstream's
 * core.data_disks); a path that is not a mount point is left out, as upstream's filter does.
 * Never fails: a value that cannot be read stays 0 or "". */
void sysinfo_collect(const char (*data_disks)[SYSINFO_PATH_MAX], size_t n_data_disks,
                     struct sysinfo_snapshot *out);

#endif
