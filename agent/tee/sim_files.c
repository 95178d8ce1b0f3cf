/* Default simulator files (see sim_files.h). */
#include "tee/sim_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"

#include "appkeys.h"
#include "tee/sim_appkeys.h"
#include "tee/sim_pck.h"
#include "tee/sim_boot.h"
#include "util/error.h"
#include "util/file.h"
#include "util/secret.h"
#include "util/hex.h"

#define SIM_FILES_COMPOSE_MAX (1u << 20)

/* A compose in upstream's manifest v2 shape (dstack-types AppCompose), as vmm-cli would write
 * it. Its bytes are hashed into compose-hash, so it is a fixed text, never re-serialised; it is
 * written in the SDK's canonical form (keys sorted, compact, no final new line), so that
 * `dstack compose-hash app-compose.json` (the SDKs' getComposeHash) gives Info.compose_hash. */
const char sim_files_default_compose[] =
    "{\"allowed_envs\":[],"
    "\"docker_compose_file\":\"services:\\n  app:\\n    image: nginx:stable-alpine\\n"
    "    ports:\\n      - \\\"8080:80\\\"\\n    volumes:\\n"
    "      - /var/run/dstack.sock:/var/run/dstack.sock\\n    restart: unless-stopped\\n\","
    "\"gateway_enabled\":false,"
    "\"key_provider\":\"kms\","
    "\"key_provider_id\":\"\","
    "\"kms_enabled\":true,"
    "\"local_key_provider_enabled\":false,"
    "\"manifest_version\":2,"
    "\"name\":\"dstack-simulator-app\","
    "\"no_instance_id\":false,"
    "\"public_logs\":true,"
    "\"public_sysinfo\":true,"
    "\"public_tcbinfo\":true,"
    "\"runner\":\"docker-compose\","
    "\"secure_time\":false,"
    "\"storage_fs\":\"ext4\"}";

char *sim_files_default_vm_config(const char *seed)
{
    uint8_t h[SIM_HASH_LEN];
    char hex[2 * DSTACK_SHA256_LEN + 1];
    sim_seed_hash(seed, "os-image", h);
    hex_encode(h, DSTACK_SHA256_LEN, hex);
    /* Key order of upstream's VmConfig (dstack-types lib.rs:L1287-1369). */
    cJSON *vm = cJSON_CreateObject();
    if (!json_set(vm, "os_image_hash", cJSON_CreateString(hex)) ||
        !json_set(vm, "cpu_count", json_int_new(2)) ||
        !json_set(vm, "memory_size", json_int_new(2147483648LL))) {
        json_free(vm);
        vm = NULL;
    }
    char *s = vm != NULL ? json_dump(vm, 0, NULL) : NULL;
    json_free(vm);
    return s;
}

static char *default_sys_config(const char *seed)
{
    char *vm = sim_files_default_vm_config(seed);
    if (vm == NULL) {
        return NULL;
    }
    /* Fields of upstream's SysConfig (docs/wire.md); the simulator has no KMS or gateway. */
    cJSON *doc = cJSON_CreateObject();
    if (!json_set(doc, "kms_urls", cJSON_CreateArray()) ||
        !json_set(doc, "gateway_urls", cJSON_CreateArray()) ||
        !json_set(doc, "pccs_url", cJSON_CreateString("")) ||
        !json_set(doc, "docker_registry", cJSON_CreateString("")) ||
        !json_set(doc, "host_api_url", cJSON_CreateString("")) ||
        !json_set(doc, "vm_config", cJSON_CreateString(vm))) {
        json_free(doc);
        doc = NULL;
    }
    free(vm);
    char *s = doc != NULL ? json_dump(doc, 4, NULL) : NULL;
    json_free(doc);
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (t == NULL) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

/* Writes text to path unless path exists: an exclusively created temporary file in the same
 * folder, then link(2), which fails with EEXIST instead of replacing what someone else created
 * (util/file.h: no planted name, no symlink, is ever followed). */
static dstack_err create_if_absent(const char *path, const char *text)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        return DSTACK_OK;
    }
    if (errno != ENOENT) {
        return err_set(DSTACK_EIO, "%s: %s", path, strerror(errno));
    }
    dstack_err e = file_write_new(path, text, strlen(text), 0644, false);
    return e;
}

/* appkeys.json: issued for this compose's app_id and the seed's instance_id, from the 32-byte
 * seed (the documented development seed when none is configured; appkeys.h). */
static dstack_err ensure_keys(const struct agent_config *cfg)
{
    struct stat st;
    uint8_t seed[DSTACK_KEY_LEN], compose_hash[DSTACK_SHA256_LEN], instance_id[DSTACK_APP_ID_LEN];
    char *compose = NULL;
    dstack_err e;

    if (stat(cfg->keys_file, &st) == 0) {
        return DSTACK_OK;
    }
    if (errno != ENOENT) {
        return err_set(DSTACK_EIO, "%s: %s", cfg->keys_file, strerror(errno));
    }
    if (cfg->sim_seed[0] == '\0') {
        memcpy(seed, appkeys_dev_seed, sizeof seed);
    } else if ((e = quote_seed_from_string(cfg->sim_seed, seed)) != DSTACK_OK) {
        return err_set(e, "simulator seed: %s", dstack_err_str(e));
    }
    /* O_NONBLOCK: a FIFO must not block start-up; agent_open then refuses the file. */
    int fd = open(cfg->compose_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (f == NULL && fd >= 0) {
        close(fd);
    }
    size_t len = 0;
    if (f != NULL) {
        compose = malloc(SIM_FILES_COMPOSE_MAX);
        len = compose != NULL ? fread(compose, 1, SIM_FILES_COMPOSE_MAX, f) : 0;
        fclose(f);
    }
    if (compose == NULL || len == SIM_FILES_COMPOSE_MAX) {
        e = err_set(DSTACK_EIO, "%s: unreadable or larger than %u bytes", cfg->compose_file,
                    SIM_FILES_COMPOSE_MAX);
        goto out;
    }
    e = sim_boot_identity(cfg->sim_seed, (const uint8_t *)compose, len, compose_hash, instance_id);
    if (e == DSTACK_OK) {
        e = appkeys_generate(cfg->keys_file, seed, compose_hash, instance_id);
    }
out:
    secret_wipe(seed, sizeof seed);
    free(compose);
    return e;
}

/* mkdir -p dir: --dir names the simulator's folder, which a new user has not made yet. */
static dstack_err make_dir(const char *dir)
{
    char path[1024];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        return err_set(DSTACK_EINVAL, "--dir: empty or too long");
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            return err_set(DSTACK_EIO, "cannot create %.300s: %s", path, strerror(errno));
        }
        path[i] = saved;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return err_set(DSTACK_EIO, "%.300s is not a folder", dir);
    }
    return DSTACK_OK;
}

dstack_err sim_files_ensure(const struct agent_config *cfg)
{
    dstack_err e = make_dir(cfg->sim_dir[0] ? cfg->sim_dir : ".");
    if (e != DSTACK_OK) {
        return e;
    }
    e = create_if_absent(cfg->compose_file, sim_files_default_compose);
    if (e != DSTACK_OK) {
        return e;
    }
    char *sys = default_sys_config(cfg->sim_seed);
    if (sys == NULL) {
        return err_set(DSTACK_ENOMEM, "%s: out of memory", cfg->sys_config_file);
    }
    e = create_if_absent(cfg->sys_config_file, sys);
    free(sys);
    if (e != DSTACK_OK) {
        return e;
    }
    return ensure_keys(cfg);
}
