/* The web portal at / (docs/OPERATIONS.md, "The portal"): the static files
 * of web/, embedded in the binary at build time (portal_files.h), and
 * /log-key, the log's verifier key for the portal to offer on a first visit.
 *
 * The pages run in the reader's browser and fetch /api/v1/ and /log/ from
 * the same origin; the Content-Security-Policy allows nothing else (no
 * inline script, no outside fetch). Files are revalidated on every load
 * (ETag, 304), so a new tenderd's portal is seen at once. */
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "portal_files.h"

#define CSP                                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "             \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"

static enum MHD_Result send_static(tnd_http_req *r, const char *type, const char *etag,
                                   const void *data, size_t len)
{
    const char *inm =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool same = inm && (strcmp(inm, "*") == 0 || strstr(inm, etag));
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        same ? 0 : len, same ? (void *)"" : (void *)data, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (!same)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    enum MHD_Result rc =
        MHD_queue_response(r->conn, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result tnd__http_portal(tnd_http_req *r, const char *path)
{
    if (strcmp(path, "/log-key") == 0) {
        char *text = NULL;
        size_t n = strlen(r->vkey);
        if (n && (text = malloc(n + 2)) != NULL) {
            memcpy(text, r->vkey, n);
            memcpy(text + n, "\n", 2);
        }
        if (!text)
            return tnd__http_error(r, TND_STATUS_UNAVAILABLE, "the log key is not known");
        return tnd__http_send(r, "text/plain; charset=utf-8", text, n + 1, TND_HTTP_SHORT, NULL);
    }
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (unsigned i = 0; i < tnd_portal_n_files; i++)
        if (strcmp(tnd_portal_files[i].path, path) == 0)
            return send_static(r, tnd_portal_files[i].type, tnd_portal_files[i].etag,
                               tnd_portal_files[i].data, tnd_portal_files[i].len);
    return tnd__http_error(r, TND_STATUS_NOT_FOUND,
                          "no such resource: the portal is at /, the API under /api/v1/, the "
                          "log under /log/");
}
