/* Shared definitions of libdstack: export macro, error codes, sizes. */
#ifndef DSTACK_COMMON_H
#define DSTACK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(DSTACK_BUILDING_LIBRARY)
#define DSTACK_API __attribute__((visibility("default")))
#else
#define DSTACK_API
#endif

/* On every function whose result says whether it worked (each dstack_err return): ignoring it is
 * a compiler warning. Cast to (void) where a failure really does not matter. */
#if defined(__GNUC__) || defined(__clang__)
#define DSTACK_MUST_CHECK __attribute__((warn_unused_result))
#else
#define DSTACK_MUST_CHECK
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* One table generates the enum and the messages (dstack_err_str). */
#define DSTACK_ERRORS(X)                                                                           \
    X(DSTACK_OK, "ok")                                                                             \
    X(DSTACK_EINVAL, "invalid argument")                                                           \
    X(DSTACK_ENOMEM, "out of memory")                                                              \
    X(DSTACK_EPROTO, "unexpected response")                                                        \
    X(DSTACK_ETRANSPORT, "cannot reach the agent")                                                 \
    X(DSTACK_ESERVER, "the agent returned an error")                                               \
    X(DSTACK_ETEE, "TEE operation failed")                                                         \
    X(DSTACK_ECRYPTO, "cryptographic operation failed")                                            \
    X(DSTACK_EVERIFY, "verification failed")                                                       \
    X(DSTACK_EIO, "input/output error")                                                            \
    X(DSTACK_EFORMAT, "malformed data")                                                            \
    X(DSTACK_EUNSUPPORTED, "not supported")                                                        \
    X(DSTACK_ECANCELED, "request cancelled")

#define DSTACK_ERR_ENUM(name, msg) name,
typedef enum { DSTACK_ERRORS(DSTACK_ERR_ENUM) DSTACK_ERR_COUNT } dstack_err;
#undef DSTACK_ERR_ENUM

/* Static English text for an error code; never NULL. */
DSTACK_API const char *dstack_err_str(dstack_err err);

/* How every libdstack function reports failure (docs/sdk.md "Errors"): it returns a dstack_err
 * other than DSTACK_OK, leaves its outputs NULL/zero, and sets a message for the calling thread
 * that dstack_last_error() returns: what failed and why, including the agent's {"error": "..."}
 * text when the agent refused a call. Never NULL; "" after a success that cleared it. The text
 * is valid until the next libdstack call on the same thread. */
DSTACK_API const char *dstack_last_error(void);

/* Sizes fixed by the TDX and dstack formats. */
#define DSTACK_REPORT_DATA_LEN 64 /* TDREPORT REPORTDATA */
#define DSTACK_MR_LEN 48          /* SHA-384 measurement register (MRTD, RTMRn) */
#define DSTACK_KEY_LEN 32         /* derived app keys, k256 scalars, Ed25519 seeds */
#define DSTACK_APP_ID_LEN 20
#define DSTACK_SHA256_LEN 32
#define DSTACK_SHA384_LEN 48
#define DSTACK_SHA512_LEN 64

#ifdef __cplusplus
}
#endif
#endif
