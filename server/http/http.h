/* The public HTTP listener (--http HOST:PORT): the read-only JSON API under
 * /api/v1/ (http_api.c), the transparency log as C2SP tlog-tiles under
 * /log/ (http_tlog.c) and the web portal at / (http_portal.c, the files of
 * web/ embedded at build time), served by libmicrohttpd on its own threads.
 *
 * Every request reads the store in its own short LMDB read transaction on
 * an HTTP thread; nothing runs on the RPC loop and nothing is written, so a
 * slow or hostile HTTP client can delay neither. It serves only what an
 * anonymous RPC client may read, through the same visibility functions.
 * docs/OPERATIONS.md ("Public HTTP") describes the endpoints. */
#ifndef TND_SERVER_HTTP_H
#define TND_SERVER_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "store/store.h"

typedef struct tnd_http tnd_http;

struct tnd_witnesses;

/** Bind addr (spec names it in messages) and start serving store, whose
 * log checkpoints verify with vkey (a verifier key, copied), and the status
 * of the log's witnesses (NULL: none; it must outlive the listener). A connection
 * is closed when timeout_s seconds (at least 1) pass without a whole request
 * head. On failure a negative code with the reason in err. */
int tnd_http_start(tnd_store *store, const char *vkey, struct tnd_witnesses *witnesses,
                   const struct sockaddr *addr,
                   const char *spec, unsigned timeout_s, tnd_http **out, char *err,
                   size_t err_len);

/** The bound port; -1 for NULL. */
int tnd_http_port(const tnd_http *h);

/** Stop: waits for the requests in progress, closes the socket. NULL is fine. */
void tnd_http_stop(tnd_http *h);

#endif
