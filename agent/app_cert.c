/* Info.app_cert issuance (see app_cert.h). */
#include "app_cert.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "agent.h"
#include "appkeys.h"
#include "info.h"
#include "kms/kms_client.h"
#include "log.h"
#include "tls.h"
#include "util/error.h"

#define APP_CERT_RETRY_FIRST_S 1u
#define APP_CERT_RETRY_MAX_S 60u

struct app_cert_task {
    struct agent *agent;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

/* One attempt: true when Info.app_cert is set; else the error text says why. */
static bool issue_once(struct agent *a)
{
    char *pem = NULL;
    if (tls_demo_cert(a, &pem) != DSTACK_OK) {
        return false;
    }
    dstack_err e = info_cache_set_app_cert(a->info, pem);
    free(pem);
    if (e != DSTACK_OK) {
        err_set(e, "out of memory");
    }
    return e == DSTACK_OK;
}

/* Sleeps `seconds` unless stopped first; true when stopped. */
static bool wait_or_stop(struct app_cert_task *t, unsigned seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)seconds;
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        if (pthread_cond_timedwait(&t->wake, &t->lock, &until) == ETIMEDOUT) {
            break;
        }
    }
    bool stopped = t->stop;
    pthread_mutex_unlock(&t->lock);
    return stopped;
}

static void *retry_loop(void *arg)
{
    struct app_cert_task *t = arg;
    unsigned delay = APP_CERT_RETRY_FIRST_S;

    for (;;) {
        err_clear();
        if (issue_once(t->agent)) {
            log_info("Info.app_cert issued by the KMS");
            return NULL;
        }
        log_warn("Info.app_cert not issued (%s); retrying in %u s", err_text(), delay);
        if (wait_or_stop(t, delay)) {
            return NULL;
        }
        delay = delay * 2 > APP_CERT_RETRY_MAX_S ? APP_CERT_RETRY_MAX_S : delay * 2;
    }
}

dstack_err app_cert_start(struct agent *a)
{
    if (a->keys->provider != KEY_PROVIDER_KMS) {
        /* A local CA: one quote at start-up is cheap enough to do it up front. */
        err_clear();
        if (!issue_once(a)) {
            log_warn("demo certificate unavailable (%s); Info.app_cert stays empty", err_text());
        }
        return DSTACK_OK;
    }
    struct app_cert_task *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return err_set(DSTACK_ENOMEM, "Info.app_cert: out of memory");
    }
    t->agent = a;
    if (pthread_mutex_init(&t->lock, NULL) != 0 || pthread_cond_init(&t->wake, NULL) != 0 ||
        pthread_create(&t->thread, NULL, retry_loop, t) != 0) {
        free(t); /* (mutex/cond hold no resources on Linux when init succeeded) */
        return err_set(DSTACK_ENOMEM, "Info.app_cert: cannot start its thread");
    }
    a->app_cert_task = t;
    return DSTACK_OK;
}

void app_cert_stop(struct agent *a)
{
    struct app_cert_task *t = a->app_cert_task;
    if (t == NULL) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    kms_client_cancel(a->kms);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
    a->app_cert_task = NULL;
}
