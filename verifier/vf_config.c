/* dstack-verifier.toml (upstream dstack/verifier/dstack-verifier.toml): address, port,
 * [attestation] insecure_allow_external_trust_anchors, [attestation.urls] pccs,
 * [attestation.root_ca] tdx. The OS-image keys (image_cache_dir, image_download_url,
 * image_download_timeout_secs) are accepted and unused: dstack-c does not download images.
 * Ours: collateral (a fixed dcap-qvl bundle), collateral_cache_dir, threads. Environment
 * DSTACK_VERIFIER_ADDRESS / _PORT / _PCCS override, as upstream's figment does. */
#include "vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_get.h"
#include "cfg_toml.h"
#include "util/error.h"
#include "util/file.h"

#define DEFAULT_PCCS "https://pccs.phala.network"

static int read_attestation(struct cfg_node *root, struct vf_config *c)
{
    struct cfg_node *att = NULL, *urls = NULL, *roots = NULL;
    if (cfg_get_table(root, "attestation", &att, "") != DSTACK_OK) {
        return -1;
    }
    if (att == NULL) {
        return 0;
    }
    if (cfg_get_bool(att, "insecure_allow_external_trust_anchors", &c->allow_external_anchors,
                     "attestation") != 0 ||
        cfg_get_table(att, "urls", &urls, "attestation") != 0 ||
        cfg_get_table(att, "root_ca", &roots, "attestation") != 0) {
        return -1;
    }
    if (urls != NULL &&
        cfg_get_string(urls, "pccs", c->pccs_url, sizeof c->pccs_url, "attestation.urls") != 0) {
        return -1;
    }
    if (roots != NULL && cfg_get_string(roots, "tdx", c->root_ca_path, sizeof c->root_ca_path,
                                        "attestation.root_ca") != 0) {
        return -1;
    }
    return 0;
}

static dstack_err read_file_config(const char *path, struct vf_config *c)
{
    char *text = NULL, ignored[VF_PATH_MAX];
    size_t len = 0;
    struct cfg_node *root = NULL;
    struct cfg_parse_error pe = {0};
    uint64_t port = c->port, threads = c->threads, timeout = 0;
    dstack_err err = file_read_all(path, 1u << 20, &text, &len, NULL);
    if (err != DSTACK_OK) {
        return err; /* the text names the file */
    }
    if (cfg_toml_parse(text, len, &root, &pe) != 0) {
        free(text);
        return err_set(DSTACK_EFORMAT, "%s:%u:%u: %s", path, pe.line, pe.column, pe.msg);
    }
    free(text);
    int rc =
        cfg_get_string(root, "address", c->address, sizeof c->address, "") != 0 ||
                cfg_get_string(root, "host", c->address, sizeof c->address, "") != 0 ||
                cfg_get_uint(root, "port", 65535, &port, "") != 0 ||
                cfg_get_uint(root, "threads", 256, &threads, "") != 0 ||
                cfg_get_string(root, "collateral", c->collateral_path, sizeof c->collateral_path,
                               "") != 0 ||
                cfg_get_string(root, "collateral_cache_dir", c->cache_dir, sizeof c->cache_dir,
                               "") != 0 ||
                cfg_get_string(root, "image_cache_dir", ignored, sizeof ignored, "") != 0 ||
                cfg_get_string(root, "image_download_url", ignored, sizeof ignored, "") != 0 ||
                cfg_get_uint(root, "image_download_timeout_secs", UINT32_MAX, &timeout, "") != 0 ||
                read_attestation(root, c) != 0
            ? -1
            : 0;
    cfg_node_free(root);
    if (rc != 0) {
        return err_wrap(DSTACK_EFORMAT, "%s", path);
    }
    c->port = (uint16_t)port;
    c->threads = (unsigned)threads;
    return DSTACK_OK;
}

dstack_err vf_config_load(const char *path, struct vf_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->address, sizeof c->address, "0.0.0.0");
    c->port = 8080;
    c->threads = 4;
    snprintf(c->pccs_url, sizeof c->pccs_url, "%s", DEFAULT_PCCS);
    dstack_err err = path != NULL ? read_file_config(path, c) : DSTACK_OK;
    if (err != DSTACK_OK) {
        return err;
    }
    const char *v;
    if ((v = getenv("DSTACK_VERIFIER_ADDRESS")) != NULL) {
        snprintf(c->address, sizeof c->address, "%s", v);
    }
    if ((v = getenv("DSTACK_VERIFIER_PORT")) != NULL) {
        char *end = NULL;
        unsigned long p = strtoul(v, &end, 10);
        if (end == v || *end != '\0' || p > 65535) {
            return err_set(DSTACK_EINVAL, "DSTACK_VERIFIER_PORT: not a port: %s", v);
        }
        c->port = (uint16_t)p;
    }
    if ((v = getenv("DSTACK_VERIFIER_PCCS")) != NULL) {
        snprintf(c->pccs_url, sizeof c->pccs_url, "%s", v);
    }
    return 0;
}
