/* Streaming a stored document to a caller (Tenders/Download and
 * Complaints/Download): chunks of at most 256 KiB as tender.tenders.v1.
 * DocumentChunk messages, each read from the store when the call may send
 * it. The server keeps no copy of the document, so pipelined downloads by a
 * client that does not read cost it nothing but the calls themselves. Each
 * chunk re-reads the document through the service's get function, which
 * also re-checks that the caller may see it; a document that changed or
 * went away meanwhile ends the call ABORTED, never mixing two. */
#ifndef TND_SERVER_DOWNLOAD_H
#define TND_SERVER_DOWNLOAD_H

#include "svc.h"

/** The stored document document_id of owner_id (a tender, a complaint), as
 * caller call may see it, in txn: 0 with the bytes in *v, TND_ENOTFOUND
 * (also when the caller may not see it), or another error. */
typedef int (*tnd_download_get_fn)(tnd_call *call, MDB_txn *txn, const char *owner_id,
                                   const char *document_id, MDB_val *v);

/** From a Download handler's on_message: refuse a document_id that is not
 * "<owner_id>-D..." (NOT_FOUND naming owner_kind: "tender", "complaint"),
 * read the document once for its size, and start sending it. The handler's
 * on_writable must be tnd_download_pump, its on_cancel tnd_download_cancel. */
void tnd_download_start(tnd_call *call, const char *owner_kind, const char *owner_id,
                        const char *document_id, tnd_download_get_fn get);

/** on_writable: send what the call's flow control lets through. */
void tnd_download_pump(tnd_call *call);

/** on_cancel: forget the download. */
void tnd_download_cancel(tnd_call *call);

#endif
