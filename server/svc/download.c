/* Streaming a stored document in chunks (download.h). */
#include <stdlib.h>
#include <string.h>

#include "download.h"

#define CHUNK (256u * 1024u) /* output waits for a slow peer in these */
#define CHANGED 1            /* the stored document is not the one the download began with */

typedef struct download {
    char *owner_id, *document_id;
    size_t len, sent; /* len: the document's size when the call began */
    tnd_download_get_fn get;
} download;

static void download_free(download *d)
{
    if (!d)
        return;
    free(d->owner_id);
    free(d->document_id);
    free(d);
}

static void download_end(tnd_call *call, download *d, tnd_status code, const char *msg)
{
    tnd_call_set_user(call, NULL);
    download_free(d);
    tnd_call_finish(call, code, "%s", msg ? msg : "");
}

void tnd_download_pump(tnd_call *call)
{
    download *d = tnd_call_user(call);
    tnd_server *srv = tnd_call_server(call);
    if (!d || !srv)
        return;
    while (d->sent < d->len) {
        if (!tnd_call_writable(call))
            return; /* on_writable comes back */
        MDB_txn *txn;
        if (tnd_call_read_begin(call, &txn) != 0) {
            tnd_call_set_user(call, NULL);
            download_free(d);
            return;
        }
        MDB_val v;
        int rc = d->get(call, txn, d->owner_id, d->document_id, &v);
        if (rc == 0 && v.mv_size != d->len)
            rc = CHANGED; /* documents are never rewritten; never mix two */
        if (rc == 0) {
            size_t n = d->len - d->sent < CHUNK ? d->len - d->sent : CHUNK;
            /* Within one frame to a client that announced a smaller max_frame
             * (the chunk's map, key and bin header take at most 7 bytes). */
            size_t room = tnd_call_max_message(call);
            if (n > room - 7 && room > 7)
                n = room - 7;
            tender_tenders_v1_DocumentChunk c = {.data = {(uint8_t *)v.mv_data + d->sent, n}};
            rc = tnd_call_send(call, &c);   /* encodes a copy before the txn ends */
            if (tnd_call_user(call) != d) { /* the write closed the connection: d is gone */
                tnd_store_read_end(srv->store, txn);
                return;
            }
            d->sent += n;
        }
        tnd_store_read_end(srv->store, txn);
        if (rc == TND_ENOTFOUND || rc == CHANGED) {
            download_end(call, d, TND_STATUS_ABORTED,
                         "the document changed while it was downloaded; download it again");
            return;
        }
        if (rc != 0) {
            tnd_call_set_user(call, NULL);
            download_free(d);
            return; /* ended, or finished with the reason */
        }
    }
    download_end(call, d, TND_STATUS_OK, NULL);
}

void tnd_download_cancel(tnd_call *call)
{
    download_free(tnd_call_user(call));
    tnd_call_set_user(call, NULL);
}

void tnd_download_start(tnd_call *call, const char *owner_kind, const char *owner_id,
                        const char *document_id, tnd_download_get_fn get)
{
    tnd_server *srv = tnd_call_server(call);
    size_t ol = strlen(owner_id);
    if (strncmp(document_id, owner_id, ol) != 0 || strncmp(document_id + ol, "-D", 2) != 0) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "document %s is not part of %s %s", document_id,
                        owner_kind, owner_id);
        return;
    }
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    MDB_val v;
    int rc = get(call, txn, owner_id, document_id, &v);
    size_t len = rc == 0 ? v.mv_size : 0;
    tnd_store_read_end(srv->store, txn);
    if (rc == TND_ENOTFOUND) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "document %s not found", document_id);
        return;
    }
    download *d = rc == 0 ? calloc(1, sizeof *d) : NULL;
    if (d) {
        d->len = len;
        d->get = get;
        d->owner_id = strdup(owner_id);
        d->document_id = strdup(document_id);
    }
    if (!d || !d->owner_id || !d->document_id) {
        download_free(d);
        tnd_call_finish(call, TND_STATUS_UNAVAILABLE, "cannot read document %s", document_id);
        return;
    }
    tnd_call_set_user(call, d);
    tnd_download_pump(call);
}
