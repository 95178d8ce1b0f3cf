/* The simulator's input files: where app-compose.json or sys-config.json are absent they are
 * created with realistic defaults; files that exist (including upstream's own simulator files)
 * are used unchanged, byte for byte. See docs/simulator-measurements.md. */
#ifndef DSTACK_AGENT_SIM_FILES_H
#define DSTACK_AGENT_SIM_FILES_H

#include <stddef.h>

#include <dstack/common.h>

#include "config.h"

/* The compose written when none exists ("name": "dstack-simulator-app"). Exposed for tests. */
extern const char sim_files_default_compose[];

/* Creates cfg->compose_file, cfg->sys_config_file and cfg->keys_file (appkeys_generate, for
 * this compose's app_id and the seed's instance_id) where absent. Creation is atomic (a
 * temporary file linked into place), so a crash never leaves a half-written file and a file
 * created concurrently by someone else wins. On failure err names the file. */
dstack_err sim_files_ensure(const struct agent_config *cfg);

/* The vm_config JSON string written into a new sys-config.json: os_image_hash (derived from the
 * seed), cpu_count, memory_size, as upstream's simulator sys-config carries. malloc'd. */
char *sim_files_default_vm_config(const char *seed);

#endif
