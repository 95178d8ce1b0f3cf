/* The local TDREPORT: TDX_CMD_GET_REPORT0 on /dev/tdx_guest (include/uapi/linux/tdx-guest.h,
 * drivers/virt/coco/tdx-guest/tdx-guest.c tdx_get_report0). It costs one TDCALL inside the
 * guest, no host round trip, and carries every register a quote's TD report does. The agent
 * reads its registers from it on kernels without the sysfs measurement files (before 6.16), so
 * neither start-up nor Info needs the host's quoting service; QGS quotes are made from it. */
#ifndef DSTACK_AGENT_TEE_TDX_REPORT_H
#define DSTACK_AGENT_TEE_TDX_REPORT_H

#include <stdint.h>

#include <dstack/common.h>

#include "tee/tee.h"

#define TDX_REPORT_LEN 1024u
/* _IOWR('T', 1, struct { u8 rd[64]; u8 report[1024]; }) */
#define TDX_CMD_GET_REPORT0 0xC4405401u

/* Offsets in the TDREPORT (tdx-guest.c enum TDREPORT_*: TDINFO at 512, then ATTRIBUTES and XFAM
 * of 8 bytes each, then the 48-byte registers in this order). */
#define TDX_REPORT_OFF_REPORTDATA 128u
#define TDX_REPORT_OFF_MRTD 528u
#define TDX_REPORT_OFF_MRCONFIGID 576u
#define TDX_REPORT_OFF_MROWNER 624u
#define TDX_REPORT_OFF_MROWNERCONFIG 672u
#define TDX_REPORT_OFF_RTMR0 720u /* RTMR i at 720 + 48 i */

/* A TDREPORT over report_data. DSTACK_EUNSUPPORTED when device does not exist; DSTACK_ETEE with
 * err naming the device and errno otherwise. */
dstack_err tdx_report_get(const char *device, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                          uint8_t report[TDX_REPORT_LEN]);

/* The registers of a TDREPORT. */
void tdx_report_registers(const uint8_t report[TDX_REPORT_LEN], struct tee_measurements *m);

/* Both: the registers as they are now (report data zero). */
dstack_err tdx_report_read_registers(const char *device, struct tee_measurements *m);

#endif
