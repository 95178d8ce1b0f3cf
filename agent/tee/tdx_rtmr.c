/* RTMR extension and reading (tdx_rtmr.h). */
#include "tee/tdx_rtmr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dstack/attest.h>

#include "tee/tdx_report.h"

struct tdx_extend_rtmr_req {
    uint8_t data[DSTACK_SHA384_LEN];
    uint8_t index;
};
_Static_assert(sizeof(struct tdx_extend_rtmr_req) == 49, "kernel ABI: 49 bytes, no padding");
_Static_assert(_IOR('T', 3, struct tdx_extend_rtmr_req) == TDX_CMD_EXTEND_RTMR, "ioctl number");
_Static_assert(_IOW('T', 3, struct tdx_extend_rtmr_req) == TDX_CMD_EXTEND_RTMR_W, "ioctl number");

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static dstack_err extend_sysfs(const char *base, unsigned index,
                               const uint8_t digest[DSTACK_SHA384_LEN])
{
    char name[32], path[TDX_PATH_MAX];
    snprintf(name, sizeof name, "rtmr%u:sha384", index);
    if (!tdx_path_join(path, base, name)) {
        return err_set(DSTACK_ETEE, "RTMR sysfs path too long");
    }
    /* O_NONBLOCK: sysfs ignores it; anything else must not hang the emitter. */
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", path, strerror(errno));
    }
    ssize_t n;
    do {
        n = write(fd, digest, DSTACK_SHA384_LEN);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    if (n == DSTACK_SHA384_LEN) {
        return DSTACK_OK;
    }
    if (n >= 0) {
        return err_set(DSTACK_EIO, "short write to %.100s (%zd of %d bytes): RTMR%u state unknown",
                       path, n, DSTACK_SHA384_LEN, index);
    } else if (saved == EPERM || saved == EACCES) {
        err_set(DSTACK_ETEE, "permission denied extending RTMR%u (%.100s)", index, path);
    } else if (saved == EINVAL) {
        err_set(DSTACK_ETEE, "the kernel refused RTMR%u (%.100s): invalid index", index, path);
    } else {
        err_set(DSTACK_ETEE, "cannot write %.100s: %.100s", path, strerror(saved));
    }
    return DSTACK_ETEE;
}

/* One ioctl in the form `cmd`; 0 or the errno. */
static int ioctl_extend(const char *device, unsigned long cmd, unsigned index,
                        const uint8_t digest[DSTACK_SHA384_LEN])
{
    int fd = open(device, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", device, strerror(saved));
        return saved;
    }
    struct tdx_extend_rtmr_req req;
    memcpy(req.data, digest, DSTACK_SHA384_LEN);
    req.index = (uint8_t)index;
    int rc = ioctl(fd, cmd, &req);
    int saved = rc == 0 ? 0 : errno;
    close(fd);
    if (saved != 0) {
        err_set(DSTACK_ETEE, "ioctl TDX_CMD_EXTEND_RTMR on %.60s: %.40s%.120s", device,
                strerror(saved),
                saved == ENOTTY ? " (no RTMR extension here: needs Linux 6.16 sysfs "
                                  "or dstack's tdx-guest module)"
                                : "");
    }
    return saved;
}

/* The out-of-tree ioctl of dstack's tdx-guest module (kernels before 6.16). Intel's patch sets
 * define TDX_CMD_EXTEND_RTMR as _IOR in some versions and _IOW in others: the _IOR number
 * (upstream linux.rs) first, the _IOW one when the kernel does not know it (ENOTTY). The v0.5
 * module returns the raw TDCALL status, which glibc's int return truncates: a failure whose low
 * 32 bits are zero reads as success. So the register is read from a TDREPORT before and after,
 * and the extension counts only when it moved to SHA384(before || digest). */
static dstack_err extend_ioctl(const char *device, unsigned index,
                               const uint8_t digest[DSTACK_SHA384_LEN])
{
    struct tee_measurements before, after;
    if (tdx_report_read_registers(device, &before) != DSTACK_OK) {
        return err_wrap(DSTACK_ETEE, "RTMR%u not extended: cannot read it first", index);
    }
    int rc = ioctl_extend(device, TDX_CMD_EXTEND_RTMR, index, digest);
    if (rc == ENOTTY) {
        rc = ioctl_extend(device, TDX_CMD_EXTEND_RTMR_W, index, digest);
    }
    if (rc != 0) {
        return DSTACK_ETEE;
    }
    uint8_t want[DSTACK_MR_LEN];
    memcpy(want, before.rtmr[index], DSTACK_MR_LEN);
    dstack_rtmr_extend(want, digest);
    if (tdx_report_read_registers(device, &after) != DSTACK_OK) {
        return err_wrap(DSTACK_EIO, "RTMR%u state unknown: cannot read it back", index);
    }
    if (memcmp(after.rtmr[index], want, DSTACK_MR_LEN) == 0) {
        return DSTACK_OK;
    }
    if (memcmp(after.rtmr[index], before.rtmr[index], DSTACK_MR_LEN) == 0) {
        return err_set(
            DSTACK_ETEE,
            "ioctl TDX_CMD_EXTEND_RTMR on %.60s reported success but RTMR%u did not move (a "
            "TDCALL failure status truncated by the ioctl return)",
            device, index);
    }
    return err_set(DSTACK_EIO,
                   "RTMR%u state unknown: after the ioctl it holds neither its old value nor the "
                   "extended one",
                   index);
}

dstack_err tdx_rtmr_extend(const struct tdx_paths *p, unsigned index,
                           const uint8_t digest[DSTACK_SHA384_LEN])
{
    if (index > 3) {
        return err_set(DSTACK_EINVAL, "invalid RTMR index %u", index);
    }
    if (p->rtmr_bad[0] != '\0') { /* an unusable override: upstream fails the extension */
        return err_set(DSTACK_ETEE, "%.200s", p->rtmr_bad);
    }
    if (is_dir(p->rtmr_dir)) {
        return extend_sysfs(p->rtmr_dir, index, digest);
    }
    if (p->rtmr_explicit) {
        return err_set(DSTACK_ETEE, "RTMR sysfs directory %.100s does not exist", p->rtmr_dir);
    }
    if (access(p->device, F_OK) == 0) {
        return extend_ioctl(p->device, index, digest);
    }
    return err_set(DSTACK_ETEE, "RTMR extension unavailable: neither %.100s nor %.100s exists",
                   p->rtmr_dir, p->device);
}

static dstack_err read_register(const char *base, const char *name, uint8_t out[DSTACK_MR_LEN])
{
    char path[TDX_PATH_MAX];
    if (!tdx_path_join(path, base, name)) {
        return err_set(DSTACK_EUNSUPPORTED, "RTMR sysfs path too long");
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_set(DSTACK_ETEE, "%.100s is not a readable register file", path);
        if (fd >= 0) {
            close(fd);
        }
        return DSTACK_EUNSUPPORTED;
    }
    uint8_t buf[DSTACK_MR_LEN + 1];
    size_t n = 0;
    while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    if (n != DSTACK_MR_LEN) {
        return err_set(DSTACK_ETEE, "%.100s: %zu bytes, want %d", path, n, DSTACK_MR_LEN);
    }
    memcpy(out, buf, DSTACK_MR_LEN);
    return DSTACK_OK;
}

dstack_err tdx_rtmr_read_all(const struct tdx_paths *p, struct tee_measurements *m)
{
    if (p->rtmr_bad[0] != '\0') {
        return err_set(DSTACK_EUNSUPPORTED, "%.200s", p->rtmr_bad);
    }
    /* Kernel ABI sysfs-devices-virtual-misc-tdx_guest (v6.16): every TD report register. */
    dstack_err e = read_register(p->rtmr_dir, "mrtd:sha384", m->mrtd);
    if (e == DSTACK_OK) {
        e = read_register(p->rtmr_dir, "mrconfigid", m->mr_config_id);
    }
    if (e == DSTACK_OK) {
        e = read_register(p->rtmr_dir, "mrowner", m->mr_owner);
    }
    if (e == DSTACK_OK) {
        e = read_register(p->rtmr_dir, "mrownerconfig", m->mr_owner_config);
    }
    for (unsigned i = 0; i < 4 && e == DSTACK_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "rtmr%u:sha384", i);
        e = read_register(p->rtmr_dir, name, m->rtmr[i]);
    }
    return e;
}
