/* libFuzzer target for the change set decoder (server/store/changeset.h):
 * the bytes a node reads from the shared batch log. Nothing may crash,
 * leak or read out of bounds; what decodes must encode back to the same
 * bytes (one encoding per change set), and every entry must be one the
 * encoder accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/changeset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tnd_changeset cs;
    char err[256];
    if (tnd_changeset_decode(data, size, &cs, err, sizeof err) != 0) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    tnd_changeset_buf b = {0};
    tnd_changeset_reset(&b);
    for (size_t i = 0; i < cs.n; i++) {
        const tnd_change *c = &cs.changes[i];
        if (tnd_changeset_add(&b, c->op, c->table, c->key, c->klen, c->val, c->vlen) != 0)
            abort();
    }
    tnd_changeset_finish(&b, cs.seq, cs.time_ms);
    if (b.failed || b.len != size || memcmp(b.data, data, size) != 0)
        abort();
    tnd_changeset_buf_free(&b);
    tnd_changeset_free(&cs);
    return 0;
}
