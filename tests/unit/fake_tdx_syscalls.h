/* The fake TDX kernel's system calls (fake_tdx.h), for a test program that runs the backend in
 * its own process. Include it in exactly one file: it defines ioctl() and mkdir(), which take
 * precedence over libc's for every caller in the program, and answers
 *   - ioctl on the fake /dev/tdx_guest (fake_tdx.device, a plain file): TDX_CMD_GET_REPORT0
 *     fills a TDREPORT with the fake registers at the kernel's offsets (MRTD at 528, RTMR i at
 *     720 + 48 i: drivers/virt/coco/tdx-guest/tdx-guest.c), TDX_CMD_EXTEND_RTMR extends them
 *     in the form and with the flaw fake_tdx.ioctl_mode says;
 *   - mkdir under fake_tdx.tsm_base as configfs-tsm does: ENXIO while no provider is
 *     registered (report.c tsm_report_make_item), else a report directory the provider has
 *     filled (a symlink to the fake's own).
 * Everything else goes to the kernel unchanged. */
#ifndef DSTACK_TEST_FAKE_TDX_SYSCALLS_H
#define DSTACK_TEST_FAKE_TDX_SYSCALLS_H

#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "fake_tdx.h"

static struct fake_tdx *fake_syscalls; /* set by the test once the fake kernel runs */

static int fake_tdx_ioctl(struct fake_tdx *f, unsigned long req, void *arg)
{
    if (req == 0xC4405401ul) { /* TDX_CMD_GET_REPORT0: { u8 rd[64]; u8 report[1024]; } */
        uint8_t *rd = arg, *report = rd + 64;
        fake_apply_extends(f);
        memset(report, 0, 1024);
        memcpy(report + 128, rd, 64);
        pthread_mutex_lock(&f->mu);
        memcpy(report + 528, f->mrtd, DSTACK_MR_LEN);
        for (int i = 0; i < 4; i++) {
            memcpy(report + 720 + 48 * i, f->rtmr[i], DSTACK_MR_LEN);
        }
        pthread_mutex_unlock(&f->mu);
        atomic_fetch_add(&f->reports, 1);
        return 0;
    }
    int mode = atomic_load(&f->ioctl_mode);
    bool ior = req == 0x80315403ul, iow = req == 0x40315403ul; /* { u8 data[48]; u8 index; } */
    if ((!ior && !iow) || (ior && mode == FAKE_IOCTL_IOW) || (iow && mode != FAKE_IOCTL_IOW)) {
        errno = ENOTTY;
        return -1;
    }
    const uint8_t *data = arg;
    if (data[48] > 3) {
        errno = EINVAL;
        return -1;
    }
    if (mode == FAKE_IOCTL_RAW_STATUS) {
        return 0;
    }
    fake_apply_extends(f);
    pthread_mutex_lock(&f->mu);
    dstack_rtmr_extend(f->rtmr[data[48]], data);
    pthread_mutex_unlock(&f->mu);
    atomic_fetch_add(&f->extends, 1);
    return 0;
}

static bool fake_is_device(const struct fake_tdx *f, int fd)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(f->device, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    struct fake_tdx *f = fake_syscalls;
    if (f != NULL && fake_is_device(f, fd)) {
        return fake_tdx_ioctl(f, req, arg);
    }
    return (int)syscall(SYS_ioctl, fd, req, arg);
}

int mkdir(const char *path, mode_t mode)
{
    struct fake_tdx *f = fake_syscalls;
    size_t n = f != NULL ? strlen(f->tsm_base) : 0;
    if (f != NULL && strncmp(path, f->tsm_base, n) == 0 && path[n] == '/') {
        if (atomic_load(&f->no_provider)) {
            errno = ENXIO;
            return -1;
        }
        return symlink(f->report_dir, path);
    }
    return (int)syscall(SYS_mkdir, path, mode);
}

#endif
