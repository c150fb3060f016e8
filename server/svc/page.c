/* A page of a list answer cut to the caller's frame (page.h). */
#include "page.h"

void tnd_page_init(tnd_page *pg, const tnd_call *call, size_t reserve, size_t limit)
{
    size_t room = tnd_call_max_message(call);
    *pg = (tnd_page){.room = room > reserve ? room - reserve : 0, .limit = limit};
}

bool tnd_page_take(tnd_page *pg, const tnd_msg_desc *d, const void *item)
{
    size_t size = 0;
    if (tnd_msg_size(d, item, &size) != 0)
        size = pg->room;
    if (pg->n > 0 && (pg->n == pg->limit || pg->used + size > pg->room)) {
        pg->more = true;
        return false;
    }
    pg->used += size;
    pg->n++;
    return true;
}
