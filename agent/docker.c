/* Docker Engine API requests that answer at once: the container list and inspect (docker.h). */
#include "docker.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cjson_util.h"
#include "docker_internal.h"
#include "util/error.h"

#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
/* The container list of a busy host is some hundred KiB; nothing we read comes near this. */
#define DOCKER_RESPONSE_MAX (16u * 1024u * 1024u)

const char *docker_socket_path(void)
{
    const char *host = getenv("DOCKER_HOST");
    if (host == NULL || host[0] == '\0') {
        return DOCKER_DEFAULT_SOCKET;
    }
    if (strncmp(host, "unix://", 7) == 0 && host[7] == '/') {
        return host + 7;
    }
    err_set(DSTACK_EUNSUPPORTED,
            "DOCKER_HOST=%.200s is not supported: only unix:///path sockets are", host);
    return NULL;
}

bool docker_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > DOCKER_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) {
            return false;
        }
    }
    return true;
}

dstack_err docker_refused(long status, const char *body, size_t len)
{
    cJSON *doc = body != NULL ? cj_parse(body, len) : NULL;
    const char *msg = cj_str(doc, "message", NULL);
    if (msg != NULL) {
        err_set(DSTACK_EPROTO, "Docker responded with status code %ld: %.400s", status, msg);
    } else {
        err_set(DSTACK_EPROTO, "Docker responded with status code %ld: %.*s", status,
                (int)(len < 200 ? len : 200), body != NULL ? body : "");
    }
    cJSON_Delete(doc);
    return DSTACK_EPROTO;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct docker_buf *b = user;
    size_t n = size * nmemb;
    if (n > b->max - b->len) {
        return 0; /* CURLE_WRITE_ERROR */
    }
    if (n + 1 > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 8192;
        while (n + 1 > cap - b->len) {
            cap *= 2;
        }
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            return 0;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

dstack_err docker_transfer_failed(CURLcode rc, const char *socket_path, const char *detail)
{
    const dstack_err e = DSTACK_ETRANSPORT;
    if (rc == CURLE_COULDNT_CONNECT) {
        return err_set(e, "Docker is not running: cannot connect to %.200s (%.200s)", socket_path,
                       detail[0] ? detail : curl_easy_strerror(rc));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        return err_set(e, "Docker did not answer within %d ms (%.200s)", DOCKER_TIMEOUT_MS,
                       socket_path);
    }
    return err_set(e, "Docker request failed: %.300s", detail[0] ? detail : curl_easy_strerror(rc));
}

CURL *docker_curl_new(const char *socket_path, const char *path_and_query, char *errbuf)
{
    CURL *h = curl_easy_init();
    if (h == NULL) {
        return NULL;
    }
    char url[DOCKER_NAME_MAX + 512];
    snprintf(url, sizeof url, "http://localhost%s", path_and_query);
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)DOCKER_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    return h;
}

dstack_err docker_get_json(const char *path_and_query, cJSON **out, long *status)
{
    *out = NULL;
    *status = 0;
    const char *sock = docker_socket_path();
    if (sock == NULL) {
        return DSTACK_EUNSUPPORTED;
    }
    char errbuf[CURL_ERROR_SIZE];
    struct docker_buf body = {.max = DOCKER_RESPONSE_MAX};
    CURL *h = docker_curl_new(sock, path_and_query, errbuf);
    if (h == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)DOCKER_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(h);
    dstack_err e = DSTACK_OK;
    if (rc != CURLE_OK) {
        e = docker_transfer_failed(rc, sock, errbuf);
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    if (*status != 200) {
        e = docker_refused(*status, body.data, body.len);
        goto out;
    }
    *out = body.data != NULL ? cj_parse(body.data, body.len) : NULL;
    if (*out == NULL) {
        e = err_set(DSTACK_EPROTO, "Docker's answer to %.200s is not JSON", path_and_query);
    }
out:
    curl_easy_cleanup(h);
    free(body.data);
    return e;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s != NULL ? s : "");
}

static int container_from_json(const cJSON *c, struct docker_container *d)
{
    d->id = dup_or_empty(cj_str(c, "Id", ""));
    d->image = dup_or_empty(cj_str(c, "Image", ""));
    d->image_id = dup_or_empty(cj_str(c, "ImageID", ""));
    d->state = dup_or_empty(cj_str(c, "State", ""));
    d->status = dup_or_empty(cj_str(c, "Status", ""));
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(c, "Created");
    d->created = cJSON_IsNumber(created) ? (int64_t)created->valuedouble : 0;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
    int n = cJSON_IsArray(names) ? cJSON_GetArraySize(names) : 0;
    d->names = n > 0 ? calloc((size_t)n, sizeof *d->names) : NULL;
    if ((n > 0 && d->names == NULL) || !d->id || !d->image || !d->image_id || !d->state ||
        !d->status) {
        return -1;
    }
    const cJSON *name;
    cJSON_ArrayForEach(name, names)
    {
        if (cJSON_IsString(name)) {
            d->names[d->n_names] = strdup(name->valuestring);
            if (d->names[d->n_names++] == NULL) {
                return -1;
            }
        }
    }
    return 0;
}

dstack_err docker_list_containers(struct docker_containers *out)
{
    memset(out, 0, sizeof *out);
    cJSON *list = NULL;
    long status = 0;
    dstack_err e = docker_get_json("/containers/json?all=1", &list, &status);
    if (e != DSTACK_OK) {
        return err_wrap(e, "Failed to list containers");
    }
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    if (n < 0) {
        e = err_set(DSTACK_EPROTO, "Failed to list containers: the answer is not a list");
        goto out;
    }
    out->items = n > 0 ? calloc((size_t)n, sizeof *out->items) : NULL;
    if (n > 0 && out->items == NULL) {
        goto oom;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        if (container_from_json(c, &out->items[out->n++]) != 0) {
            goto oom;
        }
    }
    goto out;
oom:
    e = err_set(DSTACK_ENOMEM, "out of memory");
    docker_containers_free(out);
out:
    cJSON_Delete(list);
    return e;
}

void docker_containers_free(struct docker_containers *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct docker_container *d = &c->items[i];
        for (size_t j = 0; j < d->n_names; j++) {
            free(d->names[j]);
        }
        free(d->names);
        free(d->id);
        free(d->image);
        free(d->image_id);
        free(d->state);
        free(d->status);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}
