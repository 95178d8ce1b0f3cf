/* Info, Version and GpuInfo (docs/api/Info.md, GpuInfo.md, Version.md). */
#include <stdlib.h>

#include "util/error.h"
#include "util/file.h"
#include "util/utf8.h"

#include "agent.h"
#include "handlers.h"
#include "info.h"

/* Info on dstack.sock and tappd.sock: the cached AppInfo. */
dstack_err h_info(struct rpc_call *call)
{
    /* The cached encoding: Info is large and changes only when an event is emitted. */
    return info_get_text(call->agent->info, call->agent, false, &call->result_text,
                         &call->result_text_len);
}

#define GPU_ATTESTATION_DEFAULT "/run/nvidia-gpu-attestation/attestation.out"
#define GPU_ATTESTATION_MAX (16u << 20)

dstack_err h_version(struct rpc_call *call)
{
    call->result = cJSON_CreateObject();
    if (!json_set(call->result, "version", cJSON_CreateString(DSTACK_WIRE_VERSION)) ||
        !json_set(call->result, "rev", cJSON_CreateString(DSTACK_GIT_REV))) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    return DSTACK_OK;
}

/* The file verbatim, "" when it is missing or unreadable (upstream logs and returns ""). */
dstack_err h_gpu_info(struct rpc_call *call)
{
    const char *path = call->agent->cfg->gpu_attestation_file;
    char *text = NULL;
    size_t len = 0;
    if (file_read_all(path[0] ? path : GPU_ATTESTATION_DEFAULT, GPU_ATTESTATION_MAX, &text, &len,
                      NULL) != DSTACK_OK) {
        text = NULL;
        len = 0;
    }
    /* not UTF-8: upstream's String could not hold it either */
    bool utf8 = text != NULL && utf8_valid(text, len);
    cJSON *att = json_string_len(utf8 ? text : "", utf8 ? len : 0);
    free(text);
    call->result = cJSON_CreateObject();
    return json_set(call->result, "attestation", att) ? DSTACK_OK
                                                      : err_set(DSTACK_ENOMEM, "out of memory");
}
