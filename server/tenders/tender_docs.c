/* Tender documents: AddDocument (client streaming, content in chunks) and
 * Download (server streaming, paced by flow control); and the service's
 * registration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/download.h"
#include "tenders.h"

/* ---- AddDocument ---- */

/* In the call's arena, with the first message; the content grows in data
 * (malloc) with each chunk. */
typedef struct upload {
    tender_tenders_v1_AddDocumentRequest *head; /* tender_id, name, media_type */
    uint8_t *data;
    size_t len, cap;
    tnd_call *call;
    size_t reserved; /* of the upload memory (tnd_call_upload_reserve) */
} upload;

static void upload_free(upload *u)
{
    if (!u)
        return;
    free(u->data);
    u->data = NULL;
    tnd_call_upload_release(u->call, u->reserved);
    u->reserved = 0;
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
        /* Keep the first message for the call, all but its content. */
        tnd_arena *a = tnd_call_arena(call);
        tender_tenders_v1_AddDocumentRequest first = *req;
        first.content = (tnd_bytes){0};
        u = tnd_arena_alloc(a, sizeof *u);
        if (u)
            u->head = tnd_msg_new_in(&tender_tenders_v1_AddDocumentRequest_desc, a);
        if (!u || !u->head ||
            tnd_msg_copy_in(&tender_tenders_v1_AddDocumentRequest_desc, a, &first, u->head)) {
            tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            return;
        }
        u->call = call;
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
    char why[256];
    if (tnd_call_upload_reserve(call, n, why, sizeof why) != 0) {
        tnd_call_set_user(call, NULL);
        upload_free(u);
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "%s", why);
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
    /* The op frees the content's buffer (extra) when it ends. */
    uint8_t *data = u->data;
    u->data = NULL;
    tnd_op_run(call, u->head, &tender_tenders_v1_Document_desc, tnd__tender_add_document_fn, data,
               u->len);
    upload_free(u);
}

static void add_on_cancel(tnd_call *call)
{
    upload_free(tnd_call_user(call));
    tnd_call_set_user(call, NULL);
}

/* ---- Download: streamed by svc/download.c ---- */

/* The stored document, in txn: 0, TND_ENOTFOUND or TND_EIO. */
static int document_get(tnd_call *call, MDB_txn *txn, const char *tender_id,
                        const char *document_id, MDB_val *v)
{
    tnd_server *srv = tnd_call_server(call);
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    int rc = tnd_tender_read_visible(srv->store, txn, tender_id, tnd_call_peer(call), &t);
    tender_tenders_v1_Tender_free(&t);
    if (rc != 0)
        return rc;
    uint8_t key[TND_KEY_DOCUMENT_ID_MAX];
    MDB_val k = {.mv_size = tnd_key_documents(key, document_id), .mv_data = key};
    if (k.mv_size == 0)
        return TND_ENOTFOUND;
    rc = mdb_get(txn, tnd_store_dbi(srv->store, TND_TABLE_DOCUMENTS), &k, v);
    return rc == MDB_NOTFOUND ? TND_ENOTFOUND : rc ? TND_EIO : 0;
}

static void download_on_message(tnd_call *call, void *request)
{
    const tender_tenders_v1_DocumentRef *req = request;
    /* Both ids are there: the schema's required (tender.schema) refused their absence. */
    tnd_download_start(call, "tender", req->tender_id, req->document_id, document_get);
}

static const tnd_handler doc_handlers[] = {
    {.method = tender_tenders_v1_Tenders_AddDocument_method,
     .on_message = add_on_message,
     .on_half_close = add_on_half_close,
     .on_cancel = add_on_cancel},
    {.method = tender_tenders_v1_Tenders_Download_method,
     .on_message = download_on_message,
     .on_cancel = tnd_download_cancel,
     .on_writable = tnd_download_pump},
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
