/* The metrics listener: GET /metrics over plain HTTP on its own address,
 * served by libmicrohttpd from its own thread. It only reads the metrics
 * object, so it never touches the loop's or the store's state. */
#ifndef TND_SERVER_METRICS_HTTP_H
#define TND_SERVER_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "metrics.h"

typedef struct tnd_metrics_http tnd_metrics_http;

/** Listen on addr and serve m's metrics at GET (or HEAD) /metrics; other
 * paths answer 404, other methods 405. m must outlive the listener. Returns
 * 0, or TND_EIO with a message in err (naming spec, the address as the
 * operator wrote it) when the address cannot be bound, or TND_ENOMEM. */
int tnd_metrics_http_start(tnd_metrics *m, const struct sockaddr *addr, const char *spec,
                           tnd_metrics_http **out, char *err, size_t err_len)
    __attribute__((warn_unused_result));

/** The port actually bound (useful with port 0). */
int tnd_metrics_http_port(const tnd_metrics_http *h);

/** Stop serving: closes the socket and joins the listener's thread. NULL is allowed. */
void tnd_metrics_http_stop(tnd_metrics_http *h);

#endif
