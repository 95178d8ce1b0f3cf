/* dstack-verifier (docs/verifier.md): upstream's HTTP verification service (dstack/verifier):
 * POST /verify, GET /health, configured from a dstack-verifier.toml. */
#ifndef DSTACK_VERIFIER_VF_H
#define DSTACK_VERIFIER_VF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/verify.h>

#define VF_PATH_MAX 1024
#define VF_MAX_BODY (8u << 20) /* an attestation with its event log is ~100 KiB */

struct vf_config {
    char address[256]; /* upstream's "address" (also "host", as its README names it) */
    uint16_t port;
    char pccs_url[VF_PATH_MAX];     /* [attestation.urls] pccs */
    char root_ca_path[VF_PATH_MAX]; /* [attestation.root_ca] tdx: DER or PEM */
    bool allow_external_anchors;    /* [attestation] insecure_allow_external_trust_anchors */
    /* ours: a fixed collateral bundle (dcap-qvl JSON) instead of a PCCS, and the PCCS cache */
    char collateral_path[VF_PATH_MAX];
    char cache_dir[VF_PATH_MAX];
    unsigned threads;
};

/* What the handlers need, read once at start. */
struct vf_app {
    struct vf_config cfg;
    uint8_t *root_der; /* NULL: Intel's pinned root */
    size_t root_der_len;
    struct dstack_collateral *collateral; /* the fixed bundle, or NULL: fetch per quote */
};

/* Errors set the thread's text (util/error.h) naming the file, key or variable at fault. */

/* Reads the TOML file (NULL: defaults) then DSTACK_VERIFIER_* environment overrides. */
dstack_err vf_config_load(const char *path, struct vf_config *c);
/* The root and the fixed collateral the configuration names. */
dstack_err vf_app_init(struct vf_app *a);
void vf_app_free(struct vf_app *a);

/* The answer to one POST /verify body: HTTP status and JSON text (malloc'd). */
void vf_verify_body(const struct vf_app *a, const char *body, size_t len, unsigned *status,
                    char **json);

struct srv_listener;
dstack_err vf_server_start(struct vf_app *a, struct srv_listener **out, uint16_t *port);

#endif
