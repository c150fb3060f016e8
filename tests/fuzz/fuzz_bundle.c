/* libFuzzer target for an evidence bundle (include/tender/bundle.h), which
 * an auditor reads from a file anyone may have made: the input is read;
 * a refusal says why; what reads writes again, and that reads to the same
 * record and writes to the same bytes. Nothing may crash, leak or read out
 * of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tender/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *write_back(const tnd_bundle *b, size_t *len)
{
    char err[512];
    uint8_t *out = NULL;
    tnd_bundle_keys k = {
        .log_key = b->log_key, .saved_note = b->saved_note, .ca = b->ca, .crl = b->crl};
    if (tnd_bundle_write(&b->record, &k, &out, len, err, sizeof err) != 0)
        abort(); /* what read is within every limit, so it writes */
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    tnd_bundle b, c;
    if (tnd_bundle_read(data, size, &b, err, sizeof err) != 0) {
        if (err[0] == '\0')
            abort(); /* a refusal always says why */
        tnd_bundle_free(&b);
        return 0;
    }
    size_t len = 0, again_len = 0;
    uint8_t *out = write_back(&b, &len);
    if (tnd_bundle_read(out, len, &c, err, sizeof err) != 0)
        abort();
    uint8_t *again = write_back(&c, &again_len);
    if (again_len != len || memcmp(out, again, len) != 0 ||
        c.record.n_events != b.record.n_events || c.record.n_bids != b.record.n_bids ||
        c.record.fetched_ms != b.record.fetched_ms ||
        strcmp(c.record.tender_id, b.record.tender_id) != 0)
        abort();
    free(out);
    free(again);
    tnd_bundle_free(&b);
    tnd_bundle_free(&c);
    return 0;
}
