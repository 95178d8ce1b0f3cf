/* The error table's texts and the calling thread's error text (lib/util/error.h). */
#include "util/error.h"

#include <stdio.h>
#include <string.h>

#define DSTACK_ERR_MSG(name, msg) [name] = msg,
static const char *const dstack_err_messages[] = {DSTACK_ERRORS(DSTACK_ERR_MSG)};
#undef DSTACK_ERR_MSG

/* One buffer per thread, so a client or daemon shared by many threads never mixes up their
 * messages. */
static _Thread_local char err_buf[ERR_TEXT_MAX];

const char *dstack_err_str(dstack_err err)
{
    if ((unsigned)err >= DSTACK_ERR_COUNT) {
        return "unknown error";
    }
    return dstack_err_messages[err];
}

/* vsnprintf cuts at a byte; step back so the text stays valid UTF-8 (it goes into JSON). */
static void trim_partial_utf8(char *s, size_t len)
{
    size_t end = len;
    size_t back = 0;
    while (end > 0 && back < 4 && ((unsigned char)s[end - 1] & 0xC0) == 0x80) {
        end--;
        back++;
    }
    if (end > 0 && ((unsigned char)s[end - 1] & 0xC0) == 0xC0) {
        unsigned char lead = (unsigned char)s[end - 1];
        size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
        if (back < need) {
            s[end - 1] = '\0';
        }
    }
}

__attribute__((format(printf, 3, 0))) static void write_text(char *dst, size_t cap, const char *fmt,
                                                             va_list ap)
{
    int n = vsnprintf(dst, cap, fmt, ap);
    if (n < 0) {
        dst[0] = '\0';
    } else if ((size_t)n >= cap) {
        trim_partial_utf8(dst, cap - 1);
    }
}

dstack_err err_vset(dstack_err code, const char *fmt, va_list ap)
{
    /* Formatted aside first: an argument may be err_text() itself (err_set(e, "x: %s",
     * err_text())), and vsnprintf must not read the buffer it writes. */
    char text[ERR_TEXT_MAX];
    write_text(text, sizeof text, fmt, ap);
    memcpy(err_buf, text, strlen(text) + 1);
    return code;
}

dstack_err err_set(dstack_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)err_vset(code, fmt, ap);
    va_end(ap);
    return code;
}

dstack_err err_wrap(dstack_err code, const char *fmt, ...)
{
    char inner[ERR_TEXT_MAX];
    memcpy(inner, err_buf, sizeof inner);
    inner[sizeof inner - 1] = '\0';

    va_list ap;
    va_start(ap, fmt);
    char context[ERR_TEXT_MAX]; /* aside, for the same reason as in err_vset */
    write_text(context, sizeof context, fmt, ap);
    va_end(ap);
    memcpy(err_buf, context, strlen(context) + 1);

    if (inner[0] != '\0') {
        size_t used = strlen(err_buf);
        int n = snprintf(err_buf + used, sizeof err_buf - used, ": %s", inner);
        if (n > 0 && (size_t)n >= sizeof err_buf - used) {
            trim_partial_utf8(err_buf, sizeof err_buf - 1);
        }
    }
    return code;
}

const char *err_text(void)
{
    return err_buf;
}

void err_clear(void)
{
    err_buf[0] = '\0';
}

const char *dstack_last_error(void)
{
    return err_buf;
}
