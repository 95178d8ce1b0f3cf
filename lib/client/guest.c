/* The Worker API client (the public listener: Info, Version, GetAttestationForAppKey) and the
 * Guest API client (the host's listener: Info, SysInfo, NetworkInfo, ListContainers), both
 * over the same transport as the dstack client; the Guest API also over vsock. Answers are
 * decoded with lib/json. docs/api/Worker.md, docs/api/GuestApi.md. */
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "json/json.h"

static dstack_err make_client(const char *function, const char *endpoint, const char *prefix,
                              const struct dstack_client_options *opts, struct dstack_client **out)
{
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "%s: out is NULL", function);
    }
    if (endpoint == NULL || endpoint[0] == '\0') {
        return err_set(DSTACK_EINVAL, "%s: an endpoint is required (socket path or URL)", function);
    }
    /* No environment variable and no probing: these listeners have no SDK convention. */
    static const char *const none[] = {""};
    return client_create(endpoint, NULL, none, 0, prefix, opts, out);
}

dstack_err dstack_worker_client_new(const char *endpoint, const struct dstack_client_options *opts,
                                    struct dstack_client **out)
{
    err_clear();
    return make_client("dstack_worker_client_new", endpoint, "/prpc/Worker.", opts, out);
}

dstack_err dstack_guest_client_new(const char *endpoint, const struct dstack_client_options *opts,
                                   struct dstack_client **out)
{
    err_clear();
    dstack_err err = make_client("dstack_guest_client_new", endpoint, "/api/", opts, out);
    if (err != DSTACK_OK || strncmp(endpoint, "vsock://", 8) != 0) {
        return err;
    }
    if (!vsock_url_parse(endpoint, &(*out)->vsock_cid, &(*out)->vsock_port, NULL, 0)) {
        dstack_client_free(*out);
        *out = NULL;
        return err_set(DSTACK_EINVAL, "invalid vsock endpoint %s (want vsock://CID:PORT)",
                       endpoint);
    }
    (*out)->kind = DSTACK_ENDPOINT_VSOCK;
    return DSTACK_OK;
}

/* POST <method> with {} and the parsed object. */
static dstack_err fetch(struct dstack_client *c, const char *method, cJSON **doc, char **text)
{
    *doc = NULL;
    *text = NULL;
    if (c == NULL) {
        return err_set(DSTACK_EINVAL, "%s: client is NULL", method);
    }
    dstack_err err = dstack_call(c, method, NULL, text);
    if (err != DSTACK_OK) {
        return err;
    }
    struct json_error jerr;
    *doc = json_parse(*text, strlen(*text), 0, &jerr);
    if (!cJSON_IsObject(*doc)) {
        json_free(*doc);
        *doc = NULL;
        free(*text);
        *text = NULL;
        return err_set(DSTACK_EPROTO, "%s: answer is not a JSON object: %s", method, jerr.text);
    }
    return DSTACK_OK;
}

static char *dup_str(const cJSON *obj, const char *key)
{
    const char *s = json_get_str(obj, key);
    return strdup(s != NULL ? s : "");
}

static uint64_t get_u64(const cJSON *obj, const char *key)
{
    uint64_t v = 0;
    return json_u64(json_get(obj, key), &v) ? v : 0;
}

/* ---- SysInfo -------------------------------------------------------------------------------- */

dstack_err dstack_guest_sysinfo(struct dstack_client *c, struct dstack_guest_sysinfo **out)
{
    cJSON *doc;
    char *text;
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_guest_sysinfo: NULL output");
    }
    *out = NULL;
    dstack_err err = fetch(c, "SysInfo", &doc, &text);
    if (err != DSTACK_OK) {
        return err;
    }
    struct dstack_guest_sysinfo *s = calloc(1, sizeof *s);
    const cJSON *disks = json_get(doc, "disks");
    int n = cJSON_IsArray(disks) ? cJSON_GetArraySize(disks) : 0;
    if (s == NULL || (n > 0 && (s->disks = calloc((size_t)n, sizeof *s->disks)) == NULL)) {
        free(s);
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    s->json = text;
    text = NULL;
    s->os_name = dup_str(doc, "os_name");
    s->os_version = dup_str(doc, "os_version");
    s->kernel_version = dup_str(doc, "kernel_version");
    s->cpu_model = dup_str(doc, "cpu_model");
    s->num_cpus = (uint32_t)get_u64(doc, "num_cpus");
    s->total_memory = get_u64(doc, "total_memory");
    s->available_memory = get_u64(doc, "available_memory");
    s->used_memory = get_u64(doc, "used_memory");
    s->free_memory = get_u64(doc, "free_memory");
    s->total_swap = get_u64(doc, "total_swap");
    s->used_swap = get_u64(doc, "used_swap");
    s->free_swap = get_u64(doc, "free_swap");
    s->uptime = get_u64(doc, "uptime");
    s->loadavg_one = (uint32_t)get_u64(doc, "loadavg_one");
    s->loadavg_five = (uint32_t)get_u64(doc, "loadavg_five");
    s->loadavg_fifteen = (uint32_t)get_u64(doc, "loadavg_fifteen");
    const cJSON *d;
    cJSON_ArrayForEach(d, disks)
    {
        struct dstack_guest_disk *g = &s->disks[s->n_disks++];
        g->name = dup_str(d, "name");
        g->mount_point = dup_str(d, "mount_point");
        g->total_size = get_u64(d, "total_size");
        g->free_size = get_u64(d, "free_size");
    }
    *out = s;
out:
    json_free(doc);
    free(text);
    return err;
}

void dstack_guest_sysinfo_free(struct dstack_guest_sysinfo *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_disks; i++) {
        free(s->disks[i].name);
        free(s->disks[i].mount_point);
    }
    free(s->disks);
    free(s->os_name);
    free(s->os_version);
    free(s->kernel_version);
    free(s->cpu_model);
    free(s->json);
    free(s);
}

/* ---- ListContainers ------------------------------------------------------------------------- */

static void container_fill(const cJSON *j, struct dstack_guest_container *c)
{
    c->id = dup_str(j, "id");
    c->image = dup_str(j, "image");
    c->image_id = dup_str(j, "image_id");
    c->state = dup_str(j, "state");
    c->status = dup_str(j, "status");
    int64_t created = 0;
    c->created = json_i64(json_get(j, "created"), &created) ? created : 0;
    const cJSON *names = json_get(j, "names");
    int n = cJSON_IsArray(names) ? cJSON_GetArraySize(names) : 0;
    c->names = n > 0 ? calloc((size_t)n, sizeof *c->names) : NULL;
    const cJSON *name;
    cJSON_ArrayForEach(name, names)
    {
        if (c->names != NULL && json_str(name) != NULL) {
            c->names[c->n_names++] = strdup(json_str(name));
        }
    }
}

dstack_err dstack_guest_list_containers(struct dstack_client *c,
                                        struct dstack_guest_containers **out)
{
    cJSON *doc;
    char *text;
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_guest_list_containers: NULL output");
    }
    *out = NULL;
    dstack_err err = fetch(c, "ListContainers", &doc, &text);
    if (err != DSTACK_OK) {
        return err;
    }
    const cJSON *list = json_get(doc, "containers");
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    struct dstack_guest_containers *r = calloc(1, sizeof *r);
    if (r == NULL || (n > 0 && (r->items = calloc((size_t)n, sizeof *r->items)) == NULL)) {
        free(r);
        json_free(doc);
        free(text);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    r->json = text;
    const cJSON *j;
    cJSON_ArrayForEach(j, list)
    {
        container_fill(j, &r->items[r->n++]);
    }
    json_free(doc);
    *out = r;
    return DSTACK_OK;
}

void dstack_guest_containers_free(struct dstack_guest_containers *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        struct dstack_guest_container *c = &r->items[i];
        for (size_t k = 0; k < c->n_names; k++) {
            free(c->names[k]);
        }
        free(c->names);
        free(c->id);
        free(c->image);
        free(c->image_id);
        free(c->state);
        free(c->status);
    }
    free(r->items);
    free(r->json);
    free(r);
}

/* ---- Info, NetworkInfo: the answer's text, for callers that print or parse it -------------- */

dstack_err dstack_guest_info_json(struct dstack_client *c, char **json)
{
    return dstack_call(c, "Info", NULL, json);
}

dstack_err dstack_guest_network_info_json(struct dstack_client *c, char **json)
{
    return dstack_call(c, "NetworkInfo", NULL, json);
}

dstack_err dstack_guest_shutdown(struct dstack_client *c)
{
    char *json = NULL; /* `null`: google.protobuf.Empty */
    dstack_err err = dstack_call(c, "Shutdown", NULL, &json);
    free(json);
    return err;
}

/* ---- Worker.GetAttestationForAppKey --------------------------------------------------------- */

dstack_err dstack_worker_get_attestation_for_app_key(struct dstack_client *c, const char *algorithm,
                                                     struct dstack_get_quote_response **out)
{
    err_clear();
    if (c == NULL || algorithm == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "GetAttestationForAppKey: NULL argument");
    }
    *out = NULL;
    cJSON *req = cJSON_CreateObject();
    if (req == NULL || !json_set(req, "algorithm", cJSON_CreateString(algorithm))) {
        json_free(req);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    cJSON *resp = NULL;
    char *text = NULL;
    dstack_err err = client_rpc(c, "GetAttestationForAppKey", req, 0, &resp, &text);
    json_free(req);
    if (err == DSTACK_OK) {
        err = client_quote_from_json(resp, text, out);
    }
    json_free(resp);
    return err;
}
