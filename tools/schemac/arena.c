/* Memory for schemac: a bump arena for the AST, growable vectors and text buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemac.h"

struct sc_arena_block {
    sc_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

#define SC_BLOCK_SIZE (64u * 1024u)

void *sc_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fputs("schemac: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

void *sc_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fputs("schemac: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

void *sc_alloc(sc_arena *a, size_t size)
{
    const size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    sc_arena_block *b = a->head;
    if (!b || b->cap - b->used < size) {
        /* Oversized requests get a block of their own. */
        size_t cap = size > SC_BLOCK_SIZE ? size : SC_BLOCK_SIZE;
        b = sc_xmalloc(sizeof(*b) + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *sc_strndup(sc_arena *a, const char *s, size_t n)
{
    char *p = sc_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *sc_strdup(sc_arena *a, const char *s)
{
    return sc_strndup(a, s, strlen(s));
}

char *sc_sprintf(sc_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = sc_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void sc_arena_free(sc_arena *a)
{
    sc_arena_block *b = a->head;
    while (b) {
        sc_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void sc_vec_push(sc_arena *a, sc_vec *v, void *item)
{
    if (v->n == v->cap) {
        /* The old array stays in the arena: vectors are small and few. */
        size_t cap = v->cap ? v->cap * 2 : 8;
        void **items = sc_alloc(a, cap * sizeof(*items));
        if (v->n)
            memcpy(items, v->items, v->n * sizeof(*items));
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = item;
}

void sc_buf_put(sc_buf *b, const char *s, size_t n)
{
    if (b->cap - b->len < n + 1) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n + 1)
            cap *= 2;
        b->data = sc_xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sc_buf_puts(sc_buf *b, const char *s)
{
    sc_buf_put(b, s, strlen(s));
}

void sc_buf_printf(sc_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        sc_buf_put(b, small, (size_t)n);
        return;
    }
    char *big = sc_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sc_buf_put(b, big, (size_t)n);
    free(big);
}

void sc_buf_free(sc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
