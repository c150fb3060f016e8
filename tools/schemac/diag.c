/* Error collection: every pass records errors with a location; main prints them sorted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schemac.h"

/* More than this many errors is noise: the first ones are what a person fixes. */
#define SC_MAX_PRINTED 20

void sc_error(sc_diags *d, sc_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *msg = sc_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);

    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = sc_xrealloc(d->items, d->cap * sizeof(*d->items));
    }
    d->items[d->n] = (sc_diag){.loc = loc, .seq = d->n, .msg = msg};
    d->n++;
}

static int cmp_diag(const void *pa, const void *pb)
{
    const sc_diag *a = pa, *b = pb;
    size_t fa = a->loc.file ? a->loc.file->index : 0;
    size_t fb = b->loc.file ? b->loc.file->index : 0;
    if (fa != fb)
        return fa < fb ? -1 : 1;
    if (a->loc.line != b->loc.line)
        return a->loc.line < b->loc.line ? -1 : 1;
    if (a->loc.col != b->loc.col)
        return a->loc.col < b->loc.col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void sc_diags_print(sc_diags *d)
{
    if (d->n > 1)
        qsort(d->items, d->n, sizeof(*d->items), cmp_diag);
    for (size_t i = 0; i < d->n && i < SC_MAX_PRINTED; i++) {
        const sc_diag *e = &d->items[i];
        if (e->loc.file)
            fprintf(stderr, "%s:%d:%d: %s\n", e->loc.file->path, e->loc.line, e->loc.col, e->msg);
        else
            fprintf(stderr, "schemac: %s\n", e->msg);
    }
    if (d->n > SC_MAX_PRINTED)
        fprintf(stderr, "schemac: %zu more errors not shown\n", d->n - SC_MAX_PRINTED);
}

void sc_diags_free(sc_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].msg);
    free(d->items);
    d->items = NULL;
    d->n = d->cap = 0;
}
