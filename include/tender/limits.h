/* Every limit on untrusted input, in one place.
 *
 * Decoders check these before they allocate. Later layers (frames, calls,
 * store) add their own limits here, next to these.
 */
#ifndef TENDER_LIMITS_H
#define TENDER_LIMITS_H

/* Deepest nesting of MessagePack containers accepted in one value. */
#define TND_MSGPACK_MAX_DEPTH 32

/* Most MessagePack objects (scalars and containers together) in one value.
 * msgpack-c allocates 24-48 bytes per object, so this caps the decoder's
 * memory at about 48 * TND_MSGPACK_MAX_OBJECTS bytes whatever the input. */
#define TND_MSGPACK_MAX_OBJECTS (1u << 20)

/* Default limits for schema fields that declare none. */
#define TND_DEFAULT_MAX_STRING (64u * 1024u)          /* bytes of one string field */
#define TND_DEFAULT_MAX_BYTES (16u * 1024u * 1024u)   /* bytes of one bytes field */
#define TND_DEFAULT_MAX_COUNT 65536u                  /* elements of one repeated/map field */

/* Uploads (documents, sealed bids) are held in memory until their last
 * chunk: by default at most this many bytes across all calls at once
 * (tenderd's max-upload-memory), so many concurrent uploads cannot exhaust
 * the server's memory. */
#define TND_MAX_UPLOAD_MEMORY (512u * 1024u * 1024u)

/* List calls decode at most this many stored records per page; a page may
 * then be short, with a cursor to go on from. */
#define TND_LIST_MAX_SCAN 5000u

/* Largest frame / message accepted on the wire unless configured otherwise. */
#define TND_DEFAULT_MAX_FRAME (4u * 1024u * 1024u)

/* SETTINGS (docs/PROTOCOL.md, section 2): what a key that a peer leaves out
 * or sends as 0 means, on both sides of the connection. A client announces
 * these itself; tenderd announces its configured values. */
#define TND_SETTINGS_DEFAULT_MAX_FRAME TND_DEFAULT_MAX_FRAME
#define TND_SETTINGS_DEFAULT_MAX_STREAMS 1024u
#define TND_SETTINGS_DEFAULT_INITIAL_WINDOW (1u << 20)   /* per stream, bytes */
#define TND_SETTINGS_DEFAULT_MAX_METADATA 16384u         /* bytes */
#define TND_SETTINGS_DEFAULT_CONN_WINDOW (16u << 20)     /* per connection, bytes */
/* Send windows assumed until the peer's SETTINGS arrive (docs/PROTOCOL.md,
 * section 5.1), as in HTTP/2. */
#define TND_SETTINGS_ASSUMED_WINDOW 65535

/* Longest x-request-id the server takes from a client (visible ASCII); other
 * values are replaced by a generated id in the server's logs. */
#define TND_MAX_REQUEST_ID 64

#endif
