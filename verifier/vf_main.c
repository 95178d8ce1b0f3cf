/* dstack-verifier [--config FILE]: serves POST /verify and GET /health until SIGTERM/SIGINT
 * (docs/verifier.md). Prints "listening on ADDRESS:PORT" once ready (port 0 picks one). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "srv.h"
#include "util/error.h"
#include "vf.h"

int main(int argc, char **argv)
{
    const char *config = NULL;
    struct vf_app app = {0};
    struct srv_listener *l = NULL;
    uint16_t port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else {
            fprintf(stderr, "usage: dstack-verifier [--config dstack-verifier.toml]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    log_init("dstack_verifier");
    /* SIGTERM/SIGINT blocked before any thread starts, so every thread inherits the mask and
     * the main thread alone takes them, with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    if (vf_config_load(config, &app.cfg) != DSTACK_OK || vf_app_init(&app) != DSTACK_OK ||
        vf_server_start(&app, &l, &port) != DSTACK_OK) {
        fprintf(stderr, "dstack-verifier: %s\n", err_text());
        vf_app_free(&app);
        return 1;
    }
    printf("listening on %s:%u\n", app.cfg.address, port);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    srv_stop(&l, 1, 5000, 500);
    vf_app_free(&app);
    return 0;
}
