/* The tenderd server object and the internals shared by the transport files
 * (server.c: listener, signals, drain, method table; conn.c: one connection;
 * call.c: one call). Services see only rpc.h. The transport knows no service:
 * its owner (services.c, the composition root) registers method handlers and
 * plugs in hooks (tnd_server_hooks) for what starts and stops with it. */
#ifndef TND_SERVER_SERVER_H
#define TND_SERVER_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "frame.h"
#include "ops/clock.h"
#include "ops/metrics.h"
#include "ops/metrics_http.h"
#include "principal.h"
#include "tender/limits.h"
#include "rpc.h"
#include "tls.h"
#include "tls_stream.h"
#include "tls_ticket.h"

typedef struct tnd_conn tnd_conn;

/* The longest writer address a follower names ("HOST:PORT"). */
#define TND_WRITER_ADDR_MAX 255

#define TND_CALL_BUCKETS 256

struct tnd_conn {
    tnd_tls_stream tls; /* first: the stream's callbacks cast back to the conn */
    tnd_server *srv;
    tnd_conn *prev, *next;
    tnd_frame_reader reader;
    tnd_peer_identity peer;
    tnd_principal *principal; /* from the handshake on: whose limits this connection counts in */
    char peer_addr[64];
    char peer_ip[48];
    char peer_label[300]; /* "supplier/Acme Construction/supplier1" or "anonymous", for logs */
    bool got_settings;
    bool goaway_sent;
    bool closing;
    bool write_failed;       /* closed right after this turn's I/O (conn.c, after_write) */
    tnd_conn *failed_next;   /* in srv->write_failed */
    tnd_settings peer_settings;
    uint32_t last_stream_id; /* highest stream id the client opened */
    uint32_t goaway_last_id;
    uint32_t n_calls;
    tnd_call *calls[TND_CALL_BUCKETS]; /* active calls by stream id */
    tnd_call *blocked;                 /* calls waiting for send-window credit */
    int64_t send_window;               /* connection-level credit from the peer */
    uint32_t recv_unacked;             /* bytes received since our last WINDOW 0 */
    uint64_t last_active_ms;           /* last time a call was open or started (idle timeout) */
    uint64_t last_recv_ms;             /* last time bytes arrived (keepalive) */
    uint64_t last_progress_ms;         /* last time owed output moved (stall timeout) */
    uint64_t written_seen;             /* tls.written at that time */
    size_t upload_bytes;               /* upload memory this connection's calls hold */
    bool frames_held;                  /* frames wait in reader while output is capped */
    uint64_t ping_sent_ms;             /* keepalive PING outstanding since, or 0 */
    uint64_t last_ping_recv_ms;
    uint32_t ping_strikes;
};

struct tnd_call {
    tnd_conn *conn; /* NULL once the connection is gone */
    uint32_t sid;
    int refs;
    const tnd_method_desc *method;
    const tnd_handler *h;
    bool ended;        /* finished or cancelled: no more output */
    bool half_closed;  /* the client sent its last message */
    bool got_message;
    bool deadline_armed; /* a short deadline: the call's own timer runs */
    bool deadline_ticked; /* a long one: in the server's list, checked each tick */
    uint64_t deadline_ms; /* when a ticked deadline passes (uv_now) */
    tnd_call *dprev, *dnext; /* the server's list of ticked deadlines */
    uint8_t *head;     /* copy of the CALL frame body: metadata points into it */
    size_t head_len;
    msgpack_zone *zone;
    const msgpack_object *metadata;
    int64_t send_window;
    uint32_t recv_unacked;
    uint8_t *queued;   /* one encoded response waiting for credit */
    size_t queued_len;
    bool finish_pending; /* finish once the queued message is out */
    uint32_t fin_code;
    char *fin_msg;
    uint64_t start_ms;
    uint64_t start_ns; /* uv_hrtime() at arrival, for the latency metric */
    void *user;
    tnd_call *hnext;   /* hash chain */
    tnd_call *bnext;   /* blocked list */
    bool blocked;
    size_t upload_bytes; /* upload memory reserved (tnd_call_upload_reserve) */
    uint64_t last_recv_ms; /* the last MESSAGE from the client (stall timeout) */
    uv_timer_t deadline;
    char request_id[TND_MAX_REQUEST_ID + 1];
    tnd_arena arena; /* the call's memory (tnd_call_arena), freed when it ends */
    tnd_arena msgs;  /* each message of a request stream, until its on_message returns */
};

typedef struct tnd_health_watch tnd_health_watch;
typedef struct tnd_server_hooks tnd_server_hooks;
typedef struct tnd_store tnd_store;
typedef struct tnd_scheduler tnd_scheduler;
typedef struct tnd_idem_pruner tnd_idem_pruner;
typedef struct tnd_tlog tnd_tlog;

struct tnd_server {
    uv_loop_t *loop;
    tnd_config cfg;
    SSL_CTX *ssl_ctx;
    tnd_tls_tickets *tickets; /* session-ticket keys, kept across reloads; NULL: no resumption */
    uv_tcp_t listener;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t grace_timer;
    uv_timer_t conn_tick; /* every connection's timeouts (conn.c) */
    uv_check_t conn_closer; /* closes the connections whose write failed (conn.c) */
    tnd_conn *write_failed;
    tnd_conn *conns;
    uint32_t n_conns;
    tnd_call *ticked_deadlines; /* calls whose deadline the tick checks (call.c) */
    bool draining;
    bool stopped;
    const tnd_schema_desc *schemas[4]; /* where method names are looked up */
    size_t n_schemas;
    const tnd_handler **handlers;
    size_t n_handlers, cap_handlers;
    uint64_t next_request_id;
    size_t upload_bytes; /* buffered by uploads in progress (cfg.max_upload_memory) */
    size_t output_bytes; /* unsent output of every connection (cfg.max_output_memory) */
    tnd_principals principals;
    /* Replicated mode (docs/SCALING.md): a node that is not the writer
     * refuses write methods (tnd_method_desc.writes) before their handler
     * runs and names the writer; writer[0] == '\0': unknown. */
    bool is_writer;
    char writer[TND_WRITER_ADDR_MAX + 1];
    tnd_metrics *metrics;           /* always kept; served only with --metrics */
    tnd_metrics_http *metrics_http; /* the --metrics listener, or NULL */
    const tnd_server_hooks *hooks;  /* the owner's (services.c), or NULL */
    /* The wall clock (ops/clock.h) of everything that dates: NULL is the
     * real one. The owner sets it; the transport does not read it. */
    const tnd_clock *clock;
    /* The services' state, built and torn down by services.c: the
     * transport never touches it. */
    tnd_health_watch *watches; /* Health/Watch calls to notify */
    int serving;               /* tender.health.v1 ServingStatus of the server */
    tnd_store *store;
    tnd_scheduler *scheduler;
    tnd_idem_pruner *idem_pruner;
    tnd_tlog *tlog;
    struct tnd_bid_verifier *bid_verifier; /* bids/bid_verify.h: made on first use */
    struct tnd_http *http;          /* the --http listener, or NULL */
    struct tnd_backup_job *backup_job; /* the Admin/Backup child running, or NULL */
    struct tnd_replica *replica;       /* --store postgresql://: the replicated mode, or NULL */
    int exit_status;                   /* what tenderd exits with once the loop stops */
};

/* What the owner of a server plugs into the transport. Each hook may be
 * NULL; all run on the loop thread. */
struct tnd_server_hooks {
    /** tnd_server_start, after the metrics listener and before the server
     * binds its own (e.g. the --http listener). 0, or a code with err. */
    int (*before_listen)(tnd_server *srv, char *err, size_t err_len);
    /** tnd_server_start, once listening (e.g. the services' timers). */
    int (*after_listen)(tnd_server *srv, char *err, size_t err_len);
    /** A drain began (e.g. health reports NOT_SERVING). */
    void (*draining)(tnd_server *srv);
    /** tnd_server_shutdown: stop what the owner started and close what it
     * opened. Runs again from tnd_server_free, and on a server that never
     * started: it must tolerate both. */
    void (*shutdown)(tnd_server *srv);
};

/** Create a server on loop with cfg: the method schema, metrics and the
 * TLS context (certificate, key, CA, CRL). hooks (may be NULL) must outlive
 * the server. Returns 0, or TND_ENOMEM, TND_ETLS (a certificate, key or CA
 * that cannot be used) or the CRL loader's code, with a message in err.
 * tenderd itself is built by tnd_services_new (services.h). */
int tnd_server_new(uv_loop_t *loop, const tnd_config *cfg, const tnd_server_hooks *hooks,
                   tnd_server **out, char *err, size_t err_len);

/** Bind and listen; installs signal handlers. Returns 0, or TND_EINVAL (an
 * address that does not parse), TND_EIO (cannot listen: the message names
 * the address and the system's reason), or a hook's code, with err. */
int tnd_server_start(tnd_server *srv, char *err, size_t err_len);

/** The port actually bound (useful with port 0). */
int tnd_server_port(const tnd_server *srv);

/** The metrics listener's port, or -1 when --metrics is off. */
int tnd_server_metrics_port(const tnd_server *srv);

/** Begin a graceful drain: GOAWAY to every connection, close the listener,
 * finish in-flight calls within cfg.grace_ms, then stop the loop. */
void tnd_server_drain(tnd_server *srv);

/** Build a new TLS context from the configured files; keep the old on failure. */
int tnd_server_reload_tls(tnd_server *srv);
/** Close connections whose client certificate no longer verifies under the
 * current TLS context (after a reload: a new CRL or CA); peer_recheck.c. */
void tnd__server_recheck_peers(tnd_server *srv);

/** After the loop stopped: stop the metrics listener, then the owner's
 * shutdown hook (timers, queued writes, the store). */
void tnd_server_shutdown(tnd_server *srv);

void tnd_server_free(tnd_server *srv);

/** Whether this node is the writer (loop thread, any time; the default is
 * true, so a single node serves everything). A node that is not refuses
 * every call to a write method ([writes] in the schema) with UNAVAILABLE,
 * before its handler runs, with the message "not the writer; the writer is
 * HOST:PORT" and the trailer x-tender-writer: HOST:PORT, or, with writer
 * NULL (unknown: the nodes are choosing one), a message saying so and no
 * trailer. writer is copied; one that is not 1 to TND_WRITER_ADDR_MAX
 * printable ASCII characters without spaces counts as unknown. Reads are
 * served either way; calls already running are not touched. */
void tnd_server_set_writer(tnd_server *srv, bool is_writer, const char *writer);

/** Register a method handler (the method must exist in the schema). */
int tnd_server_register(tnd_server *srv, const tnd_handler *h);

const tnd_handler *tnd__server_find_handler(const tnd_server *srv, const tnd_method_desc *m);

/** Serve methods of another compiled schema too (tests add theirs). */
int tnd_server_add_schema(tnd_server *srv, const tnd_schema_desc *schema);

/** Find a method by wire name in the server's schemas; NULL if unknown. */
const tnd_method_desc *tnd__server_find_method(const tnd_server *srv, const char *full_name);

/* ---- transport internals ---- */
/** Parse "HOST:PORT" (an IPv4 address, [IPv6] or localhost) given with flag. */
int tnd__parse_hostport(const char *flag, const char *spec, struct sockaddr_storage *ss, char *err,
                        size_t err_len);
uint64_t tnd__now_ms(const tnd_server *srv);
void tnd__conn_accept(tnd_server *srv);
void tnd__conns_tick_start(tnd_server *srv); /* handshake, idle, stall, keepalive */
void tnd__calls_tick(tnd_server *srv, uint64_t now_ms); /* long deadlines (call.c) */
void tnd__conn_goaway(tnd_conn *c, uint32_t code, const char *message);
void tnd__conn_close(tnd_conn *c);
void tnd__conn_send(tnd_conn *c, msgpack_sbuffer *frames); /* write and clear */
/* As tnd__conn_send of a MESSAGE frame, its payload written from where it
 * lies instead of copied into a frame first. */
void tnd__conn_send_message(tnd_conn *c, uint32_t sid, const uint8_t *payload, size_t len,
                            bool end_stream);
void tnd__conn_maybe_done(tnd_conn *c); /* draining and no calls: close */
/** True when c may not produce more output now: its own unsent output is
 * above cfg.high_water, or all connections' is above cfg.max_output_memory. */
bool tnd__conn_output_capped(const tnd_conn *c);

/* call.c: create/route calls from conn.c */
void tnd__call_start(tnd_conn *c, const tnd_frame *f, const uint8_t *body, size_t len);
void tnd__call_on_message(tnd_call *call, const tnd_frame *f);
void tnd__call_on_cancel(tnd_call *call, tnd_status why, const char *message);
void tnd__call_window_opened(tnd_call *call, uint32_t increment);
void tnd__call_flush_blocked(tnd_conn *c);
/** Cancel c's uploads that received nothing for cfg.stall_timeout_ms. */
void tnd__call_cancel_stalled_uploads(tnd_conn *c, uint64_t now);
tnd_call *tnd__conn_find_call(tnd_conn *c, uint32_t sid);
void tnd__conn_track_call(tnd_conn *c, tnd_call *call);
void tnd__conn_untrack_call(tnd_conn *c, tnd_call *call);

/** The transport's own service, tender.reflection.v1 (reflection_service.c). */
int tnd_reflection_register(tnd_server *srv);

#endif
