/* The one error channel of the project (docs/sdk.md "Errors").
 *
 * Every function that can fail returns a dstack_err and, when that is not DSTACK_OK, has set the
 * calling thread's error text first, errno-style (as s2n-tls keeps s2n_errno): the text says what
 * failed and why, in one line, naming the file, field, peer or limit. Callers that add context
 * wrap it (err_wrap) instead of formatting into buffers of their own, and read it with err_text()
 * (dstack_last_error() in the public API). Daemons log err_text() or put it into the HTTP answer.
 *
 * Rules:
 * - set the text on every failing path, exactly once at the origin, and wrap on the way up;
 * - a success does not clear the text; only read it right after a failure;
 * - the text is never a secret: no key bytes, no passphrases (it is logged and sent to clients).
 * Internal header: not installed. */
#ifndef DSTACK_UTIL_ERROR_H
#define DSTACK_UTIL_ERROR_H

#include <dstack/common.h>

#include <stdarg.h>

/* Long enough for an agent's anyhow context chain and a few wrap levels; longer texts are
 * truncated (at a UTF-8 character boundary). */
#define ERR_TEXT_MAX 2048

/* Sets the calling thread's error text and returns code, so callers write
 * `return err_set(DSTACK_EINVAL, "...")`. An argument may be err_text() itself (the text is
 * formatted aside first), though err_wrap says the same more plainly. */
dstack_err err_set(dstack_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
dstack_err err_vset(dstack_err code, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Prefixes context to the current text ("reading x.json: <text>") and returns code:
 * `return err_wrap(err, "reading %s", path)`. When no text was set, the context alone stays. */
dstack_err err_wrap(dstack_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The happy path straight down to one cleanup exit (`out:`), in a function holding
 * `dstack_err err`: TRY(x) keeps x's code (its text is already set); ENSURE(c, e) sets code e
 * when c fails, for callees that set the text themselves or leave it to the caller. */
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((err = (x)) != DSTACK_OK) {                                                            \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)
#define ENSURE(c, e)                                                                               \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            err = (e);                                                                             \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* The calling thread's text; never NULL, "" when nothing was set since err_clear. */
const char *err_text(void);

void err_clear(void);

#endif
