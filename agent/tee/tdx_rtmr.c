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

struct tdx_extend_rtmr_req {
    uint8_t data[DSTACK_SHA384_LEN];
    uint8_t index;
};
_Static_assert(sizeof(struct tdx_extend_rtmr_req) == 49, "kernel ABI: 49 bytes, no padding");
_Static_assert(_IOR('T', 3, struct tdx_extend_rtmr_req) == TDX_CMD_EXTEND_RTMR, "ioctl number");

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static dstack_err extend_sysfs(const char *base, unsigned index,
                               const uint8_t digest[DSTACK_SHA384_LEN], char err[TEE_ERROR_MAX])
{
    char name[32], path[TDX_PATH_MAX];
    snprintf(name, sizeof name, "rtmr%u:sha384", index);
    if (!tdx_path_join(path, base, name)) {
        snprintf(err, TEE_ERROR_MAX, "RTMR sysfs path too long");
        return DSTACK_ETEE;
    }
    /* O_NONBLOCK: sysfs ignores it; anything else must not hang the emitter. */
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, TEE_ERROR_MAX, "cannot open %.100s: %.100s", path, strerror(errno));
        return DSTACK_ETEE;
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
        snprintf(err, TEE_ERROR_MAX,
                 "short write to %.100s (%zd of %d bytes): RTMR%u state unknown", path, n,
                 DSTACK_SHA384_LEN, index);
        return DSTACK_EIO;
    } else if (saved == EPERM || saved == EACCES) {
        snprintf(err, TEE_ERROR_MAX, "permission denied extending RTMR%u (%.100s)", index, path);
    } else if (saved == EINVAL) {
        snprintf(err, TEE_ERROR_MAX, "the kernel refused RTMR%u (%.100s): invalid index", index,
                 path);
    } else {
        snprintf(err, TEE_ERROR_MAX, "cannot write %.100s: %.100s", path, strerror(saved));
    }
    return DSTACK_ETEE;
}

static dstack_err extend_ioctl(const char *device, unsigned index,
                               const uint8_t digest[DSTACK_SHA384_LEN], char err[TEE_ERROR_MAX])
{
    int fd = open(device, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, TEE_ERROR_MAX, "cannot open %.100s: %.100s", device, strerror(errno));
        return DSTACK_ETEE;
    }
    struct tdx_extend_rtmr_req req;
    memcpy(req.data, digest, DSTACK_SHA384_LEN);
    req.index = (uint8_t)index;
    int rc = ioctl(fd, TDX_CMD_EXTEND_RTMR, &req);
    int saved = errno;
    close(fd);
    if (rc == 0) {
        return DSTACK_OK;
    }
    snprintf(err, TEE_ERROR_MAX, "ioctl TDX_CMD_EXTEND_RTMR on %.60s: %.40s%.120s", device,
             strerror(saved),
             saved == ENOTTY ? " (no RTMR extension here: needs Linux 6.16 sysfs "
                               "or dstack's tdx-guest module)"
                             : "");
    return DSTACK_ETEE;
}

dstack_err tdx_rtmr_extend(const struct tdx_paths *p, unsigned index,
                           const uint8_t digest[DSTACK_SHA384_LEN], char err[TEE_ERROR_MAX])
{
    if (index > 3) {
        snprintf(err, TEE_ERROR_MAX, "invalid RTMR index %u", index);
        return DSTACK_EINVAL;
    }
    if (is_dir(p->rtmr_dir)) {
        return extend_sysfs(p->rtmr_dir, index, digest, err);
    }
    if (p->rtmr_explicit) {
        snprintf(err, TEE_ERROR_MAX, "RTMR sysfs directory %.100s does not exist", p->rtmr_dir);
        return DSTACK_ETEE;
    }
    if (access(p->device, F_OK) == 0) {
        return extend_ioctl(p->device, index, digest, err);
    }
    snprintf(err, TEE_ERROR_MAX, "RTMR extension unavailable: neither %.100s nor %.100s exists",
             p->rtmr_dir, p->device);
    return DSTACK_ETEE;
}

static dstack_err read_register(const char *base, const char *name, uint8_t out[DSTACK_MR_LEN],
                                char err[TEE_ERROR_MAX])
{
    char path[TDX_PATH_MAX];
    if (!tdx_path_join(path, base, name)) {
        snprintf(err, TEE_ERROR_MAX, "RTMR sysfs path too long");
        return DSTACK_EUNSUPPORTED;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, TEE_ERROR_MAX, "%.100s is not a readable register file", path);
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
        snprintf(err, TEE_ERROR_MAX, "%.100s: %zu bytes, want %d", path, n, DSTACK_MR_LEN);
        return DSTACK_ETEE;
    }
    memcpy(out, buf, DSTACK_MR_LEN);
    return DSTACK_OK;
}

dstack_err tdx_rtmr_read_all(const struct tdx_paths *p, struct tee_measurements *m,
                             char err[TEE_ERROR_MAX])
{
    /* Kernel ABI sysfs-devices-virtual-misc-tdx_guest (v6.16): every TD report register. */
    dstack_err e = read_register(p->rtmr_dir, "mrtd:sha384", m->mrtd, err);
    if (e == DSTACK_OK) {
        e = read_register(p->rtmr_dir, "mrconfigid", m->mr_config_id, err);
    }
    if (e == DSTACK_OK) {
        e = read_register(p->rtmr_dir, "mrowner", m->mr_owner, err);
    }
    if (e == DSTACK_OK) {
        e = read_register(p->rtmr_dir, "mrownerconfig", m->mr_owner_config, err);
    }
    for (unsigned i = 0; i < 4 && e == DSTACK_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "rtmr%u:sha384", i);
        e = read_register(p->rtmr_dir, name, m->rtmr[i], err);
    }
    return e;
}
