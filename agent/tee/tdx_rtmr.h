/* TDX measurement registers through the kernel (docs/tdx.md):
 *
 *  - extend: sysfs `<measurements>/rtmr<N>:sha384` (Linux >= 6.16; write exactly 48 bytes, the
 *    kernel does RTMR = SHA384(RTMR || data)), else the out-of-tree ioctl TDX_CMD_EXTEND_RTMR on
 *    /dev/tdx_guest (dstack's module; upstream kernels have none), as tdx-attest/src/linux.rs
 *    extend_rtmr tries them; the ioctl in both its _IOR and _IOW numbers, and checked by
 *    reading the register back from a TDREPORT (tdx_rtmr.c extend_ioctl says why);
 *  - read: the same sysfs files (`mrtd:sha384`, `rtmr0..3:sha384`, 48 binary bytes each). Only
 *    regular files are read: sysfs attributes are, and anything else (a FIFO, a device) might
 *    block or hand back something that is not a register. DSTACK_EUNSUPPORTED then: the caller
 *    takes the registers from a quote instead. */
#ifndef DSTACK_AGENT_TEE_TDX_RTMR_H
#define DSTACK_AGENT_TEE_TDX_RTMR_H

#include <stdint.h>

#include <dstack/common.h>

#include "tee/tdx_paths.h"

/* _IOR('T', 3, struct { u8 data[48]; u8 index; }) and its _IOW twin (tdx-guest.h, v0.5.4). */
#define TDX_CMD_EXTEND_RTMR 0x80315403u
#define TDX_CMD_EXTEND_RTMR_W 0x40315403u

/* RTMR[index] extended with digest. DSTACK_EINVAL for index > 3; DSTACK_ETEE with err naming
 * the file and errno (permission, no such file) or saying neither interface exists: nothing
 * was extended. DSTACK_EIO for a short write: the register's state is unknown. */
dstack_err tdx_rtmr_extend(const struct tdx_paths *p, unsigned index,
                           const uint8_t digest[DSTACK_SHA384_LEN]);

/* The eight TD-report registers from sysfs, when all are readable regular files of 48 bytes. */
dstack_err tdx_rtmr_read_all(const struct tdx_paths *p, struct tee_measurements *m);

#endif
