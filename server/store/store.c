/* The store's life on the loop thread: open, submit, results, close.
 * See store.h for the contract and docs/STORE.md for the design. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

_Static_assert(sizeof(size_t) >= 8, "the store needs a 64-bit address space for its map");

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)     /* 1 GiB */
#define DEFAULT_MAX_MAP_SIZE ((size_t)1 << 40) /* 1 TiB, sparse */
#define DEFAULT_QUEUE_CAP 4096u
#define DEFAULT_MAX_BATCH 256u

/* Loop thread: run the done callbacks of every finished request. */
static void deliver(tnd_store *s)
{
    pthread_mutex_lock(&s->mu);
    tnd_store_req *r = s->results.head;
    s->results = (tnd_store_reqlist){0};
    pthread_mutex_unlock(&s->mu);
    while (r) {
        tnd_store_req *next = r->next;
        r->done(r->arg, r->status, r->msg);
        free(r);
        r = next;
    }
}

static void on_results(uv_async_t *h)
{
    deliver(h->data);
}

static void free_store(tnd_store *s)
{
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->applied);
    pthread_mutex_destroy(&s->mu);
    pthread_rwlock_destroy(&s->resize_lock);
    tnd_arena_free(&s->arena);
    tnd_arena_free(&s->memo.arena);
    tnd_changeset_buf_free(&s->changes);
    free(s->dir);
    free(s);
}

static void on_async_closed(uv_handle_t *h)
{
    free_store(h->data);
}

/* Tell the writer to finish the queue and exit, and wait for it. */
static void stop_writer(tnd_store *s)
{
    if (!s->writer_started)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    s->writer_started = false;
}

static int set_options(tnd_store *s, const tnd_store_opts *o, size_t *map_size, char *err,
                       size_t err_len)
{
    s->dir = strdup(o->dir);
    if (!s->dir) {
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    *map_size = o->map_size ? o->map_size : DEFAULT_MAP_SIZE;
    s->max_map_size = o->max_map_size ? o->max_map_size : DEFAULT_MAX_MAP_SIZE;
    if (s->max_map_size < *map_size)
        s->max_map_size = *map_size;
    s->queue_cap = o->queue_cap ? o->queue_cap : DEFAULT_QUEUE_CAP;
    s->max_batch = o->max_batch ? o->max_batch : DEFAULT_MAX_BATCH;
    s->metrics = o->metrics;
    s->clock = o->clock;
    tnd_arena_init(&s->arena, o->write_arena_max);
    tnd_arena_init(&s->memo.arena, o->write_arena_max);
    s->arena_cap = s->arena.cap;
    return 0;
}

/* The locks use default attributes: readers may nest on one thread, which a
 * writer-preferring lock would deadlock. Reads are short, so the writer
 * waiting to resize is not starved. */
static int init_locks(tnd_store *s)
{
    if (pthread_rwlock_init(&s->resize_lock, NULL) != 0)
        return TND_ENOMEM;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto destroy_rwlock;
    if (pthread_cond_init(&s->wake, NULL) != 0)
        goto destroy_mutex;
    if (pthread_cond_init(&s->applied, NULL) != 0)
        goto destroy_wake;
    return 0;
destroy_wake:
    pthread_cond_destroy(&s->wake);
destroy_mutex:
    pthread_mutex_destroy(&s->mu);
destroy_rwlock:
    pthread_rwlock_destroy(&s->resize_lock);
    return TND_ENOMEM;
}

int tnd_store_open(uv_loop_t *loop, const tnd_store_opts *opts, tnd_store **out, char *err,
                   size_t err_len)
{
    if (!loop || !opts || !opts->dir || !*opts->dir || !out) {
        snprintf(err, err_len, "store: no loop, options or database folder");
        return TND_EINVAL;
    }
    *out = NULL;
    tnd_store *s = calloc(1, sizeof *s);
    if (!s || init_locks(s) != 0) {
        free(s);
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    s->loop = loop;
    size_t map_size;
    int rc = set_options(s, opts, &map_size, err, err_len);
    if (rc == 0)
        rc = tnd__store_env_open(s, map_size, err, err_len);
    if (rc != 0)
        goto free_s;
    s->stats.map_size = tnd__store_map_size(s);
    s->stats.max_map_size = s->max_map_size;
    tnd__store_publish_size(s);
    if (pthread_create(&s->writer, NULL, tnd__store_writer_main, s) != 0) {
        snprintf(err, err_len, "cannot start the writer thread");
        rc = TND_ENOMEM;
        goto close_env;
    }
    s->writer_started = true;
    /* The writer sends only after a submit, so the handle is ready in time. */
    if (uv_async_init(loop, &s->async, on_results) != 0) {
        snprintf(err, err_len, "cannot create the writer's wake-up handle");
        rc = TND_ENOMEM;
        goto stop_thread;
    }
    s->async.data = s;
    *out = s;
    return 0;
stop_thread:
    stop_writer(s);
close_env:
    tnd__store_env_close(s);
free_s:
    free_store(s);
    return rc;
}

void tnd_store_close(tnd_store *s)
{
    if (!s)
        return;
    atomic_store(&s->closing, true);
    stop_writer(s); /* it commits everything queued first */
    deliver(s);     /* the env is still open: a done callback may read */
    tnd__store_env_close(s);
    uv_close((uv_handle_t *)&s->async, on_async_closed);
}

void tnd__store_enqueue(tnd_store *s, tnd_store_req *r)
{
    if (s->queue.tail)
        s->queue.tail->next = r;
    else
        s->queue.head = r;
    s->queue.tail = r;
    s->queue.n++;
    tnd_metrics_set_queue_depth(s->metrics, s->queue.n);
    pthread_cond_signal(&s->wake);
}

int tnd_store_submit(tnd_store *s, tnd_write_fn fn, tnd_write_done_fn done, void *arg)
{
    return tnd_store_submit_after(s, fn, NULL, done, arg);
}

int tnd_store_submit_after(tnd_store *s, tnd_write_fn fn, tnd_write_after_fn after,
                           tnd_write_done_fn done, void *arg)
{
    if (!s || !fn || !done)
        return TND_EINVAL;
    tnd_store_req *r = calloc(1, sizeof *r);
    if (!r)
        return TND_ENOMEM;
    r->fn = fn;
    r->after = after;
    r->done = done;
    r->arg = arg;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        rc = TND_ECLOSED;
    } else if (s->queue.n >= s->queue_cap) {
        rc = TND_EAGAIN;
    } else {
        tnd__store_enqueue(s, r);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != 0)
        free(r);
    return rc;
}

void tnd_store_set_batch_hook(tnd_store *s, tnd_batch_hook_fn hook, void *arg)
{
    pthread_mutex_lock(&s->mu);
    s->hook = hook;
    s->hook_arg = arg;
    pthread_mutex_unlock(&s->mu);
}

void tnd_store_set_changes_hook(tnd_store *s, tnd_changes_fn fn, void *arg)
{
    pthread_mutex_lock(&s->mu);
    s->changes_fn = fn;
    s->changes_arg = arg;
    pthread_mutex_unlock(&s->mu);
}

bool tnd_store_writable(const tnd_store *s)
{
    return !atomic_load(&s->closing) && !atomic_load(&s->failed) && !atomic_load(&s->full);
}

void tnd_store_get_stats(tnd_store *s, tnd_store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    out->queued = s->queue.n;
    pthread_mutex_unlock(&s->mu);
}
