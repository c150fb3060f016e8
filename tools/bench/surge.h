/* The bid-deadline surge benchmark (docs/BENCHMARKS.md): shared between
 * surge.c (command line, the timed phase, the report), surge_setup.c (the
 * suppliers' certificates and connections, the tender, the sealed bids) and
 * surge_verify.c (every receipt and the log checked afterwards). */
#ifndef TND_BENCH_SURGE_H
#define TND_BENCH_SURGE_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tender/client.h"
#include "tender_schema.h"

#include "hist.h"
#include "servers.h"

#define SURGE_MAX_SUPPLIERS 100000
#define SURGE_N_STATUS 17 /* OK .. UNAUTHENTICATED; one more slot for codes outside */

typedef struct surge_opts {
    bench_servers servers; /* one, or the nodes of a replicated group */
    const char *pki, *log_key, *server_log;
    long suppliers, in_flight, connect_in_flight, bid_bytes, deadline_in_s, timeout_s;
    long server_pid; /* 0: not given */
    long hold_s;     /* pause before the timed phase */
    long spread_s;   /* 0: every submission starts at once; else spread over this many seconds */
    long complaints; /* filed about the tender's conditions before the timed phase */
    bool json;
} surge_opts;

/** The client options every surge client shares: its servers and its
 * attempts (surge_attempts). */
void surge_client_opts(const surge_opts *o, tnd_client_opts *co);

/** Attempts of each call: with one server 1 (failures are counted, not
 * hidden in retries); with several, enough for a supplier at a deadline to
 * ride through a change of writer (the old one's lease expires, a new one
 * catches up: seconds, with backoff up to 5 s between attempts), so that
 * calls follow the writer across a failover (tender/client.h, "Several
 * servers"). */
#define SURGE_FAILOVER_ATTEMPTS 20
static inline int surge_attempts(const surge_opts *o)
{
    return o->servers.n > 1 ? SURGE_FAILOVER_ATTEMPTS : 1;
}

struct surge;

/* One supplier: its own certificate, connection and sealed bid. */
typedef struct supplier {
    struct surge *sg;
    char name[32];
    tnd_client *client;
    EVP_PKEY *key;
    tender_bids_v1_SealedBid bid; /* sealed before the timed phase */
    uint8_t nonce[32];
    uint64_t t_start; /* uv_hrtime() at the call's start */
    int status;       /* the call's status; -1 before it ends */
    uint8_t *receipt; /* the encoded receipt (OK calls) */
    size_t receipt_len;
} supplier;

typedef struct surge {
    surge_opts o;
    uv_loop_t loop;
    supplier *sup;
    size_t n;
    char tender_id[65];
    uint8_t opening_pk[32];
    /* the connect phase */
    size_t next, running, done, failed;
    char last_error[300];
    /* the timed phase */
    uint64_t t0, t_last;
    uint64_t *due;        /* --spread: each submission's start, ns after t0, ascending */
    uv_timer_t due_timer; /* --spread: wakes the loop for the next due start */
    bench_hist hist;
    uint64_t ok, errors[SURGE_N_STATUS + 1];
} surge;

/* What the checks after the surge found. */
typedef struct surge_check {
    uint64_t receipts_ok, receipts_bad;
    uint64_t checkpoints, consistent, inconsistent;
    uint64_t in_log, missing, unacknowledged;
    uint64_t log_size;
    char first_problem[400];
} surge_check;

/** Issue (or reuse) one supplier certificate per supplier in the PKI folder,
 * with the pki API, and load each private key. 0, or -1 with a message printed. */
int surge_issue_suppliers(surge *g);

/** One libtender client per supplier on g->loop, each with its own certificate,
 * connected (TLS handshake done) by one Health/Check each. *secs receives the
 * time that took. 0, or -1 with a message printed. */
int surge_connect(surge *g, double *secs);

/** As the officer: create and publish a tender with a 2-of-3 committee whose
 * bids close deadline_in_s from now. Sets g->tender_id and g->opening_pk. */
int surge_tender(surge *g, tnd_client *officer);

/** Seal every supplier's bid (as suppliers do on their own machines). */
int surge_seal(surge *g);

/** File o.complaints complaints about the tender's conditions, each by
 * another of the suppliers (their certificates issued), each with a text of
 * the largest size tenderd takes (the worst a tender with that many
 * complaints can cost a bid). 0, or -1 having said why. */
int surge_complaints(surge *g);

/** Verify every receipt (checkpoint signature with the log key, inclusion
 * proof, the leaf is this bid's BID_RECEIVED with the envelope's hash), each
 * receipt's checkpoint consistent with the latest one, and every acknowledged
 * bid's leaf in the latest log. c is a blocking client (tnd_client_open). */
int surge_verify(surge *g, tnd_client *c, surge_check *out);

#endif
