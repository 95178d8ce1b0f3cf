/* QGS over vsock (tdx_qgs.h). All message integers are little-endian; the 4-byte length prefix
 * on the socket is big-endian (linux.rs:L582-586). */
#include "tee/tdx_qgs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#include "tee/tdx_configfs.h" /* TDX_QUOTE_MIN_LEN */

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

unsigned tdx_qgs_port_parse(const char *text)
{
    const char *line = text;
    while (line != NULL && *line != '\0') {
        const char *next = strchr(line, '\n');
        const char *p = line;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (strncmp(p, "port", 4) == 0) {
            p += 4;
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            if (*p == '=') {
                p++;
                while (*p == ' ' || *p == '\t') {
                    p++;
                }
                unsigned long v = 0;
                const char *d = p;
                while (*d >= '0' && *d <= '9' && v <= 0xFFFFFFFFul) {
                    v = v * 10 + (unsigned long)(*d - '0');
                    d++;
                }
                const char *end = d;
                while (*end == ' ' || *end == '\t' || *end == '\r') {
                    end++;
                }
                /* u32::parse of the trimmed rest: digits only, in range. */
                if (d > p && (*end == '\n' || *end == '\0') && v <= 0xFFFFFFFFul) {
                    return (unsigned)v;
                }
            }
        }
        line = next != NULL ? next + 1 : NULL;
    }
    return 0;
}

void tdx_qgs_build_request(const uint8_t report[TDX_REPORT_LEN], uint8_t msg[TDX_QGS_REQUEST_LEN])
{
    le16(msg, 1);     /* major version */
    le16(msg + 2, 0); /* minor version */
    le32(msg + 4, TDX_QGS_GET_QUOTE_REQ);
    le32(msg + 8, TDX_QGS_REQUEST_LEN); /* size of the whole message */
    le32(msg + 12, 0);                  /* error code */
    le32(msg + 16, TDX_REPORT_LEN);     /* report size */
    le32(msg + 20, 0);                  /* id list size */
    memcpy(msg + 24, report, TDX_REPORT_LEN);
}

dstack_err tdx_qgs_parse_response(const uint8_t *msg, size_t len, uint8_t **quote,
                                  size_t *quote_len)
{
    if (len < 24) {
        return err_set(DSTACK_ETEE, "QGS response too short: %zu bytes", len);
    }
    uint32_t type = get_le32(msg + 4), code = get_le32(msg + 12);
    if (type != TDX_QGS_GET_QUOTE_RESP) {
        return err_set(DSTACK_ETEE, "QGS: unexpected message type %u", type);
    }
    if (code != 0) {
        return err_set(DSTACK_ETEE, "QGS error code 0x%x", code);
    }
    size_t id_size = get_le32(msg + 16), q_size = get_le32(msg + 20);
    if (id_size > len - 24 || q_size > len - 24 - id_size) {
        return err_set(DSTACK_ETEE, "QGS response truncated: %zu bytes for %zu + %zu", len, id_size,
                       q_size);
    }
    if (q_size <= TDX_QUOTE_MIN_LEN) {
        return err_set(DSTACK_ETEE, "QGS quote too short: %zu bytes", q_size);
    }
    *quote = malloc(q_size);
    if (*quote == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    memcpy(*quote, msg + 24 + id_size, q_size);
    *quote_len = q_size;
    return DSTACK_OK;
}

dstack_err tdx_qgs_available(const struct tdx_paths *p, unsigned *port)
{
    char text[4096];
    FILE *f = fopen(p->attest_config, "r");
    size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    text[n] = '\0';
    *port = tdx_qgs_port_parse(text);
    if (*port == 0) {
        return err_set(DSTACK_EUNSUPPORTED, "no QGS vsock port in %.100s", p->attest_config);
    }
    return DSTACK_OK;
}

/* All of buf sent or received: 0, else the errno of the failure (EPIPE for a peer that closed,
 * EAGAIN when the socket timeout passed). */
static int io_all(int fd, uint8_t *buf, size_t len, bool writing)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
                            : recv(fd, buf + done, len - done, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        if (n == 0) {
            return EPIPE;
        }
        done += (size_t)n;
    }
    return 0;
}

static const char *io_error(int e)
{
    if (e == EAGAIN || e == EWOULDBLOCK) {
        return "no answer within " TDX_QGS_TIMEOUT_TEXT;
    }
    return e == EPIPE ? "connection closed by QGS" : strerror(e);
}

dstack_err tdx_qgs_quote(const struct tdx_paths *p, unsigned port,
                         const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **quote,
                         size_t *quote_len)
{
    uint8_t report[TDX_REPORT_LEN];
    uint8_t req[4 + TDX_QGS_REQUEST_LEN];
    uint8_t *resp = NULL;
    dstack_err e = tdx_report_get(p->device, report_data, report);
    if (e != DSTACK_OK) {
        return e;
    }
    tdx_qgs_build_request(report, req + 4);
    req[0] = 0, req[1] = 0, req[2] = (uint8_t)(TDX_QGS_REQUEST_LEN >> 8),
    req[3] = (uint8_t)TDX_QGS_REQUEST_LEN;

    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return err_set(DSTACK_ETEE, "vsock: %.100s", strerror(errno));
    }
    struct timeval tv = {(time_t)(TDX_QGS_TIMEOUT_MS / 1000), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_vm addr = {
        .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = port};
    uint8_t len_be[4];
    e = DSTACK_ETEE;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        err_set(DSTACK_ETEE, "cannot reach QGS on vsock port %u: %.100s", port, strerror(errno));
        goto out;
    }
    int io = io_all(fd, req, sizeof req, true);
    if (io == 0) {
        io = io_all(fd, len_be, 4, false);
    }
    if (io != 0) {
        err_set(DSTACK_ETEE, "QGS on vsock port %u: %.100s", port, io_error(io));
        goto out;
    }
    size_t len =
        (size_t)len_be[0] << 24 | (size_t)len_be[1] << 16 | (size_t)len_be[2] << 8 | len_be[3];
    if (len > TDX_QGS_MAX_RESPONSE) {
        err_set(DSTACK_ETEE, "QGS response too large: %zu bytes", len);
        goto out;
    }
    resp = malloc(len ? len : 1);
    if (resp == NULL) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    if ((io = io_all(fd, resp, len, false)) != 0) {
        err_set(DSTACK_ETEE, "QGS on vsock port %u: response cut short: %.100s", port,
                io_error(io));
        goto out;
    }
    e = tdx_qgs_parse_response(resp, len, quote, quote_len);
out:
    free(resp);
    close(fd);
    return e;
}
