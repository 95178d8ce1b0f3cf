#include "guest_api/encode.h"

#include <stdbool.h>

#include "cjson_util.h"

static char *finish(cJSON *root, bool ok, size_t *len)
{
    char *text = ok ? cj_print(root, len) : NULL;
    cJSON_Delete(root);
    return text;
}

char *guest_encode_sysinfo(const struct sysinfo_snapshot *s, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL && cj_add_str(o, "os_name", s->os_name) &&
              cj_add_str(o, "os_version", s->os_version) &&
              cj_add_str(o, "kernel_version", s->kernel_version) &&
              cj_add_str(o, "cpu_model", s->cpu_model) && cj_add_u64(o, "num_cpus", s->num_cpus) &&
              cj_add_u64(o, "total_memory", s->total_memory) &&
              cj_add_u64(o, "available_memory", s->available_memory) &&
              cj_add_u64(o, "used_memory", s->used_memory) &&
              cj_add_u64(o, "free_memory", s->free_memory) &&
              cj_add_u64(o, "total_swap", s->total_swap) &&
              cj_add_u64(o, "used_swap", s->used_swap) &&
              cj_add_u64(o, "free_swap", s->free_swap) && cj_add_u64(o, "uptime", s->uptime) &&
              cj_add_u64(o, "loadavg_one", s->loadavg_one) &&
              cj_add_u64(o, "loadavg_five", s->loadavg_five) &&
              cj_add_u64(o, "loadavg_fifteen", s->loadavg_fifteen);
    cJSON *disks = ok ? cJSON_AddArrayToObject(o, "disks") : NULL;
    ok = ok && disks != NULL;
    for (size_t i = 0; ok && i < s->n_disks; i++) {
        const struct sysinfo_disk *d = &s->disks[i];
        cJSON *j = cJSON_CreateObject();
        ok = j != NULL && cJSON_AddItemToArray(disks, j) && cj_add_str(j, "name", d->name) &&
             cj_add_str(j, "mount_point", d->mount_point) &&
             cj_add_u64(j, "total_size", d->total_size) && cj_add_u64(j, "free_size", d->free_size);
    }
    return finish(o, ok, len);
}

static bool add_iface(cJSON *list, const struct netinfo_iface *f)
{
    cJSON *j = cJSON_CreateObject();
    if (j == NULL || !cJSON_AddItemToArray(list, j) || !cj_add_str(j, "name", f->name)) {
        cJSON_Delete(j);
        return false;
    }
    cJSON *addrs = cJSON_AddArrayToObject(j, "addresses");
    bool ok = addrs != NULL;
    for (size_t i = 0; ok && i < f->n_addrs; i++) {
        cJSON *a = cJSON_CreateObject();
        ok = a != NULL && cJSON_AddItemToArray(addrs, a) &&
             cj_add_str(a, "address", f->addrs[i].address) &&
             cj_add_u64(a, "prefix", f->addrs[i].prefix);
    }
    return ok && cj_add_u64(j, "rx_bytes", f->rx_bytes) && cj_add_u64(j, "tx_bytes", f->tx_bytes) &&
           cj_add_u64(j, "rx_errors", f->rx_errors) && cj_add_u64(j, "tx_errors", f->tx_errors);
}

char *guest_encode_netinfo(const struct netinfo_snapshot *s, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *dns = o != NULL ? cJSON_AddArrayToObject(o, "dns_servers") : NULL;
    bool ok = dns != NULL;
    for (size_t i = 0; ok && i < s->n_dns; i++) {
        cJSON *v = cJSON_CreateString(s->dns[i]);
        ok = v != NULL && cJSON_AddItemToArray(dns, v);
    }
    cJSON *gws = ok ? cJSON_AddArrayToObject(o, "gateways") : NULL;
    ok = ok && gws != NULL;
    for (size_t i = 0; ok && i < s->n_gateways; i++) {
        cJSON *g = cJSON_CreateObject();
        ok = g != NULL && cJSON_AddItemToArray(gws, g) && cj_add_str(g, "address", s->gateways[i]);
    }
    cJSON *ifaces = ok ? cJSON_AddArrayToObject(o, "interfaces") : NULL;
    ok = ok && ifaces != NULL;
    for (size_t i = 0; ok && i < s->n_ifaces; i++) {
        ok = add_iface(ifaces, &s->ifaces[i]);
    }
    ok = ok && cj_add_str(o, "wg_info", s->wg_info);
    return finish(o, ok, len);
}

char *guest_encode_containers(const struct docker_containers *c, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *list = o != NULL ? cJSON_AddArrayToObject(o, "containers") : NULL;
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < c->n; i++) {
        const struct docker_container *d = &c->items[i];
        cJSON *j = cJSON_CreateObject();
        ok = j != NULL && cJSON_AddItemToArray(list, j) && cj_add_str(j, "id", d->id);
        cJSON *names = ok ? cJSON_AddArrayToObject(j, "names") : NULL;
        ok = ok && names != NULL;
        for (size_t k = 0; ok && k < d->n_names; k++) {
            cJSON *v = cJSON_CreateString(d->names[k]);
            ok = v != NULL && cJSON_AddItemToArray(names, v);
        }
        ok = ok && cj_add_str(j, "image", d->image) && cj_add_str(j, "image_id", d->image_id) &&
             cj_add_i64(j, "created", d->created) && cj_add_str(j, "state", d->state) &&
             cj_add_str(j, "status", d->status);
    }
    return finish(o, ok, len);
}
