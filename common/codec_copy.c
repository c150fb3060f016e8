/* Deep copies of messages into an arena (codec.h, tnd_msg_copy_in): a
 * reply or a record built from another message without encoding and
 * decoding it, and without moving fields out of their owner. */
#include <string.h>

#include "arena.h"
#include "codec_internal.h"

static void copy_msg(const tnd_msg_desc *d, tnd_arena *a, const void *src, void *dst);

/* Copy what the value at src points to into the arena; dst already holds
 * src's bytes (the pointers still point into src). */
static void copy_value(const tnd_field_desc *f, tnd_arena *a, const void *src, void *dst,
                       bool boxed)
{
    switch (f->type) {
    case TND_T_STRING:
        *(char **)dst = tnd_arena_strdup(a, *(char *const *)src);
        break;
    case TND_T_BYTES: {
        const tnd_bytes *s = src;
        tnd_bytes *b = dst;
        b->data = s->len ? tnd_arena_memdup(a, s->data, s->len) : NULL;
        b->len = b->data ? s->len : 0;
        break;
    }
    case TND_T_MESSAGE:
        if (!boxed) {
            copy_msg(f->msg, a, src, dst);
        } else if (*(void *const *)src) {
            void *m = tnd_arena_alloc(a, f->msg->size);
            *(void **)dst = m;
            if (m)
                copy_msg(f->msg, a, *(void *const *)src, m);
        }
        break;
    default:
        break; /* scalars: copied with the bytes */
    }
}

static void copy_array(const tnd_field_desc *f, tnd_arena *a, const void *src, void *dst)
{
    size_t n = *(const size_t *)tnd_cat(src, f->aux_offset);
    const char *sa = *(char *const *)tnd_cat(src, f->offset);
    char *da = n ? tnd_arena_calloc(a, n, f->elem_size) : NULL;
    *(void **)tnd_at(dst, f->offset) = da;
    *(size_t *)tnd_at(dst, f->aux_offset) = da ? n : 0;
    if (!da)
        return;
    memcpy(da, sa, n * f->elem_size);
    for (size_t i = 0; i < n; i++) {
        const char *se = sa + i * f->elem_size;
        char *de = da + i * f->elem_size;
        if (f->label == TND_L_MAP) {
            *(char **)de = tnd_arena_strdup(a, *(char *const *)se);
            copy_value(f, a, se + f->map_value_offset, de + f->map_value_offset, false);
        } else {
            copy_value(f, a, se, de, false);
        }
    }
}

static void copy_msg(const tnd_msg_desc *d, tnd_arena *a, const void *src, void *dst)
{
    memmove(dst, src, d->size);
    for (size_t i = 0; i < d->n_fields; i++) {
        const tnd_field_desc *f = &d->fields[i];
        if (f->label == TND_L_REPEATED || f->label == TND_L_MAP)
            copy_array(f, a, src, dst);
        else
            copy_value(f, a, tnd_cat(src, f->offset), tnd_at(dst, f->offset), true);
    }
}

int tnd_msg_copy_in(const tnd_msg_desc *d, tnd_arena *a, const void *src, void *dst)
{
    if (src == dst)
        return TND_EINVAL;
    copy_msg(d, a, src, dst);
    if (!tnd_arena_failed(a))
        return 0;
    tnd_msg_init(d, dst); /* some pointers may still point into src */
    return TND_ENOMEM;
}
