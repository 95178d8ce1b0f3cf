/* lib/util/error.c, the one error channel: err_set returns its code and sets the text, err_wrap
 * chains context in front, truncation at ERR_TEXT_MAX keeps valid UTF-8, and each thread has
 * its own text (dstack_last_error is the same text). */
#include <pthread.h>
#include <stdint.h>

#include "check.h"
#include "util/error.h"
#include "util/utf8.h"

static void set_and_wrap(void)
{
    err_clear();
    CHECK_STR(err_text(), "");
    CHECK(err_set(DSTACK_EFORMAT, "field %s: expected %d bytes", "digest", 48) == DSTACK_EFORMAT);
    CHECK_STR(err_text(), "field digest: expected 48 bytes");
    CHECK(dstack_last_error() == err_text());

    /* context goes in front, level after level */
    CHECK(err_wrap(DSTACK_EIO, "reading %s", "quote.json") == DSTACK_EIO);
    CHECK_STR(err_text(), "reading quote.json: field digest: expected 48 bytes");
    CHECK(err_wrap(DSTACK_EIO, "GetQuote") == DSTACK_EIO);
    CHECK_STR(err_text(), "GetQuote: reading quote.json: field digest: expected 48 bytes");

    /* with no text set, the context alone stays (no dangling ": ") */
    err_clear();
    CHECK(err_wrap(DSTACK_ENOMEM, "loading keys") == DSTACK_ENOMEM);
    CHECK_STR(err_text(), "loading keys");

    /* the current text may be an argument of the next one */
    (void)err_set(DSTACK_EIO, "disk full");
    CHECK(err_set(DSTACK_EIO, "writing log: %s", err_text()) == DSTACK_EIO);
    CHECK_STR(err_text(), "writing log: disk full");
    CHECK(err_wrap(DSTACK_EIO, "ctx %s", err_text()) == DSTACK_EIO);
    CHECK_STR(err_text(), "ctx writing log: disk full: writing log: disk full");

    /* a success does not clear the text */
    (void)err_set(DSTACK_EINVAL, "first");
    CHECK_STR(err_text(), "first");
}

/* A text longer than ERR_TEXT_MAX whose cut falls inside a multi-byte character: the partial
 * character is dropped, so the text stays valid UTF-8 (it goes into JSON answers). */
static void truncation(void)
{
    static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x91"};
    for (size_t c = 0; c < sizeof chars / sizeof chars[0]; c++) {
        for (size_t pad = 0; pad < 4; pad++) {
            char big[ERR_TEXT_MAX * 2];
            size_t clen = strlen(chars[c]), n = 0;
            memset(big, 'a', pad);
            n = pad;
            while (n + clen < sizeof big) {
                memcpy(big + n, chars[c], clen);
                n += clen;
            }
            big[n] = '\0';
            (void)err_set(DSTACK_EFORMAT, "%s", big);
            size_t got = strlen(err_text());
            CHECK(got < ERR_TEXT_MAX && got + 4 >= ERR_TEXT_MAX - 1);
            CHECK(utf8_valid(err_text(), got));
            CHECK((got - pad) % clen == 0); /* whole characters only */

            /* the same through a wrap that overflows */
            (void)err_wrap(DSTACK_EFORMAT, "ctx%.*s", (int)pad, "xxx");
            got = strlen(err_text());
            CHECK(got < ERR_TEXT_MAX);
            CHECK(utf8_valid(err_text(), got));
            CHECK(strncmp(err_text(), "ctx", 3) == 0);
        }
    }
}

struct worker {
    int id;
    int mismatches;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    char want[64];
    snprintf(want, sizeof want, "thread %d: step", w->id);
    for (int i = 0; i < 20000; i++) {
        (void)err_set(DSTACK_EIO, "thread %d: step", w->id);
        if (strcmp(err_text(), want) != 0 || strcmp(dstack_last_error(), want) != 0) {
            w->mismatches++;
        }
    }
    return NULL;
}

/* Two threads set texts at the same time; neither ever sees the other's, nor the main
 * thread's. */
static void thread_isolation(void)
{
    (void)err_set(DSTACK_EINVAL, "main thread");
    pthread_t t[2];
    struct worker w[2] = {{1, 0}, {2, 0}};
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_create(&t[i], NULL, worker_run, &w[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK(w[i].mismatches == 0);
    }
    CHECK_STR(err_text(), "main thread");
}

int main(void)
{
    set_and_wrap();
    truncation();
    thread_isolation();
    CHECK_STR(dstack_err_str((dstack_err)9999), "unknown error");
    return check_exit();
}
