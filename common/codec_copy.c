/* Deep copies of messages (codec.h: tnd_msg_copy_in into an arena,
 * tnd_msg_copy with malloc): a reply or a record built from another message
 * without encoding and decoding it, and without moving fields out of their
 * owner.
 *
 * The copy starts as src's bytes, then every pointer is replaced by a copy
 * of what it points to. Failure is sticky: once an allocation failed, every
 * later pointer becomes NULL (an array's count 0), so no pointer of dst is
 * left pointing into src, and a malloc'd dst can be freed with tnd_msg_free. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec_internal.h"

typedef struct copier {
    tnd_arena *a; /* NULL: malloc */
    bool failed;
} copier;

static void *cp_alloc(copier *c, size_t n)
{
    if (c->failed)
        return NULL;
    void *p = c->a ? tnd_arena_alloc(c->a, n) : calloc(1, n ? n : 1);
    c->failed = !p;
    return p;
}

static void *cp_memdup(copier *c, const void *src, size_t n)
{
    void *p = cp_alloc(c, n);
    if (p && n)
        memcpy(p, src, n);
    return p;
}

static void copy_msg(copier *c, const tnd_msg_desc *d, const void *src, void *dst);

/* Copy what the value at src points to; dst holds src's bytes. */
static void copy_value(copier *c, const tnd_field_desc *f, const void *src, void *dst, bool boxed)
{
    switch (f->type) {
    case TND_T_STRING: {
        const char *s = *(char *const *)src;
        *(char **)dst = s ? cp_memdup(c, s, strlen(s) + 1) : NULL;
        break;
    }
    case TND_T_BYTES: {
        const tnd_bytes *s = src;
        tnd_bytes *b = dst;
        b->data = s->len ? cp_memdup(c, s->data, s->len) : NULL;
        b->len = b->data ? s->len : 0;
        break;
    }
    case TND_T_MESSAGE:
        if (!boxed) {
            copy_msg(c, f->msg, src, dst);
        } else if (*(void *const *)src) {
            void *m = cp_alloc(c, f->msg->size);
            *(void **)dst = m;
            if (m)
                copy_msg(c, f->msg, *(void *const *)src, m);
        }
        break;
    default:
        break; /* scalars: copied with the bytes */
    }
}

static void copy_array(copier *c, const tnd_field_desc *f, const void *src, void *dst)
{
    size_t n = *(const size_t *)tnd_cat(src, f->aux_offset);
    const char *sa = *(char *const *)tnd_cat(src, f->offset);
    char *da = n && n <= SIZE_MAX / f->elem_size ? cp_alloc(c, n * f->elem_size) : NULL;
    *(void **)tnd_at(dst, f->offset) = da;
    *(size_t *)tnd_at(dst, f->aux_offset) = da ? n : 0;
    if (!da)
        return;
    memcpy(da, sa, n * f->elem_size);
    for (size_t i = 0; i < n; i++) {
        const char *se = sa + i * f->elem_size;
        char *de = da + i * f->elem_size;
        if (f->label == TND_L_MAP) {
            const char *k = *(char *const *)se;
            *(char **)de = k ? cp_memdup(c, k, strlen(k) + 1) : NULL;
            copy_value(c, f, se + f->map_value_offset, de + f->map_value_offset, false);
        } else {
            copy_value(c, f, se, de, false);
        }
    }
}

static void copy_msg(copier *c, const tnd_msg_desc *d, const void *src, void *dst)
{
    memmove(dst, src, d->size);
    for (size_t i = 0; i < d->n_fields; i++) {
        const tnd_field_desc *f = &d->fields[i];
        if (f->label == TND_L_REPEATED || f->label == TND_L_MAP)
            copy_array(c, f, src, dst);
        else
            copy_value(c, f, tnd_cat(src, f->offset), tnd_at(dst, f->offset), true);
    }
}

int tnd_msg_copy_in(const tnd_msg_desc *d, tnd_arena *a, const void *src, void *dst)
{
    if (src == dst)
        return TND_EINVAL;
    copier c = {.a = a, .failed = tnd_arena_failed(a)};
    copy_msg(&c, d, src, dst);
    if (!c.failed)
        return 0;
    tnd_msg_init(d, dst);
    return TND_ENOMEM;
}

int tnd_msg_copy(const tnd_msg_desc *d, const void *src, void *dst)
{
    if (src == dst)
        return TND_EINVAL;
    copier c = {0};
    copy_msg(&c, d, src, dst);
    if (!c.failed)
        return 0;
    tnd_msg_free(d, dst); /* no pointer of dst points into src */
    return TND_ENOMEM;
}
