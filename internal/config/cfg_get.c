#include "cfg_get.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"

static dstack_err what(const char *where, const char *key, const char *must)
{
    return err_set(DSTACK_EINVAL, "%.150s%s%.80s must be %s", where, where[0] ? "." : "", key,
                   must);
}

dstack_err cfg_get_string(struct cfg_node *t, const char *key, char *dst, size_t cap,
                          const char *where)
{
    struct cfg_node *n = cfg_get(t, key);
    if (n == NULL) {
        return DSTACK_OK;
    }
    if (n->type != CFG_STRING || strlen(n->str) != n->str_len) {
        return what(where, key, "a string (without NUL)");
    }
    if (n->str_len >= cap) {
        char must[64];
        snprintf(must, sizeof must, "at most %zu bytes long", cap - 1);
        return what(where, key, must);
    }
    memcpy(dst, n->str, n->str_len + 1);
    return DSTACK_OK;
}

dstack_err cfg_get_uint(struct cfg_node *t, const char *key, uint64_t max, uint64_t *out,
                        const char *where)
{
    struct cfg_node *n = cfg_get(t, key);
    if (n == NULL) {
        return DSTACK_OK;
    }
    if (n->type != CFG_INT || n->num < 0 || (uint64_t)n->num > max) {
        char must[80];
        snprintf(must, sizeof must, "an integer between 0 and %llu", (unsigned long long)max);
        return what(where, key, must);
    }
    *out = (uint64_t)n->num;
    return DSTACK_OK;
}

dstack_err cfg_get_bool(struct cfg_node *t, const char *key, bool *out, const char *where)
{
    struct cfg_node *n = cfg_get(t, key);
    if (n == NULL) {
        return DSTACK_OK;
    }
    if (n->type != CFG_BOOL) {
        return what(where, key, "true or false");
    }
    *out = n->flag;
    return DSTACK_OK;
}

dstack_err cfg_get_table(struct cfg_node *t, const char *key, struct cfg_node **out,
                         const char *where)
{
    struct cfg_node *n = cfg_get(t, key);
    *out = NULL;
    if (n == NULL) {
        return DSTACK_OK;
    }
    if (n->type != CFG_TABLE) {
        return what(where, key, "a table");
    }
    *out = n;
    return DSTACK_OK;
}

static const struct {
    const char *name;
    uint64_t factor;
} units[] = {
    {"", 1},
    {"b", 1},
    {"kb", 1000},
    {"kib", 1024},
    {"mb", 1000 * 1000},
    {"mib", 1024 * 1024},
    {"gb", 1000 * 1000 * 1000},
    {"gib", 1024ull * 1024 * 1024},
    {"tb", 1000ull * 1000 * 1000 * 1000},
    {"tib", 1024ull * 1024 * 1024 * 1024},
};

int cfg_parse_size(const struct cfg_node *n, uint64_t max, uint64_t *out)
{
    if (n->type == CFG_INT) {
        if (n->num < 0 || (uint64_t)n->num > max) {
            return -1;
        }
        *out = (uint64_t)n->num;
        return 0;
    }
    if (n->type != CFG_STRING) {
        return -1;
    }
    const char *p = n->str;
    uint64_t whole = 0, frac = 0, scale = 1;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (whole > (UINT64_MAX - 9) / 10) {
            return -1;
        }
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (scale < 1000000000) { /* nine decimals are plenty */
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
        }
    }
    while (*p == ' ') {
        p++;
    }
    if (digits == 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(p, units[i].name) == 0) {
            uint64_t f = units[i].factor;
            if (whole > max / f) {
                return -1;
            }
            uint64_t v = whole * f + frac * (f / scale) + (frac * (f % scale)) / scale;
            if (v > max) {
                return -1;
            }
            *out = v;
            return 0;
        }
    }
    return -1;
}
