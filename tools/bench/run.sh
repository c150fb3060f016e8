#!/bin/sh
# The `make bench` driver (docs/BENCHMARKS.md): a throwaway PKI and database in a
# temporary folder, tenderd on a free loopback port, a matrix of loadgen runs, one table.
# When the gRPC C++ peer is built (make bench-peer), it runs beside tenderd with the same
# certificate and as many leaves of the same size; every point runs against tenderd, then
# against the peer, with the same connections and calls in flight, and a second table
# gives the ratios tenderd / gRPC.
#
#   tools/bench/run.sh           quick: 5 s per point after 1 s of warm-up
#   tools/bench/run.sh --full    30 s per point after 3 s of warm-up, more points
#
# BUILD (default build) is where the binaries are. The servers are stopped and the
# folder removed however the script ends.
set -eu

BUILD=${BUILD:-build}
BIN=$BUILD/bin
FULL=0
case "${1:-}" in
--full) FULL=1 ;;
"") ;;
*)
    echo "usage: tools/bench/run.sh [--full]" >&2
    exit 2
    ;;
esac

for b in tenderd tenderctl loadgen rttfloor; do
    if [ ! -x "$BIN/$b" ]; then
        echo "run.sh: $BIN/$b is missing; run make bench" >&2
        exit 1
    fi
done
GRPC=1
if [ ! -x "$BIN/grpc_peer" ] || [ ! -x "$BIN/grpc_loadgen" ]; then
    GRPC=0
    echo "run.sh: no gRPC C++ peer ($BIN/grpc_peer, $BIN/grpc_loadgen): measuring tenderd" \
        "alone; make deps-bench && make bench-peer builds it" >&2
fi

# connections x concurrency; 1x1 is the ping-pong point (one call at a time)
if [ $FULL = 1 ]; then
    DURATION=30 WARMUP=3 SEED=2000
    POINTS="1x1 1x8 1x32 8x32 32x32 64x16"
    STREAM_POINTS="1x1 8x4"
else
    DURATION=5 WARMUP=1 SEED=1000
    POINTS="1x1 1x32 8x32"
    STREAM_POINTS="1x4"
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tender-bench.XXXXXX")
SERVER_PID='' PEER_PID=''
cleanup() {
    for pid in $SERVER_PID $PEER_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN/tenderctl" pki init "$DIR/pki" >/dev/null

# A free port: bind port 0, read the number, let it go (the server takes it a moment later).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SERVER=127.0.0.1:$(free_port)

"$BIN/tenderd" --listen "$SERVER" --cert "$DIR/pki/server.crt" --key "$DIR/pki/server.key" \
    --ca "$DIR/pki/ca.crt" --db "$DIR/db" --log-level warn 2>"$DIR/tenderd.log" &
SERVER_PID=$!

export TENDER_SERVER="$SERVER" TENDER_CA="$DIR/pki/ca.crt"
tries=0
until "$BIN/tenderctl" --timeout 1 health >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -ge 50 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: tenderd did not come up on $SERVER; its log:" >&2
        cat "$DIR/tenderd.log" >&2
        exit 1
    fi
    sleep 0.2
done

RESULTS=$DIR/results.tsv # SERVER <tab> one JSON line, per point
: >"$RESULTS"
COMMON="--ca $DIR/pki/ca.crt --cert $DIR/pki/officer.crt --key $DIR/pki/officer.key --json"

LEAVES=0 LEAF_BYTES=0
if [ -n "$STREAM_POINTS" ]; then
    # Fill the log first (SEED draft tenders, one leaf each), then count its leaves and
    # learn their mean size from one second of streams: the peer streams as many as large.
    printf 'seeding %s tenders ...\n' "$SEED" >&2
    # shellcheck disable=SC2086 # COMMON is a list of words
    "$BIN/loadgen" --server "$SERVER" $COMMON --duration 1 --warmup 0 --method stream \
        --connections 1 --concurrency 1 --seed-tenders "$SEED" >"$DIR/probe.json"
    "$BIN/tenderctl" audit checkpoint --json >"$DIR/checkpoint.json" 2>/dev/null
    # shellcheck disable=SC2046 # two numbers
    set -- $(python3 -c '
import json, sys
probe, cp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(cp["size"], round(probe["message_bytes"] / probe["messages"]))' \
        "$DIR/probe.json" "$DIR/checkpoint.json")
    LEAVES=$1 LEAF_BYTES=$2
fi

PEER=''
if [ $GRPC = 1 ]; then
    # gRPC leaves OpenSSL's TLS 1.3 suites at their default order, which puts AES-256
    # first; tenderd and libtender prefer TLS_AES_128_GCM_SHA256. The same suite for
    # both: OpenSSL's system defaults, for the gRPC processes only.
    cat >"$DIR/grpc-openssl.cnf" <<'EOF'
openssl_conf = init
[init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = tls_defaults
[tls_defaults]
Ciphersuites = TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
EOF
    PEER=127.0.0.1:$(free_port)
    OPENSSL_CONF=$DIR/grpc-openssl.cnf "$BIN/grpc_peer" --listen "$PEER" \
        --cert "$DIR/pki/server.crt" --key "$DIR/pki/server.key" --ca "$DIR/pki/ca.crt" \
        --leaves "$LEAVES" --leaf-bytes "$LEAF_BYTES" 2>"$DIR/peer.log" &
    PEER_PID=$!
    tries=0
    until grep -q 'serving on' "$DIR/peer.log"; do
        tries=$((tries + 1))
        if [ $tries -ge 50 ] || ! kill -0 "$PEER_PID" 2>/dev/null; then
            echo "run.sh: grpc_peer did not come up on $PEER; its log:" >&2
            cat "$DIR/peer.log" >&2
            exit 1
        fi
        sleep 0.2
    done
fi

echo "tenderd $SERVER (pid $SERVER_PID); client and server on this machine, $(nproc) CPUs"
if [ $GRPC = 1 ]; then
    echo "gRPC C++ $PEER (pid $PEER_PID, grpc_peer with 1 completion-queue thread);" \
        "each point runs against tenderd, then against it"
fi
echo "each point: ${WARMUP} s warm-up, ${DURATION} s measured; latency of successful calls"
if [ -n "$STREAM_POINTS" ]; then
    echo "stream: $LEAVES leaves per call, $LEAF_BYTES bytes of leaf data each (mean)"
fi
# Other work on the machine skews every figure: say how busy it was.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# One run against one server; its JSON line goes to the results, its complaints to stderr.
run_point() { # SERVER METHOD NxM
    impl=$1 method=$2 point=$3
    n=${point%x*} m=${point#*x}
    if [ "$impl" = tenderd ]; then
        gen=loadgen addr=$SERVER pid=$SERVER_PID conf=
    else
        gen=grpc_loadgen addr=$PEER pid=$PEER_PID conf=$DIR/grpc-openssl.cnf
    fi
    printf '%-7s %-6s %-6s ...\n' "$impl" "$method" "$point" >&2
    # shellcheck disable=SC2086 # COMMON is a list of words
    if ! line=$(env ${conf:+"OPENSSL_CONF=$conf"} "$BIN/$gen" --server "$addr" \
        --server-pid "$pid" $COMMON --method "$method" --connections "$n" --concurrency "$m" \
        --duration "$DURATION" --warmup "$WARMUP"); then
        echo "run.sh: $gen --method $method ${n}x${m} failed" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$impl" "$line" >>"$RESULTS"
}

# The floor under the ping-pong: this machine's loopback round trip with nothing on top,
# measured just before and just after the ping-pong points (the machine's speed drifts).
floor() { # OUT
    printf 'rttfloor ...\n' >&2
    "$BIN/rttfloor" --json --bytes 100 --duration "$DURATION" --warmup "$WARMUP" >"$1"
}
floor "$DIR/floor1.json"

# tenderd, then the peer, point by point: a change in the machine's load hits both alike.
for method in unary stream; do
    if [ $method = unary ]; then points=$POINTS; else points=$STREAM_POINTS; fi
    for p in $points; do
        run_point tenderd "$method" "$p"
        if [ $GRPC = 1 ]; then
            run_point grpc "$method" "$p"
        fi
        if [ "$method $p" = "unary 1x1" ]; then
            floor "$DIR/floor2.json"
        fi
    done
done
echo >&2
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 - "$RESULTS" "$DIR/floor1.json" "$DIR/floor2.json" <<'EOF'
import json, sys
floors = [json.load(open(f))["latency_us"] for f in sys.argv[2:]]
floor = {k: sum(f[k] for f in floors) / len(floors) for k in ("p50", "p99")}

rows = []
for text in open(sys.argv[1]):
    if text.strip():
        impl, js = text.split("\t", 1)
        rows.append((impl, json.loads(js)))

def ms(us):
    return "%.2f" % (us / 1000.0)

def show(head, table):
    widths = [max(len(row[i]) for row in [head] + table) for i in range(len(head))]
    def line(row):
        return "| " + " | ".join(c.rjust(w) if 1 < i < len(head) - 1 else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(row, widths))) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table:
        print(line(row))

NAMES = {"tenderd": "tenderd", "grpc": "gRPC C++"}
head = ["server", "method", "conns", "in flight", "calls/s", "msgs/s", "p50 ms", "p90 ms",
        "p99 ms", "p99.9 ms", "max ms", "srv CPU s/1k calls", "client CPU s/1k calls", "errors"]
table = []
for impl, r in rows:
    lat = r["latency_us"]
    errs = ", ".join("%s %d" % kv for kv in sorted(r["errors"].items())) or "0"
    per_k = r.get("server_cpu_s_per_1000_calls")
    client = r.get("loadgen_cpu_s")
    table.append([
        NAMES[impl], r["method"], str(r["connections"]), str(r["concurrency"]),
        "%.0f" % r["calls_per_s"],
        "%.0f" % r["messages_per_s"] if "messages_per_s" in r else "-",
        ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]), ms(lat["p99_9"]), ms(lat["max"]),
        "%.3f" % per_k if per_k is not None else "-",
        "%.3f" % (client * 1000.0 / r["calls"]) if client is not None and r["calls"] else "-",
        errs,
    ])
show(head, table)

# The ping-pong (one connection, one call at a time): latency and the server's CPU per lone call.
for impl, r in rows:
    if r["method"] == "unary" and (r["connections"], r["concurrency"]) == (1, 1):
        per_k = r.get("server_cpu_s_per_1000_calls")
        print("ping-pong, %s: p50 %.1f us, p99 %.1f us; server CPU %s per call" % (
            NAMES[impl], r["latency_us"]["p50"], r["latency_us"]["p99"],
            "%.1f us" % (per_k * 1000.0) if per_k is not None else "unknown"))
print("the floor, loopback TCP with nothing on top (rttfloor, 100 bytes each way), before and "
      "after the ping-pong: p50 %s us, p99 %s us" % tuple(
          " and ".join("%.1f" % f[k] for f in floors) for k in ("p50", "p99")))
pp = {impl: r["latency_us"]["p50"] for impl, r in rows
      if r["method"] == "unary" and (r["connections"], r["concurrency"]) == (1, 1)}
if pp:
    print("ping-pong p50 above the floor (their mean): " + ", ".join(
        "%s %+.1f us" % (NAMES[impl], p50 - floor["p50"]) for impl, p50 in sorted(pp.items()))
        + ("; tenderd / gRPC above the floor: %.2f" % ((pp["tenderd"] - floor["p50"]) /
                                                       (pp["grpc"] - floor["p50"]))
           if "grpc" in pp and "tenderd" in pp and pp["grpc"] > floor["p50"] else ""))
if "grpc" in pp and pp["grpc"] / 2 < floor["p50"]:
    print("half of gRPC's ping-pong p50 (%.1f us) is below this machine's floor: no server "
          "reaches it here" % (pp["grpc"] / 2))

# tenderd / gRPC at each point that ran against both
def key(r):
    return (r["method"], r["connections"], r["concurrency"])
peer = {key(r): r for impl, r in rows if impl == "grpc"}
pairs = [(r, peer[key(r)]) for impl, r in rows if impl == "tenderd" and key(r) in peer]
if pairs:
    def ratio(a, b):
        return "%.2f" % (a / b) if a is not None and b else "-"
    head = ["method", "point", "calls/s", "p50", "p99", "srv CPU per call", "note"]
    table = []
    for t, g in pairs:
        pingpong = (t["connections"], t["concurrency"]) == (1, 1)
        table.append([
            t["method"], "%dx%d" % (t["connections"], t["concurrency"]),
            ratio(t["calls_per_s"], g["calls_per_s"]),
            ratio(t["latency_us"]["p50"], g["latency_us"]["p50"]),
            ratio(t["latency_us"]["p99"], g["latency_us"]["p99"]),
            ratio(t.get("server_cpu_s_per_1000_calls"), g.get("server_cpu_s_per_1000_calls")),
            "ping-pong" if pingpong else "",
        ])
    print()
    print("tenderd / gRPC C++ (calls/s: above 1 favours tenderd; the others: below 1 does)")
    print("goals: unary calls/s >= 3, srv CPU per call <= 0.33, p99 <= 0.5; ping-pong p50 <= 0.5")
    print()
    show(head, table)
EOF
