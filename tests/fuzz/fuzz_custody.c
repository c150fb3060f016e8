/* libFuzzer target for a bid custody file (include/tender/custody.h), which
 * a supplier's tools read back from disk and the portal reads from an upload:
 * the input is parsed; what parses formats, and the formatted text parses to
 * the same ids, nonce and receipts and formats to the same bytes again.
 * Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tender/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    tnd_bid_custody f;
    if (tnd_custody_parse((const char *)data, size, "fuzz", &f, err, sizeof err) != 0) {
        if (err[0] == '\0')
            abort(); /* a refusal always says why */
        return 0;
    }
    char *text = NULL, *again = NULL;
    size_t len = 0, again_len = 0;
    if (tnd_custody_format(&f, &text, &len, err, sizeof err) != 0)
        abort(); /* what parsed is valid, so it formats */
    tnd_bid_custody g;
    if (tnd_custody_parse(text, len, "formatted", &g, err, sizeof err) != 0)
        abort();
    if (strcmp(f.tender_id, g.tender_id) != 0 || strcmp(f.bid_id, g.bid_id) != 0 ||
        strcmp(f.replaces, g.replaces) != 0 || memcmp(f.nonce, g.nonce, 32) != 0 ||
        f.has_receipt != g.has_receipt || f.has_withdrawal != g.has_withdrawal)
        abort();
    if (tnd_custody_format(&g, &again, &again_len, err, sizeof err) != 0 || again_len != len ||
        memcmp(text, again, len) != 0)
        abort();
    free(text);
    free(again);
    tnd_custody_free(&f);
    tnd_custody_free(&g);
    return 0;
}
