/* Every public function of include/dstack/client.h fails with a code and a text naming the
 * problem (docs/sdk.md "Errors") when its input is bad: NULL arguments, a client of the wrong
 * kind, report data over 64 bytes, an empty event name. No agent is needed: each row fails
 * before anything is sent (the clients point at a port nothing listens on). */
#include <dstack/client.h>

#include "error_rows.h"

static struct dstack_client *cli;   /* a dstack client */
static struct dstack_client *tappd; /* a tappd client */
static struct dstack_async *as;
static const uint8_t rd65[65];
static char *text_out;
static struct dstack_client *client_out;
static struct dstack_get_key_response *key_out;
static struct dstack_get_tls_key_response *tls_out;
static struct dstack_get_quote_response *quote_out;
static struct dstack_attest_response *attest_out;
static struct dstack_info_response *info_out;
static struct dstack_version_response *version_out;
static struct dstack_gpu_info_response *gpu_out;
static struct dstack_sign_response *sign_out;
static struct dstack_guest_sysinfo *sys_out;
static struct dstack_guest_containers *containers_out;
static struct dstack_bytes bytes_out;
static enum dstack_endpoint_kind kind_out;
static const struct dstack_get_quote_response bad_log = {.event_log = "not JSON"};
static bool valid_out;
static uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];

static void on_done(dstack_err err, void *user)
{
    (void)err;
    (void)user;
}

static void on_call(dstack_err err, char *response, void *user)
{
    (void)err;
    (void)user;
    free(response);
}

/* ---- the blocking client ---- */

BAD_CALL(resolve_null, dstack_endpoint_resolve("x", NULL, NULL, 0, NULL, &kind_out))
BAD_CALL(resolve_missing,
         dstack_endpoint_resolve("/nonexistent/dstack.sock", NULL, NULL, 0, &text_out, &kind_out))
BAD_CALL(new_null, dstack_client_new("http://127.0.0.1:1", NULL, NULL))
BAD_CALL(new_agent_line_break,
         dstack_client_new("http://127.0.0.1:1",
                           &(struct dstack_client_options){.user_agent = "a\nb"}, &client_out))
BAD_CALL(call_null, dstack_call(NULL, "Info", NULL, &text_out))
BAD_CALL(call_body, dstack_call(cli, "Info", "[1]", &text_out))
BAD_CALL(call_any_null, dstack_call_any_api(cli, NULL, NULL, &text_out))
BAD_CALL(get_key_null, dstack_get_key(NULL, "p", "q", "secp256k1", &key_out))
BAD_CALL(key_decode_null, dstack_get_key_response_decode(NULL, &key_out))
BAD_CALL(tls_null, dstack_get_tls_key(NULL, NULL, &tls_out))
BAD_CALL(tls_der_null, dstack_get_tls_key_response_der(NULL, 0, &bytes_out))
BAD_CALL(quote_null, dstack_get_quote(NULL, rd65, 1, &quote_out))
BAD_CALL(quote_65, dstack_get_quote(cli, rd65, 65, &quote_out))
BAD_CALL(quote_log_null, dstack_get_quote_response_event_log(NULL, NULL))
BAD_CALL(replay_null, dstack_get_quote_response_replay_rtmrs(NULL, rtmr))
BAD_CALL(replay_bad_log, dstack_get_quote_response_replay_rtmrs(&bad_log, rtmr))
BAD_CALL(attest_null, dstack_attest(NULL, rd65, 1, &attest_out))
BAD_CALL(attest_65, dstack_attest(cli, rd65, 65, &attest_out))
BAD_CALL(emit_null, dstack_emit_event(NULL, "e", NULL, 0))
BAD_CALL(emit_empty, dstack_emit_event(cli, "", NULL, 0))
BAD_CALL(info_null, dstack_info(NULL, &info_out))
BAD_CALL(tcb_null, dstack_info_tcb_info(NULL, NULL))
BAD_CALL(info_decode_null, dstack_info_response_decode(NULL, &info_out))
BAD_CALL(version_null, dstack_version(NULL, &version_out))
BAD_CALL(gpu_null, dstack_gpu_info(NULL, &gpu_out))
BAD_CALL(sign_null, dstack_sign(cli, NULL, rd65, 1, &sign_out))
BAD_CALL(verify_null, dstack_verify(cli, "ed25519", rd65, 1, NULL, 64, rd65, 32, &valid_out))

static const struct error_row client_rows[] = {
    {"dstack_endpoint_resolve(NULL out)", resolve_null, DSTACK_EINVAL,
     "dstack_endpoint_resolve: NULL"},
    {"dstack_endpoint_resolve(missing socket)", resolve_missing, DSTACK_ETRANSPORT,
     "/nonexistent/dstack.sock does not exist"},
    {"dstack_client_new(NULL out)", new_null, DSTACK_EINVAL, "dstack_client_new: out is NULL"},
    {"dstack_client_new(user agent with a line break)", new_agent_line_break, DSTACK_EINVAL,
     "user_agent must not contain line breaks"},
    {"dstack_call(NULL client)", call_null, DSTACK_EINVAL, "dstack_call: NULL"},
    {"dstack_call(body not an object)", call_body, DSTACK_EINVAL,
     "request body is not a JSON object"},
    {"dstack_call_any_api(NULL method)", call_any_null, DSTACK_EINVAL, "dstack_call: NULL"},
    {"dstack_get_key(NULL client)", get_key_null, DSTACK_EINVAL, "dstack_get_key: NULL"},
    {"dstack_get_key_response_decode(NULL)", key_decode_null, DSTACK_EINVAL,
     "dstack_get_key_response_decode: NULL"},
    {"dstack_get_tls_key(NULL client)", tls_null, DSTACK_EINVAL, "dstack_get_tls_key: NULL"},
    {"dstack_get_tls_key_response_der(NULL)", tls_der_null, DSTACK_EINVAL,
     "dstack_get_tls_key_response_der: NULL"},
    {"dstack_get_quote(NULL client)", quote_null, DSTACK_EINVAL, "dstack_get_quote: NULL"},
    {"dstack_get_quote(65 bytes)", quote_65, DSTACK_EINVAL, "at most 64 bytes, got 65"},
    {"dstack_get_quote_response_event_log(NULL)", quote_log_null, DSTACK_EINVAL,
     "dstack_get_quote_response_event_log: NULL"},
    {"dstack_get_quote_response_replay_rtmrs(NULL)", replay_null, DSTACK_EINVAL,
     "dstack_get_quote_response_event_log: NULL"},
    {"dstack_get_quote_response_replay_rtmrs(log not JSON)", replay_bad_log, DSTACK_EFORMAT,
     "event log: event_log: invalid JSON"},
    {"dstack_attest(NULL client)", attest_null, DSTACK_EINVAL, "dstack_attest: NULL"},
    {"dstack_attest(65 bytes)", attest_65, DSTACK_EINVAL, "at most 64 bytes, got 65"},
    {"dstack_emit_event(NULL client)", emit_null, DSTACK_EINVAL, "dstack_emit_event: NULL"},
    {"dstack_emit_event(\"\")", emit_empty, DSTACK_EINVAL, "event name cannot be empty"},
    {"dstack_info(NULL client)", info_null, DSTACK_EINVAL, "dstack_info: NULL"},
    {"dstack_info_tcb_info(NULL)", tcb_null, DSTACK_EINVAL, "dstack_info_tcb_info: NULL"},
    {"dstack_info_response_decode(NULL)", info_decode_null, DSTACK_EINVAL,
     "dstack_info_response_decode: NULL"},
    {"dstack_version(NULL client)", version_null, DSTACK_EINVAL, "dstack_version: NULL"},
    {"dstack_gpu_info(NULL client)", gpu_null, DSTACK_EINVAL, "dstack_gpu_info: NULL"},
    {"dstack_sign(NULL algorithm)", sign_null, DSTACK_EINVAL, "dstack_sign: NULL"},
    {"dstack_verify(NULL signature)", verify_null, DSTACK_EINVAL, "dstack_verify: NULL"},
};

/* ---- the async interface ---- */

static struct dstack_async *async_out;

BAD_CALL(async_new_null, dstack_async_new(NULL, 0, &async_out))
BAD_CALL(async_cancel_unknown, dstack_async_cancel(as, 12345))
BAD_CALL(async_perform_null, dstack_async_perform(NULL, NULL))
BAD_CALL(async_wait_null, dstack_async_wait(NULL, 0, NULL))
BAD_CALL(async_run_null, dstack_async_run(NULL))
BAD_CALL(async_loop_null, dstack_async_set_loop(as, NULL, NULL, NULL))
BAD_CALL(async_socket_null, dstack_async_on_socket(NULL, 0, 0))
BAD_CALL(async_timeout_null, dstack_async_on_timeout(NULL))
BAD_CALL(async_call_empty, dstack_async_call(as, "", NULL, on_call, NULL, NULL))
BAD_CALL(async_key_no_cb, dstack_async_get_key(as, "p", "q", "", NULL, NULL, NULL))
BAD_CALL(async_tls_no_cb, dstack_async_get_tls_key(as, NULL, NULL, NULL, NULL))
BAD_CALL(async_quote_no_cb, dstack_async_get_quote(as, rd65, 1, NULL, NULL, NULL))
BAD_CALL(async_attest_no_cb, dstack_async_attest(NULL, rd65, 1, NULL, NULL, NULL))
BAD_CALL(async_info_no_cb, dstack_async_info(as, NULL, NULL, NULL))
BAD_CALL(async_version_no_cb, dstack_async_version(as, NULL, NULL, NULL))
BAD_CALL(async_sign_no_cb, dstack_async_sign(as, "ed25519", rd65, 1, NULL, NULL, NULL))
BAD_CALL(async_verify_no_cb,
         dstack_async_verify(as, "ed25519", rd65, 1, rd65, 64, rd65, 32, NULL, NULL, NULL))
BAD_CALL(async_emit_empty, dstack_async_emit_event(as, "", NULL, 0, on_done, NULL, NULL))

static const struct error_row async_rows[] = {
    {"dstack_async_new(NULL client)", async_new_null, DSTACK_EINVAL, "dstack_async_new: NULL"},
    {"dstack_async_cancel(unknown id)", async_cancel_unknown, DSTACK_EINVAL,
     "no pending request 12345"},
    {"dstack_async_perform(NULL)", async_perform_null, DSTACK_EINVAL, "dstack_async_perform: NULL"},
    {"dstack_async_wait(NULL)", async_wait_null, DSTACK_EINVAL, "dstack_async_wait: NULL"},
    {"dstack_async_run(NULL)", async_run_null, DSTACK_EINVAL, "dstack_async_run: NULL"},
    {"dstack_async_set_loop(NULL callbacks)", async_loop_null, DSTACK_EINVAL,
     "dstack_async_set_loop: NULL"},
    {"dstack_async_on_socket(NULL)", async_socket_null, DSTACK_EINVAL,
     "dstack_async_on_socket: NULL"},
    {"dstack_async_on_timeout(NULL)", async_timeout_null, DSTACK_EINVAL,
     "dstack_async_on_timeout: NULL"},
    {"dstack_async_call(empty method)", async_call_empty, DSTACK_EINVAL,
     "dstack_async_call: empty method"},
    {"dstack_async_get_key(no callback)", async_key_no_cb, DSTACK_EINVAL,
     "dstack_async_get_key: NULL"},
    {"dstack_async_get_tls_key(no callback)", async_tls_no_cb, DSTACK_EINVAL,
     "dstack_async_get_tls_key: NULL"},
    {"dstack_async_get_quote(no callback)", async_quote_no_cb, DSTACK_EINVAL,
     "dstack_async_get_quote: NULL"},
    {"dstack_async_attest(NULL async)", async_attest_no_cb, DSTACK_EINVAL,
     "dstack_async_attest: NULL"},
    {"dstack_async_info(no callback)", async_info_no_cb, DSTACK_EINVAL, "dstack_async_info: NULL"},
    {"dstack_async_version(no callback)", async_version_no_cb, DSTACK_EINVAL,
     "dstack_async_version: NULL"},
    {"dstack_async_sign(no callback)", async_sign_no_cb, DSTACK_EINVAL, "dstack_async_sign: NULL"},
    {"dstack_async_verify(no callback)", async_verify_no_cb, DSTACK_EINVAL,
     "dstack_async_verify: NULL"},
    {"dstack_async_emit_event(\"\")", async_emit_empty, DSTACK_EINVAL,
     "event name cannot be empty"},
};

/* ---- tappd, Worker and Guest clients ---- */

BAD_CALL(tappd_new_null, dstack_tappd_client_new("http://127.0.0.1:1", NULL, NULL, NULL, NULL))
BAD_CALL(tappd_derive_wrong_kind, dstack_tappd_derive_key(cli, "p", "s", NULL, 0, &tls_out))
BAD_CALL(tappd_tdx_null, dstack_tappd_tdx_quote(NULL, rd65, 1, "raw", &quote_out))
BAD_CALL(tappd_raw_null_rd, dstack_tappd_raw_quote(tappd, NULL, &quote_out))
BAD_CALL(tappd_info_wrong_kind, dstack_tappd_info(cli, &info_out))
BAD_CALL(worker_new_null, dstack_worker_client_new(NULL, NULL, &client_out))
BAD_CALL(worker_att_null, dstack_worker_get_attestation_for_app_key(cli, NULL, &quote_out))
BAD_CALL(guest_new_vsock, dstack_guest_client_new("vsock://x", NULL, &client_out))
BAD_CALL(guest_sys_null, dstack_guest_sysinfo(NULL, &sys_out))
BAD_CALL(guest_sys_null_out, dstack_guest_sysinfo(cli, NULL))
BAD_CALL(guest_list_null, dstack_guest_list_containers(NULL, &containers_out))
BAD_CALL(guest_info_null, dstack_guest_info_json(NULL, &text_out))
BAD_CALL(guest_net_null, dstack_guest_network_info_json(NULL, &text_out))
BAD_CALL(guest_shutdown_null, dstack_guest_shutdown(NULL))

static const struct error_row other_rows[] = {
    {"dstack_tappd_client_new(NULL out)", tappd_new_null, DSTACK_EINVAL,
     "dstack_tappd_client_new: out is NULL"},
    {"dstack_tappd_derive_key(dstack client)", tappd_derive_wrong_kind, DSTACK_EINVAL,
     "not a tappd client"},
    {"dstack_tappd_tdx_quote(NULL client)", tappd_tdx_null, DSTACK_EINVAL,
     "dstack_tappd_tdx_quote: NULL argument"},
    {"dstack_tappd_raw_quote(NULL report data)", tappd_raw_null_rd, DSTACK_EINVAL,
     "report_data is NULL"},
    {"dstack_tappd_info(dstack client)", tappd_info_wrong_kind, DSTACK_EINVAL,
     "not a tappd client"},
    {"dstack_worker_client_new(NULL endpoint)", worker_new_null, DSTACK_EINVAL,
     "dstack_worker_client_new: an endpoint is required"},
    {"dstack_worker_get_attestation_for_app_key(NULL algorithm)", worker_att_null, DSTACK_EINVAL,
     "GetAttestationForAppKey: NULL"},
    {"dstack_guest_client_new(\"vsock://x\")", guest_new_vsock, DSTACK_EINVAL,
     "invalid vsock endpoint"},
    {"dstack_guest_sysinfo(NULL client)", guest_sys_null, DSTACK_EINVAL, "client is NULL"},
    {"dstack_guest_sysinfo(NULL out)", guest_sys_null_out, DSTACK_EINVAL,
     "dstack_guest_sysinfo: NULL output"},
    {"dstack_guest_list_containers(NULL client)", guest_list_null, DSTACK_EINVAL, "client is NULL"},
    {"dstack_guest_info_json(NULL client)", guest_info_null, DSTACK_EINVAL, "dstack_call: NULL"},
    {"dstack_guest_network_info_json(NULL client)", guest_net_null, DSTACK_EINVAL,
     "dstack_call: NULL"},
    {"dstack_guest_shutdown(NULL client)", guest_shutdown_null, DSTACK_EINVAL, "dstack_call: NULL"},
};

#define RUN(rows) error_rows_run(rows, sizeof rows / sizeof rows[0])

int main(void)
{
    /* Nothing listens on port 1: every row must fail before connecting. */
    if (dstack_client_new("http://127.0.0.1:1", NULL, &cli) != DSTACK_OK ||
        dstack_tappd_client_new("http://127.0.0.1:1", NULL, NULL, NULL, &tappd) != DSTACK_OK ||
        dstack_async_new(cli, 0, &as) != DSTACK_OK) {
        printf("FAIL: cannot set up the clients: %s\n", dstack_last_error());
        return 1;
    }

    RUN(client_rows);
    RUN(async_rows);
    RUN(other_rows);

    dstack_async_free(as);
    dstack_client_free(tappd);
    dstack_client_free(cli);
    return check_exit();
}
