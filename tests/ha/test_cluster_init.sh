#!/bin/sh
# From one node to a replicated group (tenderd cluster-init, docs/OPERATIONS.md "Running several
# nodes"): a tenderd alone on LMDB publishes a tender; started with --store it refuses the
# database it wrote alone; cluster-init makes that database the group's first batches (and is
# refused a second time); then the node and a second one on an empty folder with the log key
# serve the same log and the same tender, and a write through the follower lands on the writer
# and reaches both. Run by make test-ha; exits non-zero on a failed check.
set -eu
. "$(dirname "$0")/lib.sh"
DIR=$(ha_dir tnd-ha-init)
PIDS=
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    "$ROOT/tests/ha/pgpair" stop "$DIR/pg" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
    echo "test_cluster_init: FAILED: $*" >&2
    for n in n1 n2; do [ -f "$DIR/$n.log" ] && tail -5 "$DIR/$n.log" >&2; done
    exit 1
}

"$ROOT/tests/ha/pgpair" start "$DIR/pg" >/dev/null
URI=$("$ROOT/tests/ha/pgpair" uri "$DIR/pg")
"$BIN/tenderctl" pki init "$DIR/pki" >/dev/null
export TENDER_CA="$DIR/pki/ca.crt" TENDER_CERT="$DIR/pki/officer.crt" TENDER_KEY="$DIR/pki/officer.key"
P1=$(port) P2=$(port) H1=$(port) H2=$(port)
mkdir -p "$DIR/n1" "$DIR/n2/db"

# node N [flags]: tenderd for node N in the background
node() {
    n=$1 p=$2 h=$3
    shift 3
    "$BIN/tenderd" --cert "$DIR/pki/server.crt" --key "$DIR/pki/server.key" --ca "$DIR/pki/ca.crt" \
        --db "$DIR/$n/db" --listen "127.0.0.1:$p" --advertise "127.0.0.1:$p" \
        --http "127.0.0.1:$h" --min-tender-period 10s "$@" 2>>"$DIR/$n.log" &
    PIDS="$PIDS $!"
}
up() { # up PORT: wait until tenderd answers
    i=0
    until "$BIN/tenderctl" --server "127.0.0.1:$1" --timeout 1 health >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "tenderd on port $1 did not come up"
        sleep 0.2
    done
}
stop_all() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    PIDS=
}

# 1. One node alone: a tender is published.
node n1 "$P1" "$H1"
up "$P1"
ID=$("$BIN/tenderctl" --server "127.0.0.1:$P1" tender create --title "Roads" --budget 1000 \
    --currency EUR --deadline 2030-01-10T10:00:00Z --opening 2030-01-10T11:00:00Z)
stop_all

# 2. With --store, the database written alone is refused, and says what to do.
if "$BIN/tenderd" --cert "$DIR/pki/server.crt" --key "$DIR/pki/server.key" \
    --ca "$DIR/pki/ca.crt" --db "$DIR/n1/db" --listen "127.0.0.1:$P1" --store "$URI" \
    >"$DIR/refused.out" 2>&1; then
    fail "tenderd --store started on a database written alone"
fi
grep -q "tenderd cluster-init" "$DIR/refused.out" || fail "the refusal does not name cluster-init"

# 3. cluster-init makes it the group's start; a second one is refused.
"$BIN/tenderd" cluster-init --db "$DIR/n1/db" --store "$URI" >"$DIR/init.out" ||
    fail "cluster-init: $(cat "$DIR/init.out")"
grep -q "the group starts with 1 batches" "$DIR/init.out" || fail "cluster-init said: $(cat "$DIR/init.out")"
if "$BIN/tenderd" cluster-init --db "$DIR/n1/db" --store "$URI" >/dev/null 2>"$DIR/again.err"; then
    fail "a second cluster-init was not refused"
fi
grep -q "belongs to a replicated group already" "$DIR/again.err" || fail "second cluster-init: $(cat "$DIR/again.err")"

# 4. Two nodes: the first on its own folder, the second on an empty one with the log key.
cp "$DIR/n1/db/log.key" "$DIR/n2/db/"
node n1 "$P1" "$H1" --store "$URI" --lease-ttl 2s
node n2 "$P2" "$H2" --store "$URI" --lease-ttl 2s
up "$P1"
up "$P2"
same() {
    i=0
    while :; do
        a=$(curl -sf "http://127.0.0.1:$H1/log/checkpoint" || true)
        b=$(curl -sf "http://127.0.0.1:$H2/log/checkpoint" || true)
        [ -n "$a" ] && [ "$a" = "$b" ] && [ "$(echo "$a" | sed -n 2p)" = "$1" ] && return 0
        i=$((i + 1))
        [ $i -lt 150 ] || fail "the nodes do not serve the same checkpoint of size $1"
        sleep 0.2
    done
}
same 1
for p in "$P1" "$P2"; do
    "$BIN/tenderctl" --server "127.0.0.1:$p" tender show "$ID" | grep -q "Roads" ||
        fail "node on port $p does not serve $ID"
done

# 5. A write through either node lands once and reaches both.
ID2=$("$BIN/tenderctl" --server "127.0.0.1:$P2" --server "127.0.0.1:$P1" tender create \
    --title "Bridges" --budget 1000 --currency EUR --deadline 2030-01-10T10:00:00Z \
    --opening 2030-01-10T11:00:00Z) || fail "a write through the group"
same 2
"$BIN/tenderctl" --server "127.0.0.1:$P2" tender show "$ID2" | grep -q "Bridges" || fail "$ID2 missing"
echo "test_cluster_init: ok ($ID and $ID2 on both nodes)"
