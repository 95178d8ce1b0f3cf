/* libFuzzer target: the agent's request path from the decoded payload to the handler's answer.
 * What a client on dstack.sock / tappd.sock controls: the JSON body (request_decode_json) or the
 * GET query pairs (request_query_add), then every rpc_arg_* accessor the chosen handler calls.
 * The real handlers run over a simulator agent holding upstream's fixture keys (generated dev
 * keys when tests/fixtures is absent), exactly as server_request.c dispatches them.
 *
 * Input layout: byte 0 picks the route (both APIs' tables, in order), byte 1 bit 0 = GET query
 * mode; the rest is the body, or "k=v&k=v" pairs already percent-decoded (MHD's job). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "appkeys.h"
#include "config.h"
#include "log.h"
#include "request.h"
#include "routes.h"
#include "rpc.h"
#include "startup.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent_config cfg;
static struct agent agent;
static struct tee_backend fuzz_tee;
static const struct tee_backend *real_tee;
static unsigned emits;

/* EmitEvent really extends the simulator's RTMR3 and appends to its log file; a few hundred
 * real appends cover that path, after which the log would only grow and slow every Info. */
static dstack_err bounded_emit(void *state, const char *name, const uint8_t *payload, size_t len)
{
    if (emits >= 256) {
        return DSTACK_OK;
    }
    emits++;
    return real_tee->emit_event(state, name, payload, len);
}

static void use_fixture(char *dst, size_t cap, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/upstream/simulator/%s", DSTACK_FIXTURE_DIR, name);
    if (access(path, R_OK) == 0) {
        snprintf(dst, cap, "%s", path);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static char dir[] = "/tmp/fuzz_request.XXXXXX";
    log_set_level(LOG_ERROR);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    config_defaults(&cfg, true);
    snprintf(cfg.sim_dir, sizeof cfg.sim_dir, "%s", dir);
    snprintf(cfg.sim_seed, sizeof cfg.sim_seed, "fuzz");
    use_fixture(cfg.keys_file, sizeof cfg.keys_file, "appkeys.json");
    use_fixture(cfg.compose_file, sizeof cfg.compose_file, "app-compose.json");
    use_fixture(cfg.sys_config_file, sizeof cfg.sys_config_file, "sys-config.json");
    if (config_finish(&cfg, true) != DSTACK_OK || agent_open(&agent, &cfg) != DSTACK_OK) {
        fprintf(stderr, "fuzz_request: cannot open the simulator agent: %s\n", err_text());
        abort();
    }
    /* The keys live in locked mmap'd memory, which LeakSanitizer does not scan: hold OpenSSL's
     * key object from here too so it is not reported as leaked at exit. */
    static void *keys_pkey;
    keys_pkey = agent.keys->vms_ed25519_pkey;
    (void)keys_pkey;
    real_tee = agent.tee;
    fuzz_tee = *real_tee;
    fuzz_tee.emit_event = bounded_emit;
    agent.tee = &fuzz_tee;
    return 0;
}

static const struct rpc_route *pick_route(uint8_t sel)
{
    size_t nd = 0, nt = 0;
    while (routes_name_at(API_DSTACK, nd) != NULL) {
        nd++;
    }
    while (routes_name_at(API_TAPPD, nt) != NULL) {
        nt++;
    }
    size_t i = sel % (nd + nt);
    return i < nd ? routes_find(API_DSTACK, routes_name_at(API_DSTACK, i))
                  : routes_find(API_TAPPD, routes_name_at(API_TAPPD, i - nd));
}

/* "a=1&b[]=2&c" -> request_query_add per pair, stopping at the first refusal
 * as server_request.c does. */
static cJSON *decode_query(const char *p, size_t len)
{
    cJSON *obj = request_query_new();
    size_t i = 0;
    while (obj != NULL && i <= len) {
        size_t end = i;
        while (end < len && p[end] != '&') {
            end++;
        }
        size_t eq = i;
        while (eq < end && p[eq] != '=') {
            eq++;
        }
        char *key = strndup(p + i, eq - i); /* MHD hands keys over as C strings */
        const char *val = eq < end ? p + eq + 1 : "";
        size_t vlen = eq < end ? end - eq - 1 : 0;
        bool ok = key != NULL && request_query_add(obj, key, val, vlen) == DSTACK_OK;
        free(key);
        if (!ok) {
            json_free(obj);
            return NULL;
        }
        i = end + 1;
    }
    return obj;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    const struct rpc_route *route = pick_route(data[0]);
    bool query = (data[1] & 1) != 0;
    const char *payload = (const char *)data + 2;
    size_t len = size - 2;

    cJSON *args = NULL;
    err_clear();
    if (query) {
        args = decode_query(payload, len);
    } else if (request_decode_json(payload, len, &args) != DSTACK_OK) {
        if (err_text()[0] == '\0') {
            __builtin_trap(); /* a refusal always says why */
        }
        return 0;
    }
    if (args == NULL) {
        return 0;
    }
    if (!cJSON_IsObject(args)) {
        __builtin_trap();
    }
    struct rpc_call call = {.agent = &agent, .args = args, .from_query = query};
    err_clear();
    bool ok = route->fn(&call) == DSTACK_OK;
    if (ok && call.result_text != NULL) {
        /* pre-encoded answers (Info) are sent as they are: they must be JSON of that length */
        cJSON *back = json_parse(call.result_text, call.result_text_len, 0, NULL);
        if (back == NULL || strlen(call.result_text) != call.result_text_len) {
            __builtin_trap();
        }
        json_free(back);
    } else if (ok) {
        /* server_request.c encodes every result; it must serialise */
        char *body = json_dump(call.result, 0, NULL);
        if (call.result != NULL && body == NULL) {
            __builtin_trap();
        }
        free(body);
    } else if (err_text()[0] == '\0') {
        __builtin_trap(); /* a failure carries its message (else clients read "failed") */
    }
    json_free(call.result);
    free(call.result_text);
    json_free(args);
    return 0;
}
