/* RUST_LOG directives (env_logger's documented syntax, which tracing's EnvFilter also reads for
 * these forms) and the level they give a target. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "log_priv.h"
#include "util/error.h"

#define LOG_DIRECTIVES_MAX 16
#define LOG_TARGET_MAX 64

struct directive {
    char target[LOG_TARGET_MAX]; /* "" = the default */
    enum log_level level;
};

struct filter {
    struct directive d[LOG_DIRECTIVES_MAX];
    size_t n;
    enum log_level fallback;
};

static char program[LOG_TARGET_MAX] = "dstack";
/* Set at start-up, before any thread: log_set_level or log_set_filter. */
static struct filter active = {.n = 0, .fallback = LOG_INFO};
/* The program's own threshold, read on every line; the filter only changes at start-up. */
static atomic_int threshold = LOG_INFO;

static const char *const names[] = {"error", "warn", "info", "debug", "trace"};

bool log_level_parse(const char *name, enum log_level *out)
{
    size_t n = strlen(name);
    if (n == 3 && strncasecmp(name, "off", 3) == 0) {
        *out = LOG_OFF;
        return true;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

const char *log_level_name(enum log_level level)
{
    return level == LOG_OFF ? "off" : names[level];
}

void log_init(const char *program_target)
{
    snprintf(program, sizeof program, "%s", program_target);
}

void log_set_level(enum log_level level)
{
    active.n = 0;
    active.fallback = level;
    atomic_store(&threshold, (int)level);
}

int log_threshold(void)
{
    return atomic_load(&threshold);
}

static enum log_level filter_level(const struct filter *f, const char *target)
{
    size_t best_len = 0;
    enum log_level level = f->fallback;
    for (size_t i = 0; i < f->n; i++) {
        size_t n = strlen(f->d[i].target);
        if (n > 0 && n >= best_len && strncmp(target, f->d[i].target, n) == 0) {
            best_len = n;
            level = f->d[i].level;
        }
    }
    return level;
}

/* One directive (trimmed, not empty) into f; own: the target a bare word may name. */
static dstack_err directive(struct filter *f, const char *own, const char *d, size_t n)
{
    char word[LOG_TARGET_MAX + 16];
    if (n >= sizeof word) {
        return err_set(DSTACK_EINVAL, "directive too long: \"%.40s...\"", d);
    }
    memcpy(word, d, n);
    word[n] = '\0';
    char *eq = strchr(word, '=');
    enum log_level level;
    if (eq == NULL && log_level_parse(word, &level)) {
        f->fallback = level;
        return DSTACK_OK;
    }
    if (eq == NULL && strncmp(own, word, n) != 0) {
        return err_set(DSTACK_EINVAL,
                       "\"%s\" is neither a level (off, error, warn, info, debug, trace) nor this "
                       "program's target %s",
                       word, own);
    }
    if (eq != NULL) {
        *eq = '\0';
        if (!log_level_parse(eq + 1, &level) || eq == word) {
            return err_set(DSTACK_EINVAL,
                           "\"%s=%s\": expected target=level (levels: off, error, "
                           "warn, info, debug, trace)",
                           word, eq + 1);
        }
    } else {
        level = LOG_TRACE; /* a bare target enables all its levels */
    }
    if (f->n == LOG_DIRECTIVES_MAX) {
        return err_set(DSTACK_EINVAL, "more than %d directives", LOG_DIRECTIVES_MAX);
    }
    if (strlen(word) >= sizeof f->d[0].target) {
        return err_set(DSTACK_EINVAL, "target \"%.40s...\" too long", word);
    }
    memcpy(f->d[f->n].target, word, strlen(word) + 1);
    f->d[f->n++].level = level;
    return DSTACK_OK;
}

static dstack_err parse_filter(const char *spec, const char *own, struct filter *out)
{
    struct filter f = {.n = 0, .fallback = LOG_OFF};
    bool named = false;
    for (const char *p = spec; *p != '\0';) {
        size_t n = strcspn(p, ",");
        const char *d = p;
        size_t dn = n;
        while (dn > 0 && (*d == ' ' || *d == '\t')) {
            d++;
            dn--;
        }
        while (dn > 0 && (d[dn - 1] == ' ' || d[dn - 1] == '\t')) {
            dn--;
        }
        if (dn > 0) {
            if (directive(&f, own, d, dn) != DSTACK_OK) {
                return DSTACK_EINVAL;
            }
            named = true;
        }
        p += n + (p[n] == ',');
    }
    if (!named) {
        return err_set(DSTACK_EINVAL, "names no level");
    }
    *out = f;
    return DSTACK_OK;
}

dstack_err log_set_filter(const char *spec)
{
    struct filter f;
    if (parse_filter(spec, program, &f) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    active = f;
    atomic_store(&threshold, (int)filter_level(&f, program));
    return DSTACK_OK;
}

dstack_err log_filter_level(const char *spec, const char *target, enum log_level *out)
{
    struct filter f;
    if (parse_filter(spec, target, &f) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    *out = filter_level(&f, target);
    return DSTACK_OK;
}

enum log_level log_level_for(const char *target)
{
    return filter_level(&active, target);
}
