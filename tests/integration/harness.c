#include "harness.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json/json.h"

#include "check.h"

char *sim_quote_root(const struct sim *s)
{
    char path[400];
    snprintf(path, sizeof path, "%s/tdx-root-ca.pem", s->dir);
    return check_read_text(path);
}

char *sim_app_ca(const struct sim *s)
{
    char path[400];
    snprintf(path, sizeof path, "%s/appkeys.json", s->dir);
    cJSON *keys = json_parse_file(path, 1u << 20, 0, NULL);
    const char *ca = json_str(json_get(keys, "ca_cert"));
    char *out = ca != NULL ? strdup(ca) : NULL;
    json_free(keys);
    return out;
}

bool unix_addr(struct sockaddr_un *sa, const char *path)
{
    size_t n = strlen(path);
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (n >= sizeof sa->sun_path) {
        return false;
    }
    memcpy(sa->sun_path, path, n + 1);
    return true;
}

static bool socket_answers(const char *path)
{
    struct sockaddr_un sa;
    if (!unix_addr(&sa, path)) {
        return false;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static bool log_says_ready(const char *log_path)
{
    FILE *f = fopen(log_path, "r");
    char line[512];
    bool ready = false;
    while (f != NULL && !ready && fgets(line, sizeof line, f) != NULL) {
        ready = strstr(line, " ready (") != NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    return ready;
}

static unsigned long g_nofile; /* sim_set_nofile: 0 = inherit */

void sim_set_nofile(unsigned long n)
{
    g_nofile = n;
}

static bool spawn(struct sim *s, const char *const *pre, const char *const *extra)
{
    const char *argv[64];
    size_t n = 0;
    char *wrapper = getenv("DSTACK_TEST_WRAPPER") ? strdup(getenv("DSTACK_TEST_WRAPPER")) : NULL;
    if (wrapper != NULL) {
        char *save = NULL;
        for (char *tok = strtok_r(wrapper, " ", &save); tok != NULL && n < 16;
             tok = strtok_r(NULL, " ", &save)) {
            argv[n++] = tok;
        }
    }
    argv[n++] = DSTACK_SIMULATOR_BIN;
    argv[n++] = "--dir";
    argv[n++] = s->dir;
    argv[n++] = "--log-level"; /* the most the daemon ever logs, scanned for secrets at stop */
    argv[n++] = "debug";
    for (size_t i = 0; pre != NULL && pre[i] != NULL && n < 40; i++) {
        argv[n++] = pre[i];
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 62; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    char log_path[400];
    snprintf(log_path, sizeof log_path, "%s/simulator.log", s->dir);
    s->pid = fork();
    if (s->pid == 0) {
        if (g_nofile > 0) { /* `ulimit -n`: soft and hard, so the daemon cannot raise it */
            struct rlimit rl = {.rlim_cur = g_nofile, .rlim_max = g_nofile};
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
                _exit(126);
            }
        }
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    free(wrapper);
    for (int i = 0; i < 1500; i++) { /* up to 30 s: valgrind starts slowly */
        /* Every listener is up once the daemon logs "ready" (it binds them in turn). */
        if (socket_answers(s->dstack_sock) && log_says_ready(log_path)) {
            return true;
        }
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            fprintf(stderr, "simulator exited during start-up; log:\n");
            char cmd[500];
            snprintf(cmd, sizeof cmd, "cat %s >&2", log_path);
            (void)system(cmd);
            s->pid = -1;
            return false;
        }
        usleep(20000);
    }
    fprintf(stderr, "simulator did not open %s\n", s->dstack_sock);
    return false;
}

static bool prepare(struct sim *s)
{
    s->upstream = false;
    snprintf(s->dir, sizeof s->dir, "/tmp/dstack-it-XXXXXX");
    if (mkdtemp(s->dir) == NULL) {
        perror("mkdtemp");
        return false;
    }
    snprintf(s->dstack_sock, sizeof s->dstack_sock, "%s/dstack.sock", s->dir);
    snprintf(s->tappd_sock, sizeof s->tappd_sock, "%s/tappd.sock", s->dir);
    return true;
}

bool sim_start(struct sim *s, const char *const *extra_args)
{
    return prepare(s) && spawn(s, NULL, extra_args);
}

static const char *const *upstream_args(void)
{
    static char keys[512], compose[512], sys[512];
    static const char *pre[] = {"--keys", keys, "--compose", compose, "--sys-config", sys, NULL};
    snprintf(keys, sizeof keys, "%s/upstream/simulator/appkeys.json", DSTACK_FIXTURE_DIR);
    snprintf(compose, sizeof compose, "%s/upstream/simulator/app-compose.json", DSTACK_FIXTURE_DIR);
    snprintf(sys, sizeof sys, "%s/upstream/simulator/sys-config.json", DSTACK_FIXTURE_DIR);
    if (access(keys, R_OK) != 0) {
        printf("FAIL: fixture %s is missing (tests/fixtures/PROVENANCE.md)\n", keys);
        exit(1);
    }
    return pre;
}

bool sim_start_upstream(struct sim *s, const char *const *extra_args)
{
    const char *const *pre = upstream_args();
    if (!prepare(s)) {
        return false;
    }
    s->upstream = true;
    return spawn(s, pre, extra_args);
}

bool sim_restart(struct sim *s, int sig, const char *const *extra_args)
{
    if (s->pid > 0) {
        kill(s->pid, sig);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
    }
    return spawn(s, s->upstream ? upstream_args() : NULL, extra_args);
}

/* True when needle (or its upper-case form, for hex) occurs in the text. */
static bool contains_secret(const char *text, const char *needle)
{
    if (needle == NULL || strlen(needle) < 16) {
        return false;
    }
    char upper[8192];
    size_t n = strlen(needle);
    if (n >= sizeof upper) {
        return strstr(text, needle) != NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        upper[i] = (char)toupper((unsigned char)needle[i]);
    }
    return strstr(text, needle) != NULL || strstr(text, upper) != NULL;
}

/* Every key the daemon holds, searched for in its whole log (issue 10: no key byte is ever
 * logged). Returns the number of secrets found. */
static int scan_log_for_secrets(const struct sim *s)
{
    char keys_path[512], log_path[400];
    if (s->upstream) {
        snprintf(keys_path, sizeof keys_path, "%s/upstream/simulator/appkeys.json",
                 DSTACK_FIXTURE_DIR);
    } else {
        snprintf(keys_path, sizeof keys_path, "%s/appkeys.json", s->dir);
    }
    snprintf(log_path, sizeof log_path, "%s/simulator.log", s->dir);
    size_t len;
    char *log = check_read_file(log_path, &len);
    cJSON *keys = json_parse_file(keys_path, 1u << 20, 0, NULL);
    int found = 0;
    if (log == NULL || keys == NULL) {
        free(log);
        json_free(keys);
        return 0; /* a test with its own keys file: nothing known to look for */
    }
    static const char *const hex_fields[] = {"k256_key", "disk_crypt_key", "env_crypt_key"};
    for (size_t i = 0; i < sizeof hex_fields / sizeof hex_fields[0]; i++) {
        const char *v = json_str(json_get(keys, hex_fields[i]));
        if (contains_secret(log, v)) {
            fprintf(stderr, "SECRET IN LOG: %s of %s\n", hex_fields[i], keys_path);
            found++;
        }
    }
    /* The CA private key: every base64 line of its PEM body. */
    const char *provider_key = NULL;
    const cJSON *prov;
    cJSON_ArrayForEach(prov, json_get(keys, "key_provider"))
    {
        provider_key = json_str(json_get(prov, "key"));
        if (provider_key == NULL) { /* Kms: the temporary CA key */
            provider_key = json_str(json_get(prov, "tmp_ca_key"));
        }
    }
    char line[128];
    for (const char *p = provider_key; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, "\n");
        if (n < sizeof line && p[0] != '-') {
            memcpy(line, p, n);
            line[n] = '\0';
            if (strlen(line) >= 32 && strstr(log, line) != NULL) {
                fprintf(stderr, "SECRET IN LOG: a line of the CA key of %s\n", keys_path);
                found++;
            }
        }
        p += n + (p[n] == '\n');
    }
    free(log);
    json_free(keys);
    return found;
}

int sim_stop(struct sim *s)
{
    int status = -1;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, &status, 0);
        status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (status != 0) {
            char cmd[500];
            snprintf(cmd, sizeof cmd, "tail -50 %s/simulator.log >&2", s->dir);
            (void)system(cmd);
        }
    }
    if (scan_log_for_secrets(s) > 0) {
        status = 98;
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    (void)system(cmd);
    return status;
}

struct growbuf {
    char *p;
    size_t len, cap;
};

/* Doubling, not chunk by chunk: a 25 MB Info answer arrives in ~1500 pieces, and an allocator
 * that cannot grow in place (ASan's) would copy it each time (it_emit_bounds' full log). */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct growbuf *b = ud;
    size_t n = size * nmemb;
    if (n + 1 > b->cap - b->len) {
        size_t cap = b->cap < 4096 ? 4096 : b->cap;
        while (n + 1 > cap - b->len) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            return 0;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

bool http_unix(const char *sock, const char *method, const char *path, const char *content_type,
               const char *body, struct http_reply *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    struct growbuf rb = {0}, hb = {0};
    struct curl_slist *hdrs = NULL;
    char url[4096];
    snprintf(url, sizeof url, "http://dstack%s", path);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &rb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    if (content_type != NULL) {
        char h[200];
        snprintf(h, sizeof h, "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, h);
    } else {
        hdrs = curl_slist_append(hdrs, "Content-Type:"); /* curl would add a form type */
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    out->body = rb.p ? rb.p : strdup("");
    out->body_len = rb.len;
    out->headers = hb.p ? hb.p : strdup("");
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(rc));
    }
    return rc == CURLE_OK;
}

bool http_post_json(const char *sock, const char *path, const char *json, struct http_reply *out)
{
    return http_unix(sock, "POST", path, "application/json", json, out);
}

void http_reply_free(struct http_reply *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

long raw_exchange(const char *sock, const char *data, size_t len, char *out, size_t cap,
                  int timeout_ms)
{
    struct sockaddr_un sa;
    if (!unix_addr(&sa, sock)) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    if (len > 0 && write(fd, data, len) < 0) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got + 1 < cap && poll(&p, 1, timeout_ms) > 0) {
        ssize_t n = read(fd, out + got, cap - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fd);
    return (long)got;
}
