/* Quotes from the host's Quote Generation Service over vsock, for guests without configfs-tsm
 * (docs/tdx.md; upstream tdx-attest/src/linux.rs:L561-718): the TDREPORT comes
 * from /dev/tdx_guest (TDX_CMD_GET_REPORT0), goes to QGS in a GET_QUOTE_REQ message, and the
 * GET_QUOTE_RESP carries the quote. The QGS port is the `port = N` line of
 * /etc/tdx-attest.conf; without one this path is unavailable. */
#ifndef DSTACK_AGENT_TEE_TDX_QGS_H
#define DSTACK_AGENT_TEE_TDX_QGS_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "tee/tdx_paths.h"
#include "tee/tdx_report.h"

#define TDX_QGS_HEADER_LEN 16u
#define TDX_QGS_REQUEST_LEN (TDX_QGS_HEADER_LEN + 8u + TDX_REPORT_LEN) /* 1048 */
#define TDX_QGS_MAX_RESPONSE (16u * 1024)                              /* QGS_REQ_BUF_SIZE */
#define TDX_QGS_GET_QUOTE_REQ 0u
#define TDX_QGS_GET_QUOTE_RESP 1u

/* The QGS port from the config text ("port = N", '#' comments); 0 when none. */
unsigned tdx_qgs_port_parse(const char *text);

/* The GET_QUOTE_REQ message (without the 4-byte length prefix). */
void tdx_qgs_build_request(const uint8_t report[TDX_REPORT_LEN], uint8_t msg[TDX_QGS_REQUEST_LEN]);

/* The quote inside a GET_QUOTE_RESP body (malloc'd). Checks type, error code and that
 * selected_id and the quote lie inside the message; the quote must be > 1020 bytes. */
dstack_err tdx_qgs_parse_response(const uint8_t *msg, size_t len, uint8_t **quote,
                                  size_t *quote_len);

/* The port from p->attest_config; DSTACK_EUNSUPPORTED (err says why) when there is none. */
dstack_err tdx_qgs_available(const struct tdx_paths *p, unsigned *port);

/* How long QGS may take to answer. Intel's tdx_attest.c and upstream (linux.rs) set no timeout,
 * and the first quote of a boot may wait for QGS to fetch collateral from the PCCS; the kernel's
 * own path allows a quote 30 s. The bound only keeps a host that never answers from holding the
 * quote device for ever. */
#define TDX_QGS_TIMEOUT_MS 120000u
#define TDX_QGS_TIMEOUT_TEXT "120 s"

/* A quote through p->device and QGS on vsock CID 2 port `port`. */
dstack_err tdx_qgs_quote(const struct tdx_paths *p, unsigned port,
                         const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **quote,
                         size_t *quote_len);

#endif
