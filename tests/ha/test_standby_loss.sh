#!/bin/sh
# The synchronous standby dies (docs/OPERATIONS.md, "Running several nodes"): PostgreSQL's primary
# then holds every commit, as synchronous_commit = on makes it do. A write waits and its client
# gives up at its deadline; reads are served; tenderd says in its log and its metrics that
# PostgreSQL holds the commit; when the standby is back, the held write is committed (late, but
# whole and on both machines) and new writes are served. Run by make test-ha; exits non-zero on a
# failed check.
set -eu
. "$(dirname "$0")/lib.sh"
DIR=$(ha_dir tnd-ha-standby)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    "$ROOT/tests/ha/pgpair" stop "$DIR/pg" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
    echo "test_standby_loss: FAILED: $*" >&2
    grep -v "msg=call" "$DIR/n1.log" | tail -8 >&2
    exit 1
}
# wait_for SECONDS WHAT COMMAND...: run COMMAND every 0.2 s until it succeeds
wait_for() {
    n=$(($1 * 5)) what=$2
    shift 2
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt "$n" ] || fail "$what"
        sleep 0.2
    done
}

"$ROOT/tests/ha/pgpair" start "$DIR/pg" >/dev/null
URI=$("$ROOT/tests/ha/pgpair" uri "$DIR/pg")
"$BIN/tenderctl" pki init "$DIR/pki" >/dev/null
export TENDER_CA="$DIR/pki/ca.crt" TENDER_CERT="$DIR/pki/officer.crt" TENDER_KEY="$DIR/pki/officer.key"
P=$(port) M=$(port)
export TENDER_SERVER="127.0.0.1:$P"
mkdir -p "$DIR/db"
"$BIN/tenderd" --cert "$DIR/pki/server.crt" --key "$DIR/pki/server.key" --ca "$DIR/pki/ca.crt" \
    --db "$DIR/db" --listen "127.0.0.1:$P" --advertise "127.0.0.1:$P" --metrics "127.0.0.1:$M" \
    --store "$URI" --lease-ttl 2s --min-tender-period 10s 2>"$DIR/n1.log" &
PID=$!
writer() { "$BIN/tenderctl" --timeout 1 health | grep -q "the writer"; }
wait_for 20 "tenderd did not become the writer" writer
create() { # create TITLE TIMEOUT: a tender's id on stdout
    "$BIN/tenderctl" --timeout "$2" tender create --title "$1" --budget 1000 --currency EUR \
        --deadline 2030-01-10T10:00:00Z --opening 2030-01-10T11:00:00Z
}
ID1=$(create Roads 10) || fail "a write with both PostgreSQL machines up"

# 1. The standby dies: the write waits for it, and its client gives up at its deadline.
"$ROOT/tests/ha/pgpair" kill-standby "$DIR/pg" >/dev/null
if create Bridges 3 >"$DIR/held.out" 2>"$DIR/held.err"; then
    fail "a write was acknowledged without the synchronous standby: $(cat "$DIR/held.out")"
fi
grep -q "DEADLINE_EXCEEDED" "$DIR/held.err" || fail "the held write said: $(cat "$DIR/held.err")"

# 2. Reads are served meanwhile.
"$BIN/tenderctl" --timeout 3 tender show "$ID1" | grep -q Roads || fail "a read while the commit is held"

# 3. tenderd says why writes wait: in its log, and in its metrics.
logged() { grep -q "PostgreSQL has not confirmed a batch's commit" "$DIR/n1.log"; }
wait_for 15 "no warning in the log about the held commit" logged
waiting() {
    curl -sf "http://127.0.0.1:$M/metrics" |
        awk '$1 == "tenderd_replica_commit_wait_seconds" && $2 >= 1 { ok = 1 } END { exit !ok }'
}
wait_for 5 "tenderd_replica_commit_wait_seconds is not above 0 while the commit is held" waiting

# 4. The standby is back: the held write is committed, late and whole, and new writes are served.
"$ROOT/tests/ha/pgpair" restart-standby "$DIR/pg" >/dev/null
held() { "$BIN/tenderctl" --timeout 3 tender list | grep -q Bridges; }
wait_for 30 "the held write is not in the store once the standby is back" held
# The writer's lease ran out while PostgreSQL held its renewal too: the node may give the role
# up and take it again before it writes. A write refused meanwhile stored nothing ("retry").
i=0
until ID3=$(create Tunnels 10 2>"$DIR/again.err"); do
    i=$((i + 1))
    grep -q UNAVAILABLE "$DIR/again.err" && [ $i -lt 20 ] ||
        fail "a write once the standby is back: $(cat "$DIR/again.err")"
    sleep 0.5
done
"$BIN/tenderctl" --timeout 3 tender show "$ID3" | grep -q Tunnels || fail "$ID3 is not served"
rows=$("$ROOT/tests/ha/pgpair" psql "$DIR/pg" 2 -qtA -c "SELECT count(*) FROM batches") ||
    fail "cannot read the standby's batches"
[ "$rows" -ge 3 ] || fail "the standby holds $rows batches, fewer than the 3 writes"
idle() {
    curl -sf "http://127.0.0.1:$M/metrics" |
        awk '$1 == "tenderd_replica_commit_wait_seconds" && $2 == 0 { ok = 1 } END { exit !ok }'
}
wait_for 5 "tenderd_replica_commit_wait_seconds stays above 0 after the commit" idle
echo "test_standby_loss: ok (a write held $(grep -c "has not confirmed" "$DIR/n1.log") time(s) in the log, committed once the standby was back; $rows batches on the standby)"
