/* Path resolution of the tdx backend (tdx_paths.h). */
#include "tee/tdx_paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool tdx_path_join(char out[TDX_PATH_MAX], const char *dir, const char *name)
{
    int n = snprintf(out, TDX_PATH_MAX, "%s/%s", dir, name);
    return n > 0 && (size_t)n < TDX_PATH_MAX;
}

/* One path: config, else env (absolute, below max_env bytes), else the default. A bad override
 * leaves out empty with the reason in bad (NULL: an error instead). */
static dstack_err pick(char out[TDX_PATH_MAX], bool *explicit_, const char *configured,
                       const char *env, size_t max_env, const char *def, char bad[TDX_WHY_MAX])
{
    const char *v = env != NULL ? getenv(env) : NULL;
    if (explicit_ != NULL) {
        *explicit_ = true;
    }
    if (configured != NULL && configured[0] != '\0') {
        v = configured;
    } else if (v != NULL) {
        char why[TDX_WHY_MAX] = "";
        if (v[0] != '/') {
            snprintf(why, sizeof why, "%.100s must be an absolute path, not \"%.100s\"", env, v);
        } else if (strlen(v) >= max_env) {
            snprintf(why, sizeof why, "%.100s is longer than %zu bytes", env, max_env - 1);
        }
        if (why[0] != '\0') {
            out[0] = '\0';
            if (bad == NULL) {
                return err_set(DSTACK_EINVAL, "%s", why);
            }
            memcpy(bad, why, sizeof why);
            return DSTACK_OK;
        }
    } else {
        v = def;
        if (explicit_ != NULL) {
            *explicit_ = false;
        }
    }
    if (strlen(v) >= TDX_PATH_MAX) {
        return err_set(DSTACK_EINVAL, "path too long: %.100s...", v);
    }
    memcpy(out, v, strlen(v) + 1);
    return DSTACK_OK;
}

dstack_err tdx_paths_resolve(const struct agent_config *cfg, struct tdx_paths *out)
{
    const struct tdx_config *t = &cfg->tdx;
    dstack_err e;
    memset(out, 0, sizeof *out);
    if ((e = pick(out->configfs_dir, &out->configfs_explicit, t->configfs_dir, TDX_CONFIGFS_ENV,
                  TDX_OVERRIDE_PATH_MAX, TDX_CONFIGFS_DEFAULT, out->configfs_bad)) != DSTACK_OK ||
        (e = pick(out->rtmr_dir, &out->rtmr_explicit, t->rtmr_sysfs_dir, TDX_RTMR_SYSFS_ENV,
                  TDX_OVERRIDE_PATH_MAX, TDX_RTMR_SYSFS_DEFAULT, out->rtmr_bad)) != DSTACK_OK ||
        (e = pick(out->ccel_file, NULL, t->ccel_file, "DSTACK_CCEL_FILE", TDX_PATH_MAX,
                  "/sys/firmware/acpi/tables/data/CCEL", out->ccel_bad)) != DSTACK_OK ||
        (e = pick(out->log_dir, NULL, t->runtime_log_dir, NULL, TDX_PATH_MAX,
                  TDX_RUNTIME_LOG_DIR_DEFAULT, NULL)) != DSTACK_OK ||
        (e = pick(out->device, NULL, t->device, NULL, TDX_PATH_MAX, TDX_DEVICE_DEFAULT, NULL)) !=
            DSTACK_OK ||
        (e = pick(out->attest_config, NULL, t->attest_config, NULL, TDX_PATH_MAX,
                  TDX_ATTEST_CONFIG_DEFAULT, NULL)) != DSTACK_OK ||
        (e = pick(out->configfs_base, NULL, t->configfs_base, NULL, TDX_PATH_MAX, TDX_CONFIGFS_BASE,
                  NULL)) != DSTACK_OK) {
        return e;
    }
    /* Without an override the report directory is the default one under the base. */
    if (!out->configfs_explicit && out->configfs_bad[0] == '\0' &&
        !tdx_path_join(out->configfs_dir, out->configfs_base, TDX_CONFIGFS_NAME)) {
        return err_set(DSTACK_EINVAL, "configfs_base too long");
    }
    out->quote_queue = t->quote_queue ? t->quote_queue : TDX_QUOTE_QUEUE_DEFAULT;
    out->quote_timeout_ms =
        t->quote_timeout_ms ? t->quote_timeout_ms : TDX_QUOTE_TIMEOUT_MS_DEFAULT;
    out->generation_timeout_ms =
        t->generation_timeout_ms ? t->generation_timeout_ms : TDX_GENERATION_TIMEOUT_MS_DEFAULT;
    return DSTACK_OK;
}
