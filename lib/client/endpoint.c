/* Endpoint resolution, identical in order to the official SDKs (docs/sdk.md):
 * explicit argument > non-empty environment variable > first existing socket path > default. */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

dstack_err dstack_endpoint_resolve(const char *endpoint, const char *env_var,
                                   const char *const *probe_paths, size_t n_probe, char **out,
                                   enum dstack_endpoint_kind *kind)
{
    err_clear();
    if (out == NULL || kind == NULL || (n_probe > 0 && probe_paths == NULL)) {
        return err_set(DSTACK_EINVAL, "dstack_endpoint_resolve: NULL argument");
    }
    *out = NULL;
    const char *chosen = NULL;
    if (endpoint != NULL && endpoint[0] != '\0') {
        chosen = endpoint;
    } else if (env_var != NULL && getenv(env_var) != NULL && getenv(env_var)[0] != '\0') {
        /* An empty variable counts as unset (the JS SDK's `if (process.env.X)`). */
        chosen = getenv(env_var);
    } else {
        for (size_t i = 0; i < n_probe && chosen == NULL; i++) {
            if (path_exists(probe_paths[i])) {
                chosen = probe_paths[i];
            }
        }
        if (chosen == NULL) {
            if (n_probe == 0) {
                return err_set(DSTACK_EINVAL, "no endpoint given and nothing to probe");
            }
            chosen = probe_paths[0];
        }
    }
    if (starts_with(chosen, "http://") || starts_with(chosen, "https://")) {
        *kind = DSTACK_ENDPOINT_HTTP;
    } else {
        *kind = DSTACK_ENDPOINT_UNIX;
        /* Python dstack_client.py and JS index.ts check existence only for absolute paths, with
         * this exact text; relative paths are left to fail at connect time. */
        if (chosen[0] == '/' && !path_exists(chosen)) {
            return err_set(DSTACK_ETRANSPORT, "Unix socket file %s does not exist", chosen);
        }
    }
    *out = jf_strdup(chosen);
    if (*out == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (*kind == DSTACK_ENDPOINT_HTTP) {
        /* Keep a base path but drop trailing slashes: we append "/<Method>" (Rust SDK join). */
        size_t n = strlen(*out);
        while (n > 0 && (*out)[n - 1] == '/') {
            (*out)[--n] = '\0';
        }
    }
    return DSTACK_OK;
}
