/* Internals of libtender shared by the files in client/: the client, its connections
 * (conn.c) and its calls (call.c), the retry policy (retry.c). */
#ifndef TND_CLIENT_INTERNAL_H
#define TND_CLIENT_INTERNAL_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "frame.h"
#include "tender/client.h"
#include "tender/limits.h"
#include "tls_stream.h"

/* Our receive windows, announced in our SETTINGS: the protocol's defaults. */
#define TND_CLIENT_STREAM_WINDOW TND_SETTINGS_DEFAULT_INITIAL_WINDOW
#define TND_CLIENT_CONN_WINDOW TND_SETTINGS_DEFAULT_CONN_WINDOW
/* Send windows assumed until the server's SETTINGS arrive. Before then a
 * message goes out only if it fits (no overshoot). */
#define TND_CLIENT_ASSUMED_WINDOW TND_SETTINGS_ASSUMED_WINDOW
/* Request bytes kept per call so that it can be replayed on a new
 * connection; a call that sends more cannot be retried. */
#define TND_CLIENT_MAX_RETAINED (4u << 20)
/* Largest frame we send before knowing the server's limit. */
#define TND_CLIENT_ASSUMED_MAX_FRAME TND_DEFAULT_MAX_FRAME

/* Set st to code with a printf-style message; returns code. For the
 * library's own refusals (a server's answer that does not hold up). */
int tnd__status_fail(tnd_status_info *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct tnd_cconn tnd_cconn;

/* One server address, split once. */
typedef struct tnd_addr {
    char server[300]; /* "HOST:PORT" as given */
    char host[256];   /* without brackets */
    char port[8];
} tnd_addr;

typedef enum cconn_state {
    CCONN_CONNECTING,  /* resolving or TCP connect */
    CCONN_HANDSHAKING, /* TLS */
    CCONN_READY,       /* our SETTINGS sent; calls may open */
    CCONN_CLOSED,      /* failed or closing: no more frames */
} cconn_state;

struct tnd_client {
    uv_loop_t *loop;
    bool owns_loop;
    bool closing;
    int refs; /* 1 for the client itself + one per live connection and call */
    SSL_CTX *ssl_ctx;
    SSL_SESSION *session; /* the server's latest ticket, offered on the next connection */
    int resumed;          /* the latest handshake: 1 resumed, 0 full, -1 none yet */
    /* The servers given, then one slot for a writer named outside them
     * (x-tender-writer); new connections go to addrs[at]. */
    tnd_addr addrs[TND_CLIENT_MAX_SERVERS + 1];
    size_t n_addrs; /* given: 1 .. TND_CLIENT_MAX_SERVERS */
    size_t at;
    uint32_t timeout_ms, max_frame, connect_timeout_ms;
    int max_attempts;
    uint32_t backoff_base_ms, backoff_max_ms;
    char request_id[TND_MAX_REQUEST_ID + 1]; /* "" : random per call */
    uint64_t rng; /* xorshift state for jitter */
    tnd_cconn *current; /* where new calls go; NULL: open one when needed */
    tnd_cconn *conns;   /* every connection not yet freed */
    tnd_client_call *calls; /* every call not yet ended */
    /* Output written outside a read callback is gathered per connection
     * until the loop turns (this prepare handle, started while some
     * connection is corked): a call's CALL, message and end of stream go
     * out as one TLS record and one write instead of three. */
    uv_prepare_t uncork;
    bool uncork_open;
};

struct tnd_cconn {
    tnd_tls_stream tls; /* first: stream callbacks cast back */
    tnd_client *client;
    tnd_addr addr;      /* the server this connection is to */
    tnd_cconn *next;
    cconn_state state;
    bool goaway;        /* the server will take no new calls here */
    bool permanent;     /* failure that retrying will not fix (certificate) */
    bool resolving;     /* a getaddrinfo request is out */
    bool tcp_open;      /* tls.tcp is initialised: close through the stream */
    bool timer_open;
    bool try_next;      /* the TCP handle closes to try the next address */
    bool corked;        /* holding output until the client's uncork runs */
    uv_getaddrinfo_t gai;
    uv_connect_t connect_req;
    struct addrinfo *ai_list, *ai_next;
    uv_timer_t timer; /* connect + handshake timeout */
    tnd_frame_reader reader;
    bool got_settings;
    tnd_settings peer;
    int64_t send_window;
    uint32_t recv_unacked;
    uint32_t next_sid;
    uint32_t n_calls;
    tnd_client_call *calls; /* attached calls, sent or waiting for READY */
    char why[512];          /* why the connection failed */
};

typedef struct reqbuf {
    uint8_t *data; /* NULL once sent and not retained */
    size_t len;
} reqbuf;

struct tnd_client_call {
    tnd_client *client;
    const tnd_method_desc *method;
    tnd_call_cb cb;
    void *user;
    int refs;
    tnd_client_call *prev, *next; /* the client's list */
    tnd_cconn *conn;              /* the attempt's connection, or NULL */
    tnd_client_call *cnext;       /* the connection's list */
    uint32_t sid;                 /* 0 until CALL went out on conn */
    bool ended;
    bool half_close;      /* the caller closed its side */
    bool half_close_sent; /* on this attempt */
    bool retained;        /* every request sent so far is still in reqs */
    bool keep_response;   /* blocking layer: on_message takes the decoded struct */
    tnd_arena *arena;     /* blocking layer: responses are decoded into it, or NULL (malloc) */
    bool manual_credit;   /* blocking layer: credit given by tnd__call_consumed */
    bool writable_wanted;
    bool pending_fail;    /* the backoff timer reports a failed attempt */
    bool pending_permanent;
    bool answered;        /* this attempt ended by the server's word (STATUS, refusing GOAWAY) */
    bool keyed;           /* has an idempotency-key: a server answers a repeat from its record */
    int attempt;          /* 1, 2, ... */
    int max_attempts;
    uint64_t start_ms, deadline_ms; /* loop time; deadline 0: none */
    uv_timer_t deadline;
    uv_timer_t backoff;
    int timers_open;
    reqbuf *reqs;
    size_t n_reqs, cap_reqs;
    size_t next_send; /* index in reqs of the next message for this attempt */
    size_t retained_bytes;
    size_t delivered; /* responses handed to the caller */
    const uint8_t *cur_bytes; /* the response being delivered, as received (on_message only) */
    size_t cur_len;           /* and its length */
    int64_t send_window;
    uint32_t recv_unacked;
    tnd_md *md; /* metadata with copied keys and values */
    size_t n_md;
    char last_error[512]; /* last failed attempt, for the final message */
    uint8_t *details;     /* the STATUS details, while on_status runs */
    size_t details_len;
};

/* ---- client.c ---- */
void tnd__client_unref(tnd_client *c);
uint64_t tnd__client_random(tnd_client *c);

/** A call to from failed in a way another server may not (it cannot be
 * reached, the connection dropped, UNAVAILABLE without a writer named): new
 * connections go to the next address, round robin. Nothing with one server
 * or when the client has already moved away from `from`. */
void tnd__client_next_server(tnd_client *c, const char *from);

/** A node named the writer (x-tender-writer): new connections go there.
 * false when server is no HOST:PORT or is already where they go. */
bool tnd__client_redirect(tnd_client *c, const char *server, size_t len);

/** Is id a request id the server keeps (1 to TND_MAX_REQUEST_ID characters 0x21..0x7e)? */
bool tnd__request_id_ok(const char *id);

/* ---- conn.c ---- */
/** The connection new calls go on, opening one if needed; NULL only for ENOMEM. */
tnd_cconn *tnd__conn_get(tnd_client *c);
/** Write frames in sb to the connection (clears sb). Returns 0 or < 0 (the
 * connection is then failing). */
int tnd__conn_write(tnd_cconn *cc, msgpack_sbuffer *sb);
/* As tnd__conn_write of a MESSAGE frame, its payload written from where it
 * lies instead of copied into a frame first. */
int tnd__conn_write_message(tnd_cconn *cc, uint32_t sid, const uint8_t *payload, size_t len,
                            bool end_stream);
/** Close a connection: calls still on it fail with UNAVAILABLE and why. */
void tnd__conn_fail(tnd_cconn *cc, const char *why);
/** A connection that has no calls left and takes no new ones closes. */
void tnd__conn_maybe_idle(tnd_cconn *cc);
void tnd__conn_add_call(tnd_cconn *cc, tnd_client_call *call);
void tnd__conn_remove_call(tnd_cconn *cc, tnd_client_call *call);
/** Give back connection-level receive credit. */
void tnd__conn_credit(tnd_cconn *cc, size_t len);
/** Close every connection (client being freed). */
void tnd__conn_close_all(tnd_client *c);
/** OpenSSL's new-session callback of a client's context: keep the session
 * (the server's ticket) to offer on the next connection. */
int tnd__conn_new_session(SSL *ssl, SSL_SESSION *sess);

/* ---- call.c: events from the connection ---- */
void tnd__call_on_ready(tnd_client_call *call);           /* the connection can carry it */
void tnd__call_on_frame(tnd_client_call *call, const tnd_frame *f);
void tnd__call_on_window(tnd_client_call *call, int64_t delta);
void tnd__call_flush(tnd_client_call *call);              /* try to send what waits */
/** The attempt's connection failed or refused the stream. moved: the server
 * never saw the call, so it may go to a new connection at once. */
void tnd__call_on_conn_lost(tnd_client_call *call, const char *why, bool never_seen,
                            bool permanent);
/** Cancel with a code and message; on_status runs. */
void tnd__call_end(tnd_client_call *call, int code, const char *message);
/** The blocking layer consumed len bytes of response: give stream credit. */
void tnd__call_consumed(tnd_client_call *call, size_t len);

/* ---- retry.c ---- */
/** Upper bound of the delay before attempt number `attempt` (2, 3, ...):
 * min(max, base * 2^(attempt-2)). */
uint64_t tnd__backoff_cap(uint32_t base_ms, uint32_t max_ms, int attempt);
/** Full jitter: a uniform delay in [0, cap] from a random number. */
uint64_t tnd__backoff_delay(uint32_t base_ms, uint32_t max_ms, int attempt, uint64_t random);
/** Whether a failed call may be sent again at all: its method is
 * idempotent, or (with several servers) it carries an idempotency-key, or
 * no server saw it (unsent: it never got a stream). */
bool tnd__call_repeatable(const tnd_method_desc *m, bool keyed, bool unsent, size_t n_servers);
/** Whether a failed attempt may be retried; all conditions in one place.
 * repeatable: tnd__call_repeatable. */
bool tnd__should_retry(bool repeatable, int code, bool permanent, size_t delivered,
                       bool retained, int attempt, int max_attempts, uint64_t now_ms,
                       uint64_t delay_ms, uint64_t deadline_ms);
/** Parse "HOST:PORT" / "[V6]:PORT" into host and port. Returns 0 or TND_EINVAL. */
int tnd__split_hostport(const char *s, char *host, size_t host_len, char *port,
                        size_t port_len);

#endif
