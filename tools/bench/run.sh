#!/bin/sh
# The `make bench` driver (docs/BENCHMARKS.md): a throwaway PKI and database in a
# temporary folder, tenderd on a free loopback port, a matrix of loadgen runs, one table.
#
#   tools/bench/run.sh           quick: 5 s per point after 1 s of warm-up
#   tools/bench/run.sh --full    30 s per point after 3 s of warm-up, more points
#
# BUILD (default build) is where the binaries are. The server is stopped and the
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

for b in tenderd tenderctl loadgen; do
    if [ ! -x "$BIN/$b" ]; then
        echo "run.sh: $BIN/$b is missing; run make bench" >&2
        exit 1
    fi
done

if [ $FULL = 1 ]; then
    DURATION=30 WARMUP=3 SEED=2000
    # connections x concurrency, unary
    POINTS="1x1 1x8 1x32 8x32 32x32 64x16"
    STREAM_POINTS="1x1 8x4"
else
    DURATION=5 WARMUP=1 SEED=1000
    POINTS="1x1 1x32 8x32"
    STREAM_POINTS="1x4"
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tender-bench.XXXXXX")
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN/tenderctl" pki init "$DIR/pki" >/dev/null

# A free port: bind port 0, read the number, let it go (tenderd takes it a moment later).
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER=127.0.0.1:$PORT

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

echo "tenderd $SERVER (pid $SERVER_PID); client and server on this machine, $(nproc) CPUs"
echo "each point: ${WARMUP} s warm-up, ${DURATION} s measured; latency of successful calls"
# Other work on the machine skews every figure: say how busy it was.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

RESULTS=$DIR/results.jsonl
: >"$RESULTS"
COMMON="--server $SERVER --ca $DIR/pki/ca.crt --cert $DIR/pki/officer.crt --key $DIR/pki/officer.key
        --duration $DURATION --warmup $WARMUP --server-pid $SERVER_PID --json"

# One loadgen run; its JSON line goes to the results, its complaints to stderr.
run_point() { # METHOD NxM [extra args]
    method=$1 point=$2
    shift 2
    n=${point%x*} m=${point#*x}
    # shellcheck disable=SC2086 # COMMON is a list of words
    if ! "$BIN/loadgen" $COMMON --method "$method" --connections "$n" --concurrency "$m" "$@" \
        >>"$RESULTS"; then
        echo "run.sh: loadgen --method $method ${n}x${m} failed" >&2
        exit 1
    fi
}

for p in $POINTS; do
    printf 'unary  %-6s ...\n' "$p" >&2
    run_point unary "$p"
done
seeded=0
for p in $STREAM_POINTS; do
    printf 'stream %-6s ...\n' "$p" >&2
    if [ $seeded = 0 ]; then
        # the first stream run fills the log: SEED draft tenders, one leaf each
        run_point stream "$p" --seed-tenders "$SEED"
        seeded=1
    else
        run_point stream "$p"
    fi
done
echo >&2
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 - "$RESULTS" <<'EOF'
import json, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]

def ms(us):
    return "%.2f" % (us / 1000.0)

head = ["method", "conns", "in flight", "calls/s", "msgs/s", "p50 ms", "p90 ms", "p99 ms",
        "p99.9 ms", "max ms", "srv CPU s/1k calls", "errors"]
table = [head]
for r in rows:
    lat = r["latency_us"]
    errs = ", ".join("%s %d" % kv for kv in sorted(r["errors"].items())) or "0"
    per_k = r.get("server_cpu_s_per_1000_calls")
    table.append([
        r["method"], str(r["connections"]), str(r["concurrency"]),
        "%.0f" % r["calls_per_s"],
        "%.0f" % r["messages_per_s"] if "messages_per_s" in r else "-",
        ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]), ms(lat["p99_9"]), ms(lat["max"]),
        "%.3f" % per_k if per_k is not None else "-",
        errs,
    ])
widths = [max(len(row[i]) for row in table) for i in range(len(head))]
def line(row):
    return "| " + " | ".join(c.rjust(w) if i and i < len(head) - 1 else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths))) + " |"
print(line(table[0]))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for row in table[1:]:
    print(line(row))
EOF
