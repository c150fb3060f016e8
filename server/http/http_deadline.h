/* A deadline for each HTTP request's head, for the public listener (http.c).
 *
 * libmicrohttpd's connection timeout counts inactivity: every byte received
 * restarts it, so a client that sends its request one byte a second holds a
 * connection (one of 64 per address, 512 in all) for hours. Here a
 * connection must deliver a complete request line and headers within the
 * deadline of the moment it opened or its previous answer was sent; one
 * watcher thread shuts down the socket of any that has not, and
 * libmicrohttpd then closes it as it closes any connection the client
 * dropped. While a request is being answered no deadline runs.
 *
 * Wiring: pass tnd__http_deadline_notify as MHD_OPTION_NOTIFY_CONNECTION and
 * tnd__http_deadline_completed as MHD_OPTION_NOTIFY_COMPLETED, both with the
 * tnd_http_deadline as their closure, and call tnd__http_deadline_head_in
 * when the access handler first sees a request. */
#ifndef TND_SERVER_HTTP_DEADLINE_H
#define TND_SERVER_HTTP_DEADLINE_H

#include <microhttpd.h>

typedef struct tnd_http_deadline tnd_http_deadline;

/** Start the watcher: heads must be in within seconds. 0, or TND_ENOMEM /
 * TND_EIO with err filled. */
int tnd__http_deadline_start(unsigned seconds, tnd_http_deadline **out, char *err, size_t err_len);

/** Stop the watcher and free it; call after MHD_stop_daemon. NULL is a no-op. */
void tnd__http_deadline_stop(tnd_http_deadline *d);

/** MHD_OPTION_NOTIFY_CONNECTION: a connection opened (its deadline starts)
 * or closed (forgotten). */
void tnd__http_deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code);

/** MHD_OPTION_NOTIFY_COMPLETED: an answer was sent (or the request ended):
 * the next request's deadline starts. */
void tnd__http_deadline_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                                 enum MHD_RequestTerminationCode code);

/** The access handler has a request's head: no deadline until it is answered. */
void tnd__http_deadline_head_in(struct MHD_Connection *conn);

#endif
