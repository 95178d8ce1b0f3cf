/* Version and GpuInfo (docs/api/GpuInfo.md, docs/api/Version.md). */
#include <stdlib.h>

#include "agent.h"
#include "handlers.h"
#include "startup.h"

#define GPU_ATTESTATION_DEFAULT "/run/nvidia-gpu-attestation/attestation.out"
#define GPU_ATTESTATION_MAX (16u << 20)

bool h_version(struct rpc_call *call)
{
    call->result = json_pack("{s:s,s:s}", "version", DSTACK_WIRE_VERSION, "rev", DSTACK_GIT_REV);
    return call->result != NULL || rpc_fail(call, "out of memory");
}

/* The file verbatim, "" when it is missing or unreadable (upstream logs and returns ""). */
bool h_gpu_info(struct rpc_call *call)
{
    const char *path = call->agent->cfg->gpu_attestation_file;
    char *text = NULL;
    size_t len = 0;
    char err[STARTUP_ERROR_MAX];
    if (read_file_limited(path[0] ? path : GPU_ATTESTATION_DEFAULT, GPU_ATTESTATION_MAX, &text,
                          &len, err) != DSTACK_OK) {
        text = NULL;
        len = 0;
    }
    json_t *att = json_stringn(text ? text : "", len);
    free(text);
    if (att == NULL) { /* not UTF-8: upstream's String could not hold it either */
        att = json_string("");
    }
    call->result = json_pack("{s:o}", "attestation", att);
    return call->result != NULL || rpc_fail(call, "out of memory");
}
