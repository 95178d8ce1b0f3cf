/* libFuzzer target: the agent's config file, TOML or JSON by content (agent/config.h
 * config_load_file, upstream's dstack.toml profiles, docs/configuration.md), then config_finish
 * over the result.
 * Every field must stay NUL-terminated inside its fixed buffer whatever the file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void check_terminated(const char *field, size_t cap)
{
    if (memchr(field, '\0', cap) == NULL) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0') {
        snprintf(path, sizeof path, "/tmp/fuzz_config.%ld.json", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        abort();
    }
    struct agent_config cfg;
    config_defaults(&cfg, (size & 1) != 0);
    err_clear();
    if (config_load_file(&cfg, path) == DSTACK_OK) {
        (void)config_finish(&cfg, (size & 1) != 0);
        if (cfg.n_listeners > CONFIG_MAX_LISTENERS) {
            __builtin_trap();
        }
        check_terminated(cfg.backend, sizeof cfg.backend);
        check_terminated(cfg.keys_file, sizeof cfg.keys_file);
        check_terminated(cfg.sim_dir, sizeof cfg.sim_dir);
        check_terminated(cfg.server_ident, sizeof cfg.server_ident);
        for (size_t i = 0; i < cfg.n_listeners; i++) {
            const struct listener_config *l = &cfg.listeners[i];
            check_terminated(l->address, sizeof l->address);
            if (l->n_methods > CONFIG_MAX_METHODS) {
                __builtin_trap();
            }
            for (size_t m = 0; m < l->n_methods; m++) {
                check_terminated(l->methods[m], sizeof l->methods[m]);
            }
        }
    } else if (err_text()[0] == '\0') {
        __builtin_trap(); /* refusals say why */
    }
    unlink(path);
    return 0;
}
