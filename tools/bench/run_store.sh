#!/bin/sh
# The second half of `make bench` (docs/BENCHMARKS.md): the bid-deadline surge,
# reads and inclusion proofs over a seeded database, the public HTTP listener's
# tender JSON and log tiles beside Tenders/Get, memory per idle TLS connection, full and resumed TLS handshakes per second, and `openssl speed ed25519` for
# scale. A throwaway PKI and databases in a temporary folder; tenderd on free
# loopback ports; tables at the end.
#
#   tools/bench/run_store.sh          quick sizes (2,000 suppliers all at once, three runs,
#                                     then over 12 s; 100,000 tenders and leaves, 1,000 idle
#                                     connections, 3 s per point)
#   tools/bench/run_store.sh --full   10,000 suppliers all at once (three runs), then over 60 s;
#                                     100,000 tenders, 1,000,000 leaves,
#                                     10,000 idle connections, 30 s per point
#
# BUILD (default build) is where the binaries are. Servers are stopped and the
# folder removed however the script ends.
set -eu

BUILD=${BUILD:-build}
BIN=$BUILD/bin
FULL=0
case "${1:-}" in
--full) FULL=1 ;;
"") ;;
*)
    echo "usage: tools/bench/run_store.sh [--full]" >&2
    exit 2
    ;;
esac

for b in tenderd tenderctl surge benchseed readbench connbench httpbench; do
    if [ ! -x "$BIN/$b" ]; then
        echo "run_store.sh: $BIN/$b is missing; run make bench" >&2
        exit 1
    fi
done

if [ $FULL = 1 ]; then
    SUPPLIERS=10000 TENDERS=100000 LEAVES=1000000 IDLE=10000 DURATION=30 WARMUP=3 SPEED=10
    SPREAD=60 # the surge again, arriving over the last minute
    HTTP_REQUESTS=200000
else
    SUPPLIERS=2000 TENDERS=100000 LEAVES=100000 IDLE=1000 DURATION=3 WARMUP=1 SPEED=2
    SPREAD=12 # the arrival rate of 10,000 bids over a minute
    HTTP_REQUESTS=15000
fi
PUBLISHED=16 # tenders published with tenderctl before seeding: the HTTP API serves no drafts

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tender-bench.XXXXXX")
chmod 711 "$DIR" # the PostgreSQL pair runs as the postgres user: it must reach DIR/pg
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
PGPAIR=$(dirname "$0")/../../tests/ha/pgpair
PG_STARTED=
PG_URI=
cleanup() {
    stop_server
    if [ -n "$PG_STARTED" ]; then "$PGPAIR" stop "$DIR/pg" >/dev/null 2>&1 || true; fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each connection is a descriptor in tenderd and in the client: use the hard limit.
# (dash and bash have ulimit -n and -H, which POSIX leaves out.)
# shellcheck disable=SC3045
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck disable=SC3045
NOFILE=$(ulimit -n)
NEED=$((IDLE > SUPPLIERS ? IDLE + 100 : SUPPLIERS + 100))
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt "$NEED" ]; then
    echo "run_store.sh: the open-file limit $NOFILE is below the $NEED needed;" \
        "raise the hard limit (ulimit -Hn, limits.conf)" >&2
    exit 1
fi

"$BIN/tenderctl" pki init "$DIR/pki" >/dev/null
PKI=$DIR/pki

# start_server DB LEVEL [flags]: tenderd on a free port; SERVER, SERVER_PID set.
start_server() {
    db=$1 level=$2
    shift 2
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    SERVER=127.0.0.1:$PORT
    "$BIN/tenderd" --listen "$SERVER" --cert "$PKI/server.crt" --key "$PKI/server.key" \
        --ca "$PKI/ca.crt" --db "$db" --log-level "$level" "$@" 2>"$db.log" &
    SERVER_PID=$!
    tries=0
    until TENDER_SERVER=$SERVER TENDER_CA=$PKI/ca.crt "$BIN/tenderctl" --timeout 1 health \
        >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -ge 300 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "run_store.sh: tenderd did not come up on $SERVER; its log:" >&2
            tail -20 "$db.log" >&2
            exit 1
        fi
        sleep 0.2
    done
}

RESULTS=$DIR/results.jsonl
: >"$RESULTS"
# tagged KIND: run a benchmark, prefix its JSON line with {"kind":KIND,...}
tagged() {
    kind=$1
    shift
    if ! out=$("$@"); then
        echo "run_store.sh: $kind failed: $*" >&2
        exit 1
    fi
    printf '%s\n' "$out" | sed "s/^{/{\"kind\":\"$kind\",\"store\":\"${STORE_TAG:-lmdb}\",/" >>"$RESULTS"
}

echo "client and servers on this machine, $(nproc) CPUs; open-file limit $NOFILE"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the surge: a fresh database; info level for the "group commit" lines ----
# All at once SURGE_RUNS times (the first run issues the certificates, the others reuse
# them), each against a fresh tenderd and database: on a shared machine one run can land
# on a slow moment, so the table shows each run and the median of them.
SURGE_RUNS=3
run=1
while [ $run -le $SURGE_RUNS ]; do
    echo "surge: $SUPPLIERS suppliers (run $run of $SURGE_RUNS) ..." >&2
    LOG_KEY=$("$BIN/tenderd" --print-log-key --db "$DIR/surge-$run" 2>/dev/null)
    start_server "$DIR/surge-$run" info --min-tender-period 10 \
        --max-connections $((SUPPLIERS + 100))
    tagged surge "$BIN/surge" --server "$SERVER" --pki "$PKI" --suppliers "$SUPPLIERS" \
        --log-key "$LOG_KEY" --server-pid "$SERVER_PID" --server-log "$DIR/surge-$run.log" --json
    stop_server
    run=$((run + 1))
done
# The same suppliers (certificates reused), a fresh database (so that the log
# holds only this run's bids): the bids arrive at random over SPREAD seconds.
echo "surge: $SUPPLIERS suppliers over $SPREAD s ..." >&2
LOG_KEY=$("$BIN/tenderd" --print-log-key --db "$DIR/surge-spread" 2>/dev/null)
start_server "$DIR/surge-spread" info --min-tender-period 10 --max-connections $((SUPPLIERS + 100))
tagged surge "$BIN/surge" --server "$SERVER" --pki "$PKI" --suppliers "$SUPPLIERS" \
    --spread "$SPREAD" --log-key "$LOG_KEY" --server-pid "$SERVER_PID" \
    --server-log "$DIR/surge-spread.log" --json
stop_server
# All at once again, on a tender with the most complaints it may have (100, each with the
# longest text), filed about its conditions before the timed phase: a bid must not pay for them.
echo "surge: $SUPPLIERS suppliers, 100 complaints on the tender ..." >&2
LOG_KEY=$("$BIN/tenderd" --print-log-key --db "$DIR/surge-complaints" 2>/dev/null)
start_server "$DIR/surge-complaints" info --min-tender-period 10 --complaint-lead 60s \
    --max-connections $((SUPPLIERS + 100))
tagged surge "$BIN/surge" --server "$SERVER" --pki "$PKI" --suppliers "$SUPPLIERS" \
    --complaints 100 --log-key "$LOG_KEY" --server-pid "$SERVER_PID" \
    --server-log "$DIR/surge-complaints.log" --json
stop_server

# ---- 1b. the same surge on the replicated store: PostgreSQL primary with a
# synchronous standby (tests/ha/pgpair, fsync on), one tenderd node, every
# batch committed there before it is acknowledged (docs/SCALING.md) ----
if [ -x "$PGPAIR" ] && "$PGPAIR" start "$DIR/pg" >"$DIR/pg.out" 2>&1; then
    PG_STARTED=1
    PG_URI=$("$PGPAIR" uri "$DIR/pg")
    echo "surge: $SUPPLIERS suppliers, --store postgresql (primary and synchronous standby) ..." >&2
    LOG_KEY=$("$BIN/tenderd" --print-log-key --db "$DIR/surge-pg" 2>/dev/null)
    start_server "$DIR/surge-pg" info --min-tender-period 10 \
        --max-connections $((SUPPLIERS + 100)) --store "$PG_URI"
    STORE_TAG=postgresql tagged surge "$BIN/surge" --server "$SERVER" --pki "$PKI" \
        --suppliers "$SUPPLIERS" --log-key "$LOG_KEY" --server-pid "$SERVER_PID" \
        --server-log "$DIR/surge-pg.log" --json
    stop_server
    "$PGPAIR" stop "$DIR/pg" >/dev/null 2>&1 || true
    PG_STARTED=
else
    echo "run_store.sh: no PostgreSQL pair (tests/ha/pgpair; make deps installs PostgreSQL):" \
        "the replicated surge is skipped" >&2
    cat "$DIR/pg.out" >&2 2>/dev/null || true
fi

# ---- 1c. the time without a writer: the failover test at a small size (three
# nodes on a PostgreSQL pair, the writer SIGKILLed three times, the primary once) ----
if [ -n "$PG_URI" ]; then
    echo "failover: 3 nodes, 300 suppliers over 30 s ..." >&2
    if HA_SUPPLIERS=300 HA_SPREAD=30 "$(dirname "$0")/../../tests/ha/test_failover.py" \
        >"$DIR/failover.out" 2>&1; then
        sed -n 's/^result {/{"kind":"failover",/p' "$DIR/failover.out" >>"$RESULTS"
    else
        echo "run_store.sh: the failover test failed:" >&2
        tail -20 "$DIR/failover.out" >&2
        exit 1
    fi
fi

# ---- 2. reads and proofs over a seeded database ----
# First PUBLISHED published tenders (ids 1 to PUBLISHED), created and published with tenderctl:
# the HTTP comparison reads those, over HTTP and over RPC.
echo "publishing $PUBLISHED tenders with tenderctl ..." >&2
start_server "$DIR/read" warn
ctl() {
    TENDER_SERVER=$SERVER TENDER_CA=$PKI/ca.crt TENDER_CERT=$PKI/officer.crt \
        TENDER_KEY=$PKI/officer.key "$BIN/tenderctl" "$@"
}
printf 'officer %s\nadmin %s\n' "$(ctl keys gen officer --dir "$DIR/keys" | head -1)" \
    "$(ctl keys gen admin --dir "$DIR/keys" | head -1)" >"$DIR/members.txt"
day() { python3 -c 'import datetime, sys; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }
ENQUIRY=$(day 29) DEADLINE=$(day 30) OPENING=$(day 31)
i=0
while [ $i -lt $PUBLISHED ]; do
    i=$((i + 1))
    id=$(ctl tender create --title "Published tender $i" --description "Road maintenance, lot $i." \
        --budget 250000 --currency EUR --deadline "$DEADLINE" --opening "$OPENING" \
        --enquiry-deadline "$ENQUIRY" --cpv 45233141-9 --committee "$DIR/members.txt" \
        --threshold 2 | head -1)
    [ -n "$id" ] || exit 1 # tenderctl said why
    ctl tender publish "$id" >/dev/null
done
ID_PREFIX=${id%??????} # T-YEAR-
stop_server
echo "seeding $TENDERS tenders in-process ..." >&2
"$BIN/benchseed" --db "$DIR/read" --pki "$PKI" --tenders "$TENDERS" >"$DIR/seed.txt"
HTTP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
METRICS=127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_server "$DIR/read" warn --max-connections $((IDLE + 100)) \
    --max-connections-per-identity $((IDLE + 100)) --http "127.0.0.1:$HTTP_PORT" \
    --metrics "$METRICS"
READ="--server $SERVER --ca $PKI/ca.crt --cert $PKI/officer.crt --key $PKI/officer.key
      --duration $DURATION --warmup $WARMUP --server-pid $SERVER_PID --json"
for p in 1x1 1x32; do
    echo "get $p ..." >&2
    # shellcheck disable=SC2086 # READ is a list of words
    tagged get "$BIN/readbench" $READ --method get --tenders "$TENDERS" \
        --connections "${p%x*}" --concurrency "${p#*x}"
done
if [ "$LEAVES" -gt "$TENDERS" ]; then
    stop_server
    echo "seeding $((LEAVES - TENDERS)) more tenders (log leaves) in-process ..." >&2
    "$BIN/benchseed" --db "$DIR/read" --pki "$PKI" --tenders $((LEAVES - TENDERS)) \
        >>"$DIR/seed.txt"
    start_server "$DIR/read" warn --max-connections $((IDLE + 100)) \
        --max-connections-per-identity $((IDLE + 100)) --http "127.0.0.1:$HTTP_PORT" \
        --metrics "$METRICS"
    READ="--server $SERVER --ca $PKI/ca.crt --cert $PKI/officer.crt --key $PKI/officer.key
          --duration $DURATION --warmup $WARMUP --server-pid $SERVER_PID --json"
fi
# --metrics (the read server's listener): readbench also reports the server-side time of
# each proof, from the call's arrival to its end (tenderd_call_duration_seconds).
for p in 1x1 1x32; do
    echo "proof $p ..." >&2
    # shellcheck disable=SC2086
    tagged proof "$BIN/readbench" $READ --method proof --connections "${p%x*}" \
        --concurrency "${p#*x}" --metrics "$METRICS"
done

# ---- 2b. the public HTTP listener beside the RPC, on the same server and data ----
# A tender's JSON (/api/v1/tenders/ID) and a full level-0 tile (/log/tile/0/NNN) over
# keep-alive HTTP/1.1, one request at a time per connection, against Tenders/Get of the
# same tenders over tender/1, one call at a time per connection.
SIZE=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1]).read().decode().split("\n")[1])' \
    "http://127.0.0.1:$HTTP_PORT/log/checkpoint") # origin, size, root hash, signatures
TILES=$((SIZE / 256 < 1000 ? SIZE / 256 : 1000)) # three-digit tile numbers
for c in 1 8; do
    echo "http beside rpc, $c connection(s) ($(date -u +%T)) ..." >&2
    # shellcheck disable=SC2086
    tagged rpc_get "$BIN/readbench" $READ --method get --tenders "$PUBLISHED" --connections "$c" \
        --concurrency 1
    HTTP="--server 127.0.0.1:$HTTP_PORT --connections $c --requests $((HTTP_REQUESTS / c))
          --warmup $((1000 / c)) --server-pid $SERVER_PID --json"
    # shellcheck disable=SC2086
    tagged http_tender "$BIN/httpbench" $HTTP --path "/api/v1/tenders/$ID_PREFIX{6}" \
        --range "1:$PUBLISHED"
    # shellcheck disable=SC2086
    tagged http_tile "$BIN/httpbench" $HTTP --path "/log/tile/0/{3}" --range "0:$TILES"
    # A tender's OCDS package: its events come from the tender_events index, so its cost
    # follows the tender, not the log's length. A tenth of the requests: each is larger.
    HTTP="--server 127.0.0.1:$HTTP_PORT --connections $c --requests $((HTTP_REQUESTS / c / 10))
          --warmup $((100 / c)) --server-pid $SERVER_PID --json"
    # shellcheck disable=SC2086
    tagged http_ocds "$BIN/httpbench" $HTTP --path "/api/v1/tenders/$ID_PREFIX{6}/ocds" \
        --range "1:$PUBLISHED"
done

# ---- 3. connections: idle memory, then full and resumed handshakes ----
echo "http beside rpc done ($(date -u +%T))" >&2
echo "$IDLE idle connections ..." >&2
CONN="--server $SERVER --ca $PKI/ca.crt --cert $PKI/supplier.crt --key $PKI/supplier.key
      --server-pid $SERVER_PID --json"
# shellcheck disable=SC2086
tagged idle "$BIN/connbench" $CONN --mode idle --connections "$IDLE"
stop_server
start_server "$DIR/read" warn
CONN="--server $SERVER --ca $PKI/ca.crt --cert $PKI/supplier.crt --key $PKI/supplier.key
      --server-pid $SERVER_PID --json"
echo "handshakes ..." >&2
# shellcheck disable=SC2086
tagged handshake "$BIN/connbench" $CONN --mode handshake --duration "$DURATION" --concurrency 8
# Full handshakes again, each with a certificate new to tenderd (its verification cache cold), as
# suppliers who each connect once at a deadline; the certificates are issued before the timing.
echo "handshakes, a new certificate each ..." >&2
# shellcheck disable=SC2086
tagged handshake "$BIN/connbench" $CONN --mode handshake --duration "$DURATION" --concurrency 8 \
    --only full --pki "$PKI" --identities $((DURATION * 1000))
stop_server

# ---- 4. the machine's Ed25519 speed, for scale ----
echo "openssl speed ed25519 ..." >&2
openssl speed -seconds "$SPEED" ed25519 2>/dev/null | awk -v q='"' '
    /Ed25519/ && NF >= 4 && $(NF-1) ~ /^[0-9.]+$/ {
        printf "{%skind%s:%sspeed%s,%ssign_per_s%s:%s,%sverify_per_s%s:%s}\n",
            q, q, q, q, q, q, $(NF-1), q, q, $NF }' >>"$RESULTS"

echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seeding: $(tr '\n' ' ' <"$DIR/seed.txt")"
echo

python3 - "$RESULTS" <<'EOF'
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]

def table(head, body):
    w = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i])
                                       for i, c in enumerate(r)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in body:
        print(line(r))
    print()

surges = [r for r in rows if r["kind"] == "surge"]

def us_per_bid(s):
    """tenderd's CPU per acknowledged bid in us, or None when not measured."""
    cpu = s.get("server_cpu_s", -1)
    return cpu * 1e6 / s["acknowledged"] if cpu >= 0 and s["acknowledged"] else None

if surges:
    print("Bid-deadline surge: %d suppliers (own certificate and connection each), one tender "
          "per run; CPU per bid is tenderd's user+system time over the timed phase"
          % surges[0]["suppliers"])
    body = []
    for s in surges:
        lat, b = s["latency_ms"], s.get("batches", {})
        errs = ", ".join("%s %d" % kv for kv in sorted(s["errors"].items())) or "0"
        cpu = s.get("server_cpu_s", -1)
        body.append([
            s.get("store", "lmdb"),
            ("spread over %d s" % s["spread_s"] if s.get("spread_s") else "all at once")
            + (", %d complaints" % s["complaints"] if s.get("complaints") else ""),
            s["in_flight"], s["acknowledged"], "%.0f" % s["bids_per_s"], "%.1f" % lat["p50"],
            "%.1f" % lat["p90"], "%.1f" % lat["p99"], "%.1f" % lat["max"], b.get("count", "-"),
            "%.1f" % b["mean"] if b else "-", b.get("max", "-"),
            "%.1f" % b["mean_ms"] if b else "-", "%.2f" % cpu,
            "%.0f" % us_per_bid(s) if us_per_bid(s) is not None else "-",
            errs])
    table(["store", "arrival", "in flight", "acked", "durable bids/s", "p50 ms", "p90 ms", "p99 ms",
           "max ms", "batches", "mean batch", "max batch", "ms/batch", "srv CPU s",
           "srv CPU us/bid", "errors"], body)
    # The repeated plain run (LMDB, all at once, no complaints): its median.
    plain = [s for s in surges if s.get("store", "lmdb") == "lmdb" and not s.get("spread_s")
             and not s.get("complaints")]
    if len(plain) > 1:
        rates = sorted(s["bids_per_s"] for s in plain)
        cpus = sorted(us_per_bid(s) for s in plain if us_per_bid(s) is not None)
        print("lmdb, all at once, %d runs: median %.0f durable bids/s (%s), median %s us of "
              "tenderd CPU per bid (%s)"
              % (len(plain), rates[len(rates) // 2], " / ".join("%.0f" % r for r in rates),
                 "%.0f" % cpus[len(cpus) // 2] if cpus else "-",
                 " / ".join("%.0f" % c for c in cpus)))
    for s in surges:
        c = s.get("check", {})
        print("%s, %s: connected in %.1f s (%.0f handshakes/s), sealed in %.1f s; checked: %d "
              "receipts verified, %d bad, %d/%d checkpoints consistent with the latest (size %d), "
              "%d acknowledged bids in the log, %d missing, %d unacknowledged"
              % (s.get("store", "lmdb"),
                 "spread over %d s" % s["spread_s"] if s.get("spread_s") else "all at once",
                 s["connect_s"], s["suppliers"] / s["connect_s"], s["seal_s"],
                 c.get("receipts_ok", 0), c.get("receipts_bad", 0), c.get("consistent", 0),
                 c.get("checkpoints", 0), c.get("log_size", 0), c.get("in_log", 0),
                 c.get("missing", 0), c.get("unacknowledged", 0)))
    print()

for f in [r for r in rows if r["kind"] == "failover"]:
    print("Failover (tests/ha/test_failover.py, %d suppliers over %d s, --lease-ttl %s): time "
          "without a writer after a SIGKILL of the writer %s; after a SIGKILL of the PostgreSQL "
          "primary (standby promoted), batches commit again after %s; %s of %d suppliers got "
          "their receipt, errors %s"
          % (f["suppliers"], f["spread_s"], f["lease_ttl"],
             ", ".join("%.2f s" % g for g in f["writer_kills_s"] if g is not None),
             "%.2f s" % f["primary_kill_s"] if f["primary_kill_s"] is not None else "never",
             f["acknowledged"], f["suppliers"], f["errors"] or "none"))
    print()

reads = [r for r in rows if r["kind"] in ("get", "proof")]
if reads:
    print("Reads over a seeded database (random ids / random leaves)")
    table(["call", "stored", "conns", "in flight", "calls/s", "p50 us", "p99 us", "p99.9 us",
           "max us", "srv CPU s/1k calls", "errors"],
          [["Tenders/Get" if r["kind"] == "get" else "Log/GetInclusionProof",
            "%d tenders" % r["tenders"] if r["kind"] == "get" else "%d leaves" % r["tree_size"],
            r["connections"], r["concurrency"], "%.0f" % r["calls_per_s"],
            "%.0f" % r["latency_us"]["p50"], "%.0f" % r["latency_us"]["p99"],
            "%.0f" % r["latency_us"]["p99_9"], "%.0f" % r["latency_us"]["max"],
            "%.3f" % r.get("server_cpu_s_per_1000_calls", -1), r["errors"]] for r in reads])
    side = [r for r in reads if "server_side" in r]
    if side:
        print("Inclusion proofs inside tenderd (tenderd_call_duration_seconds over the window: "
              "from the call's arrival to its end; bounds are the histogram's)")
        table(["leaves", "conns", "in flight", "calls", "mean us", "p50 <= us", "p99 <= us",
               "within 100 us"],
              [[r["tree_size"], r["connections"], r["concurrency"], r["server_side"]["calls"],
                "%.1f" % r["server_side"]["mean_us"], "%.0f" % r["server_side"]["p50_le_us"],
                "%.0f" % r["server_side"]["p99_le_us"],
                "%.2f%%" % (100 * r["server_side"]["within_100us"])] for r in side])

rpc = {r["connections"]: r for r in rows if r["kind"] == "rpc_get"}
http = [r for r in rows if r["kind"] in ("http_tender", "http_tile", "http_ocds")]
if http:
    print("The public HTTP listener beside the RPC (one request or call at a time per connection)")
    body = []
    for r in list(rpc.values()) + http:
        l = r["latency_us"]
        what = {"rpc_get": "Tenders/Get (tender/1)", "http_tender": "GET /api/v1/tenders/ID",
                "http_tile": "GET /log/tile/0/NNN",
                "http_ocds": "GET /api/v1/tenders/ID/ocds"}[r["kind"]]
        body.append([what, r["connections"], r.get("answer_bytes", "-"),
                     "%.0f" % r["calls_per_s"], "%.0f" % l["p50"],
                     "%.0f" % l["p99"], "%.0f" % l["max"],
                     "%.3f" % r.get("server_cpu_s_per_1000_calls", -1),
                     r["errors"] if isinstance(r["errors"], int) else (r["errors"] or 0)])
    table(["call", "conns", "answer bytes", "calls/s", "p50 us", "p99 us", "max us",
           "srv CPU s/1k calls", "errors"], body)
    print("HTTP / RPC (calls/s: above 1 favours HTTP; p99: below 1 does)")
    ratios = []
    for r in http:
        g = rpc.get(r["connections"]) if r["kind"] != "http_ocds" else None
        if g:
            ratios.append([r["kind"][5:], r["connections"],
                           "%.2f" % (r["calls_per_s"] / g["calls_per_s"]),
                           "%.2f" % (r["latency_us"]["p99"] / g["latency_us"]["p99"])])
    table(["http", "conns", "calls/s", "p99"], ratios)

for r in [r for r in rows if r["kind"] == "idle"]:
    print("Idle TLS connections: %d open (in %.1f s); tenderd RSS %d KiB -> %d KiB: "
          "%.1f KiB per connection; failed %d"
          % (r["connections"], r["open_s"], r["rss_before_kib"], r["rss_after_kib"],
             r["bytes_per_connection"] / 1024.0, r["failed"]))
for r in [r for r in rows if r["kind"] == "handshake"]:
    certs = r.get("certificates", 1)
    print("%s TLS 1.3 handshakes (client certificate%s, new connection + one Health/Check each, "
          "%d at once): %.0f/s over %.1f s; p50 %.1f ms, p99 %.1f ms; tenderd %.3f ms CPU and "
          "client %.3f ms CPU per handshake; failed %d, not resumed %d"
          % ("Resumed" if r.get("handshake") == "resumed" else "Full",
             ", the same one" if certs == 1 else
             (", %d different ones%s" % (certs, ", each new to tenderd"
                                         if r.get("new_clients", 0) <= certs else "")),
             r["concurrency"], r["per_s"], r["duration_s"], r["p50_ms"], r["p99_ms"],
             r["server_cpu_ms_per_handshake"], r["client_cpu_ms_per_handshake"], r["failed"],
             r.get("not_resumed", 0)))
for r in [r for r in rows if r["kind"] == "speed"]:
    print("openssl speed ed25519 (one core): %.0f signs/s, %.0f verifies/s"
          % (r["sign_per_s"], r["verify_per_s"]))
EOF
