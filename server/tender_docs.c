/* Tender documents: AddDocument (client streaming, content in chunks) and
 * Download (server streaming, paced by flow control); and the service's
 * registration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenders.h"

#define CHUNK (1024u * 1024u)

/* ---- AddDocument ---- */

typedef struct upload {
    tender_tenders_v1_AddDocumentRequest head; /* tender_id, name, media_type */
    uint8_t *data;
    size_t len, cap;
    tnd_server *srv;
    size_t reserved; /* of the server's upload memory */
} upload;

static void upload_free(upload *u)
{
    if (!u)
        return;
    tender_tenders_v1_AddDocumentRequest_free(&u->head);
    free(u->data);
    tnd_server_upload_reserve(u->srv, -(long long)u->reserved);
    free(u);
}

static void add_on_message(tnd_call *call, void *request)
{
    const tender_tenders_v1_AddDocumentRequest *req = request;
    upload *u = tnd_call_user(call);
    if (!u) {
        if (!req->tender_id || !*req->tender_id || !req->name || !*req->name) {
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                            "the first message needs tender_id and name");
            return;
        }
        u = calloc(1, sizeof *u);
        if (!u) {
            tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            return;
        }
        tender_tenders_v1_AddDocumentRequest_init(&u->head);
        u->srv = tnd_call_server(call);
        u->head.tender_id = strdup(req->tender_id);
        u->head.name = strdup(req->name);
        u->head.media_type = tnd_strdup(req->media_type);
        tnd_call_set_user(call, u);
    }
    size_t n = req->content.len;
    if (n > TND_MAX_DOCUMENT - u->len) {
        tnd_call_set_user(call, NULL);
        upload_free(u);
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "document larger than the limit of %u bytes", TND_MAX_DOCUMENT);
        return;
    }
    if (!tnd_server_upload_reserve(u->srv, (long long)n)) {
        tnd_call_set_user(call, NULL);
        upload_free(u);
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the server is busy receiving other uploads; retry shortly");
        return;
    }
    u->reserved += n;
    if (u->len + n > u->cap) {
        size_t cap = u->cap ? u->cap : 65536;
        while (cap < u->len + n)
            cap *= 2;
        uint8_t *nd = realloc(u->data, cap);
        if (!nd) {
            tnd_call_set_user(call, NULL);
            upload_free(u);
            tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            return;
        }
        u->data = nd;
        u->cap = cap;
    }
    if (n)
        memcpy(u->data + u->len, req->content.data, n);
    u->len += n;
}

static void add_on_half_close(tnd_call *call)
{
    upload *u = tnd_call_user(call);
    if (!u) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "no document was sent");
        return;
    }
    tnd_call_set_user(call, NULL);
    uint8_t *data = u->data;
    size_t len = u->len;
    u->data = NULL;
    tnd_op_run(call, &u->head, &tender_tenders_v1_Document_desc, tnd_tender_add_document_fn, data,
               len);
    upload_free(u);
}

static void add_on_cancel(tnd_call *call)
{
    upload_free(tnd_call_user(call));
    tnd_call_set_user(call, NULL);
}

/* ---- Download ---- */

typedef struct download {
    uint8_t *data;
    size_t len, sent;
} download;

static void download_pump(tnd_call *call)
{
    download *d = tnd_call_user(call);
    if (!d)
        return;
    while (d->sent < d->len) {
        size_t n = d->len - d->sent < CHUNK ? d->len - d->sent : CHUNK;
        /* Within one frame to a client that announced a smaller max_frame
         * (the chunk's map, key and bin header take at most 7 bytes). */
        size_t room = tnd_call_max_message(call);
        if (n > room - 7 && room > 7)
            n = room - 7;
        tender_tenders_v1_DocumentChunk c = {.data = {d->data + d->sent, n}};
        int rc = tnd_call_send(call, &c);
        if (rc == TND_EAGAIN)
            return;
        if (rc != 0)
            break;
        d->sent += n;
    }
    tnd_call_set_user(call, NULL);
    free(d->data);
    free(d);
    tnd_call_finish(call, TND_STATUS_OK, NULL);
}

static void download_cancel(tnd_call *call)
{
    download *d = tnd_call_user(call);
    if (d) {
        free(d->data);
        free(d);
        tnd_call_set_user(call, NULL);
    }
}

static void download_on_message(tnd_call *call, void *request)
{
    const tender_tenders_v1_DocumentRef *req = request;
    tnd_server *srv = tnd_call_server(call);
    if (!req->tender_id || !*req->tender_id || !req->document_id || !*req->document_id) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "tender_id and document_id: required");
        return;
    }
    size_t tl = strlen(req->tender_id);
    if (strncmp(req->document_id, req->tender_id, tl) != 0 ||
        strncmp(req->document_id + tl, "-D", 2) != 0) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "document %s is not part of tender %s",
                        req->document_id, req->tender_id);
        return;
    }
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    int rc = tnd_tender_read_visible(srv->store, txn, req->tender_id, tnd_call_peer(call), &t);
    tender_tenders_v1_Tender_free(&t);
    MDB_val k = {.mv_size = strlen(req->document_id), .mv_data = req->document_id}, v;
    download *d = NULL;
    if (rc == 0) {
        rc = mdb_get(txn, tnd_store_dbi(srv->store, TND_TABLE_DOCUMENTS), &k, &v);
        rc = rc == MDB_NOTFOUND ? TND_ENOTFOUND : rc ? TND_EIO : 0;
    }
    if (rc == 0) {
        /* Copy out: LMDB's value dies with the read transaction. */
        d = calloc(1, sizeof *d);
        if (d && (d->data = malloc(v.mv_size ? v.mv_size : 1)) != NULL) {
            memcpy(d->data, v.mv_data, v.mv_size);
            d->len = v.mv_size;
        } else {
            free(d);
            d = NULL;
            rc = TND_ENOMEM;
        }
    }
    tnd_store_read_end(srv->store, txn);
    if (rc == TND_ENOTFOUND) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "document %s not found", req->document_id);
        return;
    }
    if (rc != 0) {
        tnd_call_finish(call, TND_STATUS_UNAVAILABLE, "cannot read document %s",
                        req->document_id);
        return;
    }
    tnd_call_set_user(call, d);
    download_pump(call);
}

static const tnd_handler doc_handlers[] = {
    {.method = tender_tenders_v1_Tenders_AddDocument_method,
     .on_message = add_on_message,
     .on_half_close = add_on_half_close,
     .on_cancel = add_on_cancel},
    {.method = tender_tenders_v1_Tenders_Download_method,
     .on_message = download_on_message,
     .on_cancel = download_cancel,
     .on_writable = download_pump},
};

int tnd_tenders_register(tnd_server *srv)
{
    int rc = 0;
    for (size_t i = 0; i < tnd_tender_write_handler_count && !rc; i++)
        rc = tnd_server_register(srv, &tnd_tender_write_handlers[i]);
    for (size_t i = 0; i < tnd_tender_read_handler_count && !rc; i++)
        rc = tnd_server_register(srv, &tnd_tender_read_handlers[i]);
    for (size_t i = 0; i < sizeof doc_handlers / sizeof *doc_handlers && !rc; i++)
        rc = tnd_server_register(srv, &doc_handlers[i]);
    return rc;
}
