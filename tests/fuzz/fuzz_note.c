/* libFuzzer target for what an auditor reads from a server: the input is
 * tried as a signed note (against a fixed verifier key), as a checkpoint,
 * as a verifier key string, and as Merkle proofs (two sizes, then hashes).
 * Nothing may crash, leak, read out of bounds or accept a forged note. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tender/audit.h"

#define VKEY "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tnd_note_verifier v;
    if (tnd_note_verifier_parse(VKEY, &v) != 0)
        abort();

    char *text = NULL;
    if (tnd_note_open((const char *)data, size, &v, &text) == 0) {
        if (text == NULL || strlen(text) > size)
            abort();
        free(text);
    }
    tnd_checkpoint c;
    (void)tnd_checkpoint_verify((const char *)data, size, &v, &c);

    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (tnd_checkpoint_parse(s, &c) == 0) {
        char again[TND_CHECKPOINT_TEXT_MAX];
        tnd_checkpoint d;
        /* What parses formats, and formats to something that parses the same. */
        if (tnd_checkpoint_format(&c, again, sizeof again) != 0 ||
            tnd_checkpoint_parse(again, &d) != 0 || d.size != c.size ||
            memcmp(d.root, c.root, 32) != 0 || strcmp(d.origin, c.origin) != 0)
            abort();
    }
    tnd_note_verifier w;
    if (tnd_note_verifier_parse(s, &w) == 0) {
        char again[TND_NOTE_VKEY_MAX];
        if (tnd_note_verifier_format(w.name, w.key, again, sizeof again) != 0 ||
            strcmp(again, s) != 0)
            abort();
    }
    free(s);

    if (size >= 16 + 64) {
        uint64_t a, b;
        memcpy(&a, data, 8);
        memcpy(&b, data + 8, 8);
        const uint8_t *h = data + 16;
        size_t n = (size - 16) / 32 - 2;
        (void)tnd_merkle_verify_inclusion(a % 1024, b % 1024, h, (const uint8_t(*)[32])(h + 64), n,
                                          h + 32);
        (void)tnd_merkle_verify_consistency(a % 1024, b % 1024, h, h + 32,
                                            (const uint8_t(*)[32])(h + 64), n);
        (void)tnd_merkle_verify_inclusion(a, b, h, (const uint8_t(*)[32])(h + 64), n, h + 32);
        (void)tnd_merkle_verify_consistency(a, b, h, h + 32, (const uint8_t(*)[32])(h + 64), n);
    }
    return 0;
}
