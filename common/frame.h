/* Wire frames of the tender/1 protocol (docs/PROTOCOL.md, "Frames").
 *
 * A frame is a 4-byte big-endian length N followed by N bytes holding one
 * MessagePack array [type, stream_id, ...]. This module encodes frames into
 * a growing buffer, splits a byte stream into frame bodies, and parses one
 * body into a tnd_frame whose pointers borrow from the body and the zone.
 */
#ifndef TND_FRAME_H
#define TND_FRAME_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/codec.h"

typedef enum tnd_frame_type {
    TND_FRAME_SETTINGS = 0,
    TND_FRAME_CALL = 1,
    TND_FRAME_MESSAGE = 2,
    TND_FRAME_STATUS = 3,
    TND_FRAME_CANCEL = 4,
    TND_FRAME_PING = 5,
    TND_FRAME_GOAWAY = 6,
    TND_FRAME_WINDOW = 7,
} tnd_frame_type;

/* Setting ids inside a SETTINGS frame's map. Unknown ids are ignored. */
enum {
    TND_SETTING_MAX_FRAME = 1,      /* largest frame body this side accepts */
    TND_SETTING_MAX_STREAMS = 2,    /* concurrent streams this side accepts */
    TND_SETTING_INITIAL_WINDOW = 3, /* initial per-stream window, bytes */
    TND_SETTING_MAX_METADATA = 4,   /* largest metadata map, bytes */
    TND_SETTING_CONN_WINDOW = 5,    /* initial connection window, bytes */
};

typedef struct tnd_settings {
    uint32_t max_frame;
    uint32_t max_streams;
    uint32_t initial_window;
    uint32_t max_metadata;
    uint32_t conn_window;
} tnd_settings;

/* A byte string borrowed from a frame body. */
typedef struct tnd_slice {
    const uint8_t *ptr;
    size_t len;
} tnd_slice;

typedef struct tnd_frame {
    tnd_frame_type type;
    uint32_t stream_id;
    union {
        tnd_settings settings;
        struct {
            tnd_slice method;            /* "package.Service/Method" */
            const msgpack_object *metadata; /* a map (possibly empty), checked */
            uint64_t timeout_ms;         /* 0: no deadline */
        } call;
        struct {
            tnd_slice payload; /* one encoded message */
            bool end_stream;
        } message;
        struct {
            uint32_t code; /* tnd_status */
            tnd_slice message;
            tnd_slice details;
            const msgpack_object *metadata; /* trailing metadata map */
        } status;
        struct {
            uint64_t opaque;
            bool ack;
        } ping;
        struct {
            uint32_t last_stream_id;
            uint32_t code;
            tnd_slice message;
        } goaway;
        struct {
            uint32_t increment;
        } window;
    } u;
} tnd_frame;

/* Metadata to send: key/value pairs; keys ending in "-bin" carry bytes. */
typedef struct tnd_md {
    const char *key;
    const uint8_t *value;
    size_t value_len;
} tnd_md;

/* The trailer of a node that is not the writer: the writer's "HOST:PORT"
 * (docs/PROTOCOL.md, "Metadata"). */
#define TND_MD_WRITER "x-tender-writer"

/** Parse one frame body (without its length prefix). Pointers in f borrow
 * from body and from *zone, which the caller frees with msgpack_zone_free().
 * Returns 0, or TND_EPROTO / a codec error with err saying what is wrong. */
TND_MUST_CHECK int tnd_frame_parse(const uint8_t *body, size_t len, tnd_frame *f,
                                   msgpack_zone **zone, tnd_codec_err *err);

/** Check a metadata map: lowercase ASCII keys of [a-z0-9-_.], str values
 * (printable ASCII) unless the key ends in "-bin" (bin values), total size
 * within max_bytes. Returns 0 or TND_EPROTO / TND_ELIMIT with err set. */
TND_MUST_CHECK int tnd_metadata_check(const msgpack_object *md, size_t max_bytes,
                                      tnd_codec_err *err);

/** Look up a metadata key; returns the value (str or bin) or NULL. */
const msgpack_object *tnd_metadata_get(const msgpack_object *md, const char *key);

/* ---- encoding: each appends one complete frame (with its length prefix) ---- */

TND_MUST_CHECK int tnd_frame_put_settings(msgpack_sbuffer *out, const tnd_settings *s);

/** The settings a peer sent, with each one it left out or sent as 0 replaced
 * by its default (TND_SETTINGS_DEFAULT_* in tender/limits.h). */
tnd_settings tnd_settings_with_defaults(const tnd_settings *sent);
TND_MUST_CHECK int tnd_frame_put_call(msgpack_sbuffer *out, uint32_t sid, const char *method,
                                      const tnd_md *md, size_t n_md, uint64_t timeout_ms);
TND_MUST_CHECK int tnd_frame_put_message(msgpack_sbuffer *out, uint32_t sid, const uint8_t *payload,
                                         size_t len, bool end_stream);
/* The most bytes a MESSAGE frame body adds to its payload: array header 1,
 * type 1, stream id up to 5, bin header up to 5, end_stream 1. A payload of
 * at most max_frame - TND_FRAME_MESSAGE_OVERHEAD always fits in max_frame. */
#define TND_FRAME_MESSAGE_OVERHEAD 13u

/* The MESSAGE frame of tnd_frame_put_message in three pieces, so that the
 * payload is written from where it is instead of being copied into a frame
 * first: head (length prefix to bin header, at most TND_FRAME_MESSAGE_HEAD_MAX
 * bytes), the payload's len bytes, then tail (end_stream, 1 byte). */
#define TND_FRAME_MESSAGE_HEAD_MAX (4u + TND_FRAME_MESSAGE_OVERHEAD - 1u)
typedef struct tnd_frame_parts {
    uint8_t head[TND_FRAME_MESSAGE_HEAD_MAX];
    size_t head_len;
    uint8_t tail;
} tnd_frame_parts;

/** Fill parts for a MESSAGE of len bytes on stream sid. Returns 0, or
 * TND_ELIMIT when the frame would not fit its 32-bit length prefix. */
TND_MUST_CHECK int tnd_frame_message_parts(tnd_frame_parts *parts, uint32_t sid, size_t len,
                                           bool end_stream);
TND_MUST_CHECK int tnd_frame_put_status(msgpack_sbuffer *out, uint32_t sid, uint32_t code,
                                        const char *message, const uint8_t *details,
                                        size_t details_len, const tnd_md *md, size_t n_md);
TND_MUST_CHECK int tnd_frame_put_cancel(msgpack_sbuffer *out, uint32_t sid);
TND_MUST_CHECK int tnd_frame_put_ping(msgpack_sbuffer *out, uint64_t opaque, bool ack);
TND_MUST_CHECK int tnd_frame_put_goaway(msgpack_sbuffer *out, uint32_t last_stream_id,
                                        uint32_t code, const char *message);
TND_MUST_CHECK int tnd_frame_put_window(msgpack_sbuffer *out, uint32_t sid, uint32_t increment);

/* ---- splitting a byte stream into frames ---------------------------------- */

/* Accumulates received bytes and hands out complete frame bodies. */
typedef struct tnd_frame_reader {
    uint8_t *buf;
    size_t len, cap;
    size_t consumed;  /* bytes of buf already handed out */
    uint32_t max_frame;
} tnd_frame_reader;

void tnd_frame_reader_init(tnd_frame_reader *r, uint32_t max_frame);
void tnd_frame_reader_free(tnd_frame_reader *r);

/** Append received bytes. Returns 0 or TND_ENOMEM. */
TND_MUST_CHECK int tnd_frame_reader_feed(tnd_frame_reader *r, const uint8_t *data, size_t len);

/** Take the next complete frame body: 1 with *body and *len set (valid until the
 * next feed or next), 0 when more bytes are needed, TND_ELIMIT when the next
 * frame declares more than max_frame bytes (*len is set to the declared size).
 * Asked again once everything was handed out, the reader gives back a buffer
 * grown beyond 64 KiB, so an idle connection does not keep the size of the
 * largest frame it received. */
TND_MUST_CHECK int tnd_frame_reader_next(tnd_frame_reader *r, const uint8_t **body, size_t *len);

/** Bytes buffered but not yet handed out. */
size_t tnd_frame_reader_pending(const tnd_frame_reader *r);

#endif
