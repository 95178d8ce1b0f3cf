/* See kms_env.h. */
#include "kms_env.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "json/json.h"

static bool read_app_id(struct kms_env *e)
{
    struct http_reply r = {0};
    bool ok = false;
    if (http_post_json(e->sim.dstack_sock, "/Info", "{}", &r) && r.status == 200) {
        cJSON *doc = json_parse(r.body, strlen(r.body), 0, NULL);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "app_id");
        if (cJSON_IsString(id) && strlen(id->valuestring) == 40) {
            memcpy(e->app_id, id->valuestring, 41);
            ok = true;
        }
        cJSON_Delete(doc);
    }
    http_reply_free(&r);
    return ok;
}

/* Runs dstack-test-kms and reads its "listening <url>" line. */
static bool spawn_kms(struct kms_env *e, const char *const *kms_args, bool allow_other)
{
    char keys[400], qroot[400], log[400];
    const char *argv[40];
    size_t n = 0;
    int out[2];
    snprintf(keys, sizeof keys, "%s/appkeys.json", e->sim.dir);
    snprintf(qroot, sizeof qroot, "%s/tdx-root-ca.pem", e->sim.dir);
    snprintf(e->root_path, sizeof e->root_path, "%s/kms-root.pem", e->sim.dir);
    snprintf(log, sizeof log, "%s/test-kms.log", e->sim.dir);
    argv[n++] = DSTACK_TEST_KMS_BIN;
    argv[n++] = "--quote-root";
    argv[n++] = qroot;
    argv[n++] = "--allow-app-id";
    argv[n++] = allow_other ? "00112233445566778899aabbccddeeff00112233" : e->app_id;
    argv[n++] = "--keys-out";
    argv[n++] = keys;
    argv[n++] = "--root-out";
    argv[n++] = e->root_path;
    for (size_t i = 0; kms_args != NULL && kms_args[i] != NULL && n < 38; i++) {
        argv[n++] = kms_args[i];
    }
    argv[n] = NULL;
    if (pipe(out) != 0) {
        return false;
    }
    e->kms_pid = fork();
    if (e->kms_pid == 0) {
        /* A test that dies (a timeout's SIGKILL) takes its KMS with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        dup2(out[1], 1);
        close(out[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    char line[256] = "";
    FILE *r = fdopen(out[0], "r");
    bool ok =
        r != NULL && fgets(line, sizeof line, r) != NULL && strncmp(line, "listening ", 10) == 0;
    if (r != NULL) {
        fclose(r);
    }
    if (!ok) {
        fprintf(stderr, "dstack-test-kms did not start: %s\n", line);
        return false;
    }
    line[strcspn(line, "\n")] = '\0';
    snprintf(e->url, sizeof e->url, "%.240s", line + 10);
    return true;
}

bool kms_env_start(struct kms_env *e, const char *const *kms_args, bool allow_other,
                   unsigned connect_ms, unsigned timeout_ms)
{
    size_t len;
    char cfg[400], root[400];
    memset(e, 0, sizeof *e);
    e->kms_pid = -1;
    if (!sim_start(&e->sim, NULL) || !read_app_id(e) || !spawn_kms(e, kms_args, allow_other)) {
        return false;
    }
    /* A thread per connection, as the real agent serves (docs/kms.md): a request never waits
     * behind a KMS call on a shared pool thread. */
    snprintf(cfg, sizeof cfg, "%s/kms-agent.json", e->sim.dir);
    FILE *f = fopen(cfg, "w");
    if (f == NULL) {
        return false;
    }
    fprintf(f,
            "{\"default\":{\"thread_per_connection\":true,\"core\":{\"kms\":"
            "{\"connect_timeout_ms\":%u,\"timeout_ms\":%u}}}}",
            connect_ms != 0 ? connect_ms : 5000, timeout_ms != 0 ? timeout_ms : 60000);
    fclose(f);
    const char *extra[3] = {"-c", cfg, NULL};
    snprintf(root, sizeof root, "%s/tdx-root-ca.pem", e->sim.dir);
    e->root_pem = check_read_file(e->root_path, &len);
    e->quote_root_pem = check_read_file(root, &len);
    return e->root_pem != NULL && e->quote_root_pem != NULL && sim_restart(&e->sim, SIGTERM, extra);
}

void kms_env_kill_kms(struct kms_env *e)
{
    if (e->kms_pid > 0) {
        kill(e->kms_pid, SIGKILL);
        waitpid(e->kms_pid, NULL, 0);
        e->kms_pid = -1;
    }
}

int kms_env_stop(struct kms_env *e)
{
    kms_env_kill_kms(e);
    free(e->root_pem);
    free(e->quote_root_pem);
    e->root_pem = e->quote_root_pem = NULL;
    return sim_stop(&e->sim);
}

/* The socket inodes among the simulator's descriptors. */
static size_t socket_inodes(pid_t pid, unsigned long *out, size_t cap)
{
    char path[64], link[128], target[128];
    size_t n = 0;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    for (struct dirent *de; d != NULL && n < cap && (de = readdir(d)) != NULL;) {
        snprintf(link, sizeof link, "%s/%.40s", path, de->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len > 8 && strncmp(target, "socket:[", 8) == 0) {
            target[len] = '\0';
            out[n++] = strtoul(target + 8, NULL, 10);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

int kms_env_sim_tcp(const struct kms_env *e)
{
    unsigned long inodes[512];
    size_t n = socket_inodes(e->sim.pid, inodes, 512);
    int count = 0;
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        char line[512];
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            char *field = line;
            for (int i = 0; i < 9 && field != NULL; i++) {
                field += strspn(field, " ");
                field = strchr(field, ' ');
            }
            unsigned long inode = field != NULL ? strtoul(field, NULL, 10) : 0;
            for (size_t i = 0; inode != 0 && i < n; i++) {
                count += inodes[i] == inode;
            }
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    return count;
}
