/* Table-driven checks that a public function which fails says why (docs/sdk.md "Errors"): each
 * row calls one DSTACK_API function with bad input and wants its code and a text that names the
 * problem. The text is cleared before every call, so a text left by an earlier call (a success
 * does not clear it) cannot pass for this one. Used by test_api_errors*.c. */
#ifndef DSTACK_TEST_ERROR_ROWS_H
#define DSTACK_TEST_ERROR_ROWS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "util/error.h"

struct error_row {
    const char *what; /* the function and its bad input, for the failure report */
    dstack_err (*call)(void);
    dstack_err want;
    const char *needle; /* must occur in dstack_last_error() */
};

/* One row's call as a function: BAD_CALL(name, expr) defines `static dstack_err name(void)`. */
#define BAD_CALL(name, expr)                                                                       \
    static dstack_err name(void)                                                                   \
    {                                                                                              \
        return (expr);                                                                             \
    }

static inline void error_rows_run(const struct error_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct error_row *r = &rows[i];
        err_clear();
        dstack_err got = r->call();
        const char *text = dstack_last_error();
        bool ok = got == r->want && text[0] != '\0' && strstr(text, r->needle) != NULL;
        check_total++;
        if (!ok) {
            check_failed++;
            fprintf(stderr, "%s:\n  got  %s \"%s\"\n  want %s with \"%s\"\n", r->what,
                    dstack_err_str(got), text, dstack_err_str(r->want), r->needle);
        }
    }
}

#endif
