/* The request-head deadline of the public HTTP listener (http_deadline.h). */
#include "http_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "tender/error.h"

typedef struct watched {
    tnd_http_deadline *d;
    int fd;
    uint64_t since_ms; /* waiting for a head since then; 0 while a request is answered */
    struct watched *prev, *next;
} watched;

struct tnd_http_deadline {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    uint64_t limit_ms;
    bool stopping;
    watched *head;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Once a second: shut down the sockets past their deadline. The socket stays
 * open until libmicrohttpd closes it, which it does only after the CLOSED
 * notification has taken the entry off the list under the same lock, so a
 * descriptor shut down here is never one already reused. */
static void *watch(void *arg)
{
    tnd_http_deadline *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&d->wake, &d->mu, &until);
        uint64_t now = now_ms();
        for (watched *w = d->head; w; w = w->next) {
            if (w->since_ms && now - w->since_ms > d->limit_ms) {
                shutdown(w->fd, SHUT_RDWR);
                w->since_ms = 0; /* once */
            }
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int tnd__http_deadline_start(unsigned seconds, tnd_http_deadline **out, char *err, size_t err_len)
{
    *out = NULL;
    tnd_http_deadline *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_len, "out of memory starting the http listener");
        return TND_ENOMEM;
    }
    d->limit_ms = (uint64_t)seconds * 1000u;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->wake, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&d->thread, NULL, watch, d);
    if (rc != 0) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->mu);
        free(d);
        snprintf(err, err_len, "cannot start the http listener's watcher: %s", strerror(rc));
        return TND_EIO;
    }
    *out = d;
    return 0;
}

void tnd__http_deadline_stop(tnd_http_deadline *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    while (d->head) { /* none after MHD_stop_daemon; freed should any remain */
        watched *w = d->head;
        d->head = w->next;
        free(w);
    }
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void tnd__http_deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    tnd_http_deadline *d = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        watched *w = ci ? calloc(1, sizeof *w) : NULL;
        if (!w)
            return; /* not watched: the inactivity timeout still applies */
        w->d = d;
        w->fd = ci->connect_fd;
        w->since_ms = now_ms();
        pthread_mutex_lock(&d->mu);
        w->next = d->head;
        if (d->head)
            d->head->prev = w;
        d->head = w;
        pthread_mutex_unlock(&d->mu);
        *socket_context = w;
        return;
    }
    watched *w = *socket_context;
    if (code != MHD_CONNECTION_NOTIFY_CLOSED || !w)
        return;
    pthread_mutex_lock(&d->mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        d->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&d->mu);
    free(w);
    *socket_context = NULL;
}

static void set_since(struct MHD_Connection *conn, uint64_t since)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    watched *w = ci ? ci->socket_context : NULL;
    if (!w)
        return;
    pthread_mutex_lock(&w->d->mu);
    w->since_ms = since;
    pthread_mutex_unlock(&w->d->mu);
}

void tnd__http_deadline_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                                 enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)req_cls;
    (void)code;
    set_since(conn, now_ms());
}

void tnd__http_deadline_head_in(struct MHD_Connection *conn)
{
    set_since(conn, 0);
}
