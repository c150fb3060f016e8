/* libFuzzer target: untrusted bytes through the pre-validator and the decoder
 * of three message shapes (containers of every kind, recursion, limits).
 * Whatever decodes must encode again, and that encoding must decode to a
 * message that encodes to the very same bytes (the encoding is canonical).
 * Decoding into an arena gives the same answer and the same message, and so
 * do deep copies into an arena and with malloc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "tender/codec.h"
#include "test_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const tnd_msg_desc *d, const void *msg)
{
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    tnd_codec_err err;
    /* a decoded message is within every limit, so it always encodes */
    if (tnd_msg_encode(d, msg, &a, &alen, &err) != 0)
        abort();
    void *again = calloc(1, d->size);
    if (!again)
        abort();
    if (tnd_msg_decode(d, a, alen, again, &err) != 0)
        abort();
    if (tnd_msg_encode(d, again, &b, &blen, &err) != 0)
        abort();
    if (alen != blen || memcmp(a, b, alen) != 0)
        abort();
    tnd_msg_free(d, again);
    free(again);
    free(a);
    free(b);
}

/* msg encodes to the same bytes as ref. */
static void same(const tnd_msg_desc *d, const void *ref, const void *msg)
{
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    if (tnd_msg_encode(d, ref, &a, &alen, NULL) != 0 || tnd_msg_encode(d, msg, &b, &blen, NULL) != 0)
        abort();
    if (alen != blen || memcmp(a, b, alen) != 0)
        abort();
    free(a);
    free(b);
}

/* The arena decoder agrees with the malloc one (rc: its answer, msg: its
 * message when 0); copies of msg equal it. */
static void in_arena(const tnd_msg_desc *d, const uint8_t *data, size_t size, int rc,
                     const void *msg)
{
    tnd_arena a;
    tnd_arena_init(&a, 0);
    void *m = tnd_msg_new_in(d, &a);
    if (!m || tnd_msg_decode_in(d, &a, data, size, m, NULL) != rc)
        abort();
    if (rc == 0) {
        same(d, msg, m);
        void *c = tnd_msg_new_in(d, &a), *mc = calloc(1, d->size);
        if (!c || !mc || tnd_msg_copy_in(d, &a, msg, c) != 0 || tnd_msg_copy(d, m, mc) != 0)
            abort();
        same(d, msg, c);
        same(d, msg, mc);
        tnd_msg_free(d, mc);
        free(mc);
    }
    tnd_arena_free(&a);
}

static void one(const tnd_msg_desc *d, const uint8_t *data, size_t size, int checked)
{
    void *msg = calloc(1, d->size);
    if (!msg)
        abort();
    tnd_codec_err err;
    int rc = tnd_msg_decode(d, data, size, msg, &err);
    /* input the checker refuses never reaches the decoder */
    if (checked != 0 && rc != checked)
        abort();
    if (rc == 0)
        roundtrip(d, msg);
    in_arena(d, data, size, rc, msg);
    tnd_msg_free(d, msg);
    free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tnd_codec_err err;
    int checked = tnd_msgpack_check(data, size, &err);
    one(&tender_test_v1_Containers_desc, data, size, checked);
    one(&tender_test_v1_Node_desc, data, size, checked);
    one(&tender_test_v1_Limited_desc, data, size, checked);
    one(&tender_test_v1_Scalars_desc, data, size, checked);
    return 0;
}
