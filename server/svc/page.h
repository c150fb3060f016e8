/* A page of a list answer that must fit in one frame to the caller
 * (docs/PROTOCOL.md, "Large answers"): it ends at a count, or before its
 * items outgrow the frame, and always holds at least one item (the
 * transport refuses one that alone does not fit). */
#ifndef TND_SERVER_SVC_PAGE_H
#define TND_SERVER_SVC_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "tender/codec.h"
#include "transport/server.h"

typedef struct tnd_page {
    size_t room;  /* bytes the items may take */
    size_t used;  /* bytes they take so far */
    size_t limit; /* items at most */
    size_t n;     /* items taken */
    bool more;    /* an item was left for the next page */
} tnd_page;

/* A page of at most limit items for call: its frame less reserve bytes
 * for the answer's other fields (the array header, the keys, a cursor). */
void tnd_page_init(tnd_page *pg, const tnd_call *call, size_t reserve, size_t limit);

/* Whether item (a message of d) goes on the page: true counts it; false
 * sets pg->more, and the page is full. */
bool tnd_page_take(tnd_page *pg, const tnd_msg_desc *d, const void *item);

#endif
