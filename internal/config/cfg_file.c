#include "cfg_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg_json.h"
#include "cfg_toml.h"
#include "util/error.h"
#include "util/file.h"

const char *const cfg_search_dirs[] = {"/etc/dstack", ".", NULL};

/* The first byte that is not a BOM or white space: '{' starts JSON (TOML has no top-level
 * braces), '[' may start either. */
static char first_char(const char *text, size_t len)
{
    size_t i = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < len && text[i] != '\0' && strchr(" \t\r\n", text[i]) != NULL) {
        i++;
    }
    return i < len ? text[i] : '\0';
}

dstack_err cfg_file_read(const char *path, struct cfg_node **out, bool *missing)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    if (missing != NULL) {
        *missing = false;
    }
    dstack_err e = file_read_all(path, CFG_FILE_MAX, &text, &len, missing);
    if (e != DSTACK_OK) {
        /* "config file <path>: <why>": the reason already names the path, so no wrap's ": " */
        char why[512];
        snprintf(why, sizeof why, "%s", err_text());
        return err_set(e, "config file %.480s", why);
    }
    if (text == NULL) {
        return DSTACK_OK; /* missing, and allowed to be */
    }
    struct cfg_parse_error perr;
    int rc;
    char first = first_char(text, len);
    if (first == '{') {
        rc = cfg_json_parse(text, len, out, &perr);
    } else {
        rc = cfg_toml_parse(text, len, out, &perr);
        struct cfg_parse_error jerr;
        /* "[" opens a TOML table header or a JSON array: a document TOML refuses but JSON
         * reads is JSON, and its error (not an object) is the one that helps. */
        if (rc != 0 && first == '[' && cfg_json_parse(text, len, out, &jerr) != 0 &&
            jerr.line == 0) {
            perr = jerr;
        }
    }
    free(text);
    if (rc != 0) {
        if (perr.line > 0) {
            return err_set(DSTACK_EFORMAT, "config file %.250s: line %u, column %u: %s", path,
                           perr.line, perr.column, perr.msg);
        }
        return err_set(DSTACK_EFORMAT, "config file %.250s: %s", path, perr.msg);
    }
    return DSTACK_OK;
}

int cfg_search(const char *const dirs[], const char *name, int (*fn)(void *ctx, const char *path),
               void *ctx)
{
    static const char *const exts[] = {"toml", "json"};
    for (size_t d = 0; dirs[d] != NULL; d++) {
        for (size_t e = 0; e < sizeof exts / sizeof exts[0]; e++) {
            char path[1024];
            struct stat st;
            int n = snprintf(path, sizeof path, "%s/%s.%s", dirs[d], name, exts[e]);
            if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) != 0) {
                continue; /* upstream: Path::exists() */
            }
            int rc = fn(ctx, path);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}
