/* libFuzzer target for what a connection reads from the network: the input
 * is split into frames by the frame reader (small max frame so the limit is
 * exercised), each body is parsed, a CALL's metadata is checked and looked
 * up, and a MESSAGE payload is decoded as a health request, as the server
 * does. Nothing may crash, leak or allocate without bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"
#include "tender_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tnd_frame_reader r;
    tnd_frame_reader_init(&r, 1u << 16);
    /* Feed in two pieces, as TCP may deliver it. */
    size_t half = size / 2;
    if (tnd_frame_reader_feed(&r, data, half) != 0)
        abort();
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && tnd_frame_reader_feed(&r, data + half, size - half) != 0)
            abort();
        for (;;) {
            const uint8_t *body;
            size_t len;
            int rc = tnd_frame_reader_next(&r, &body, &len);
            if (rc <= 0)
                break;
            tnd_frame f;
            msgpack_zone *zone = NULL;
            tnd_codec_err err;
            if (tnd_frame_parse(body, len, &f, &zone, &err) != 0) {
                if (zone)
                    abort(); /* a failed parse must not hand out a zone */
                continue;
            }
            if (f.type == TND_FRAME_CALL) {
                (void)tnd_metadata_check(f.u.call.metadata, 16384, &err);
                (void)tnd_metadata_get(f.u.call.metadata, "x-request-id");
            } else if (f.type == TND_FRAME_MESSAGE) {
                tender_health_v1_HealthCheckRequest req;
                tender_health_v1_HealthCheckRequest_init(&req);
                if (tender_health_v1_HealthCheckRequest_decode(&req, f.u.message.payload.ptr,
                                                               f.u.message.payload.len,
                                                               &err) == 0)
                    tender_health_v1_HealthCheckRequest_free(&req);
            }
            msgpack_zone_free(zone);
        }
    }
    tnd_frame_reader_free(&r);
    return 0;
}
