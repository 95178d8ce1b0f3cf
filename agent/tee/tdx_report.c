/* The local TDREPORT (tdx_report.h). */
#include "tee/tdx_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct tdx_report_req {
    uint8_t report_data[DSTACK_REPORT_DATA_LEN];
    uint8_t report[TDX_REPORT_LEN];
};
_Static_assert(_IOWR('T', 1, struct tdx_report_req) == TDX_CMD_GET_REPORT0, "ioctl number");
_Static_assert(TDX_REPORT_OFF_RTMR0 + 4 * DSTACK_MR_LEN <= TDX_REPORT_LEN, "TDREPORT layout");

dstack_err tdx_report_get(const char *device, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                          uint8_t report[TDX_REPORT_LEN])
{
    int fd = open(device, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", device, strerror(saved));
        return saved == ENOENT ? DSTACK_EUNSUPPORTED : DSTACK_ETEE;
    }
    struct tdx_report_req req;
    memcpy(req.report_data, report_data, DSTACK_REPORT_DATA_LEN);
    memset(req.report, 0, sizeof req.report);
    int rc = ioctl(fd, TDX_CMD_GET_REPORT0, &req);
    int saved = errno;
    close(fd);
    if (rc != 0) {
        return err_set(DSTACK_ETEE, "TDX_CMD_GET_REPORT0 on %.100s: %.100s", device,
                       strerror(saved));
    }
    memcpy(report, req.report, TDX_REPORT_LEN);
    return DSTACK_OK;
}

void tdx_report_registers(const uint8_t report[TDX_REPORT_LEN], struct tee_measurements *m)
{
    memcpy(m->mrtd, report + TDX_REPORT_OFF_MRTD, DSTACK_MR_LEN);
    memcpy(m->mr_config_id, report + TDX_REPORT_OFF_MRCONFIGID, DSTACK_MR_LEN);
    memcpy(m->mr_owner, report + TDX_REPORT_OFF_MROWNER, DSTACK_MR_LEN);
    memcpy(m->mr_owner_config, report + TDX_REPORT_OFF_MROWNERCONFIG, DSTACK_MR_LEN);
    for (unsigned i = 0; i < 4; i++) {
        memcpy(m->rtmr[i], report + TDX_REPORT_OFF_RTMR0 + i * DSTACK_MR_LEN, DSTACK_MR_LEN);
    }
}

dstack_err tdx_report_read_registers(const char *device, struct tee_measurements *m)
{
    static const uint8_t zero[DSTACK_REPORT_DATA_LEN];
    uint8_t report[TDX_REPORT_LEN];
    dstack_err e = tdx_report_get(device, zero, report);
    if (e == DSTACK_OK) {
        tdx_report_registers(report, m);
    }
    return e;
}
