/* An arena: memory for one unit of work (a call, a write), given out by
 * bumping a pointer through chunks and freed all at once when the work ends.
 *
 * Whatever a decoded request, a reply, an event or a receipt points to lives
 * in the arena of the work that made it, so nothing is moved from one owner
 * to another and nothing is freed field by field.
 *
 * A hard cap bounds the bytes the arena takes from malloc, so a hostile
 * request cannot grow it without bound. Failure is sticky: once one
 * allocation failed (cap reached or malloc failed), every later one fails
 * too and tnd_arena_failed() stays true until reset, so a caller checks once
 * at the end of its work instead of after each allocation, and never acts on
 * something built with a piece missing.
 *
 * Not thread-safe: one thread at a time uses an arena.
 */
#ifndef TND_ARENA_H
#define TND_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tnd_arena_chunk tnd_arena_chunk;

typedef struct tnd_arena {
    tnd_arena_chunk *head; /* newest chunk: allocations come from here */
    size_t held;           /* bytes of all chunks, counted against cap */
    size_t cap;            /* most bytes the arena may hold */
    size_t next_size;      /* size of the next ordinary chunk */
    bool failed;           /* an allocation failed: sticky until reset */
} tnd_arena;

/* A position to rewind to: everything allocated after it is given back. */
typedef struct tnd_arena_mark {
    tnd_arena_chunk *chunk;
    size_t used;
} tnd_arena_mark;

/* The cap used when tnd_arena_init is given 0. */
#define TND_ARENA_DEFAULT_CAP (64u * 1024u * 1024u)

/** Start an empty arena holding at most cap bytes (0: TND_ARENA_DEFAULT_CAP).
 * Allocates nothing until the first allocation. */
void tnd_arena_init(tnd_arena *a, size_t cap);

/** n zeroed bytes aligned for any type, or NULL (and the arena failed) when
 * the cap or malloc refuses them or an earlier allocation failed. n == 0
 * gives a valid unique pointer. */
void *tnd_arena_alloc(tnd_arena *a, size_t n);

/** n elements of size bytes each, zeroed; NULL on overflow as on failure. */
void *tnd_arena_calloc(tnd_arena *a, size_t n, size_t size);

/** A copy of the n bytes at p (p may be NULL when n is 0). */
void *tnd_arena_memdup(tnd_arena *a, const void *p, size_t n);

/** A NUL-terminated copy of s; NULL for a NULL s (which is not a failure). */
char *tnd_arena_strdup(tnd_arena *a, const char *s);

/** A NUL-terminated copy of the n bytes at s. */
char *tnd_arena_strndup(tnd_arena *a, const char *s, size_t n);

/** True once an allocation failed (until tnd_arena_reset). */
bool tnd_arena_failed(const tnd_arena *a);

/** Bytes the arena holds from malloc now (its chunks). */
size_t tnd_arena_held(const tnd_arena *a);

/** Where the arena is now, for tnd_arena_rewind. */
tnd_arena_mark tnd_arena_save(const tnd_arena *a);

/** Give back everything allocated since m (which must come from this arena
 * and not be older than its last reset). Failure is not cleared. */
void tnd_arena_rewind(tnd_arena *a, tnd_arena_mark m);

/** Give back everything and clear the failure; keeps the first chunk for reuse. */
void tnd_arena_reset(tnd_arena *a);

/** Free every chunk; the arena is empty (as after init) afterwards. NULL is allowed. */
void tnd_arena_free(tnd_arena *a);

#endif
