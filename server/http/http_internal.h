/* Shared by the HTTP listener's files: one request, and how answers go out. */
#ifndef TND_SERVER_HTTP_INTERNAL_H
#define TND_SERVER_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>

#include "store/store.h"
#include "tls.h"

typedef struct tnd_http_req {
    struct MHD_Connection *conn;
    tnd_store *store;
    const char *vkey; /* the log's verifier key */
    struct tnd_witnesses *witnesses; /* the log's witnesses (tlog/witnesses.h), or NULL */
    const char *path; /* the URL path (decoded by MHD), starting with "/" */
} tnd_http_req;

/* How long a cache may keep an answer. */
typedef enum tnd_http_cache {
    TND_HTTP_IMMUTABLE,  /* never changes: a tender version, a document, a full tile */
    TND_HTTP_SHORT,      /* changes as the store does: lists, the latest tender */
    TND_HTTP_CHECKPOINT, /* the latest checkpoint: a few seconds at most */
} tnd_http_cache;

/* Who an HTTP client is to the visibility rules: anonymous, always. */
extern const tnd_peer_identity tnd_http_anonymous;

/** Answer 200 with body (malloc'd, taken over), its media type, cache
 * policy and ETag (NULL: a hash of the body). A request whose
 * If-None-Match holds that ETag gets 304 without the body. */
enum MHD_Result tnd__http_send(tnd_http_req *r, const char *type, char *body, size_t len,
                              tnd_http_cache cache, const char *etag);

/** Answer 200 with v as JSON (v is released). */
enum MHD_Result tnd__http_json(tnd_http_req *r, json_t *v, tnd_http_cache cache);

/** Answer an error: the HTTP status that matches the gRPC-style status, and
 * {"error": {"code": HTTP, "status": "NOT_FOUND", "message": "..."}}. */
enum MHD_Result tnd__http_error(tnd_http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A query argument, or NULL. */
const char *tnd__http_arg(tnd_http_req *r, const char *name);

/** Quote-free, ASCII ids ([A-Za-z0-9._-], 1..80 bytes, no "..")? The API
 * refuses anything else in a path before touching the store. */
bool tnd__http_id_ok(const char *s, size_t len);

/* The routers: they answer every path under their prefix (404 for unknown ones). */
enum MHD_Result tnd__http_api(tnd_http_req *r, const char *rest);  /* after /api/v1 */
enum MHD_Result tnd__http_tlog(tnd_http_req *r, const char *rest); /* after /log */
enum MHD_Result tnd__http_witnesses(tnd_http_req *r); /* /api/v1/log/witnesses (http_tlog.c) */
enum MHD_Result tnd__http_portal(tnd_http_req *r, const char *path); /* the rest: web/ */

/* The OCDS release packages (http_ocds.c): one tender's, a page of all. */
enum MHD_Result tnd__http_ocds_tender(tnd_http_req *r, const char *id);
enum MHD_Result tnd__http_ocds_all(tnd_http_req *r);

#endif
