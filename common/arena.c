/* The arena (arena.h): chunks in a list, newest first; an allocation bumps
 * the newest chunk's offset or starts a new chunk. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tnd_arena_chunk {
    tnd_arena_chunk *next; /* older */
    size_t size;           /* bytes of data */
    size_t used;
    max_align_t data[];
};

#define ALIGN (_Alignof(max_align_t))
#define FIRST_CHUNK 2048u          /* most requests and replies fit in one */
#define MAX_CHUNK (64u * 1024u)    /* ordinary chunks stop doubling here */

static size_t chunk_bytes(const tnd_arena_chunk *c)
{
    return sizeof *c + c->size;
}

void tnd_arena_init(tnd_arena *a, size_t cap)
{
    *a = (tnd_arena){.cap = cap ? cap : TND_ARENA_DEFAULT_CAP, .next_size = FIRST_CHUNK};
}

/* A new head chunk with room for n (aligned) bytes, within the cap. */
static tnd_arena_chunk *grow(tnd_arena *a, size_t n)
{
    size_t size = n > a->next_size ? n : a->next_size;
    size_t room = a->cap > a->held + sizeof(tnd_arena_chunk)
                      ? a->cap - a->held - sizeof(tnd_arena_chunk)
                      : 0;
    if (size > room)
        size = n; /* near the cap: only what is asked for */
    if (size > room)
        return NULL;
    tnd_arena_chunk *c = malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    a->held += chunk_bytes(c);
    if (a->next_size < MAX_CHUNK)
        a->next_size *= 2;
    return c;
}

void *tnd_arena_alloc(tnd_arena *a, size_t n)
{
    if (a->failed)
        return NULL;
    if (n > SIZE_MAX - ALIGN) {
        a->failed = true;
        return NULL;
    }
    n = n ? (n + ALIGN - 1) / ALIGN * ALIGN : ALIGN;
    tnd_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n)
        c = grow(a, n);
    if (!c) {
        a->failed = true;
        return NULL;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void *tnd_arena_calloc(tnd_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        a->failed = true;
        return NULL;
    }
    return tnd_arena_alloc(a, n * size);
}

void *tnd_arena_memdup(tnd_arena *a, const void *p, size_t n)
{
    void *q = tnd_arena_alloc(a, n);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

char *tnd_arena_strndup(tnd_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX) {
        a->failed = true;
        return NULL;
    }
    char *q = tnd_arena_alloc(a, n + 1); /* zeroed: the NUL is there */
    if (q && n)
        memcpy(q, s, n);
    return q;
}

char *tnd_arena_strdup(tnd_arena *a, const char *s)
{
    return s ? tnd_arena_strndup(a, s, strlen(s)) : NULL;
}

bool tnd_arena_failed(const tnd_arena *a)
{
    return a->failed;
}

size_t tnd_arena_held(const tnd_arena *a)
{
    return a->held;
}

tnd_arena_mark tnd_arena_save(const tnd_arena *a)
{
    return (tnd_arena_mark){.chunk = a->head, .used = a->head ? a->head->used : 0};
}

static void pop(tnd_arena *a)
{
    tnd_arena_chunk *c = a->head;
    a->head = c->next;
    a->held -= chunk_bytes(c);
    free(c);
}

void tnd_arena_rewind(tnd_arena *a, tnd_arena_mark m)
{
    while (a->head && a->head != m.chunk)
        pop(a);
    if (a->head)
        a->head->used = m.used;
}

void tnd_arena_reset(tnd_arena *a)
{
    /* Keep the oldest chunk when it is an ordinary one: the next unit of
     * work starts without a malloc. A large one is given back. */
    while (a->head && (a->head->next || a->head->size > MAX_CHUNK))
        pop(a);
    if (a->head)
        a->head->used = 0;
    a->failed = false;
}

void tnd_arena_free(tnd_arena *a)
{
    if (!a)
        return;
    while (a->head)
        pop(a);
    tnd_arena_init(a, a->cap);
}
