#!/usr/bin/env bash
# The HA tests' PostgreSQL pair (tests/ha/pgpair), proven on its own. A round:
#
#   1. rows committed one by one through the URI, each acknowledged (its id
#      printed by INSERT ... RETURNING after the commit);
#   2. the primary's walsender frozen (SIGSTOP): one more commit must then
#      wait, since the standby cannot flush it; SIGKILL of the primary while
#      it waits; the client sees its connection lost, never an acknowledgement;
#   3. promote the standby: the URI reaches it, every acknowledged row is
#      there, nothing else is (the commit in doubt may be), and a new commit
#      succeeds (it does not wait for the standby that is gone).
#
# The synchronous pair runs two rounds, the killed primary rejoining as the
# standby between them. The negative control: one round with an asynchronous
# standby (start --async) must lose the row acknowledged in step 2, and the
# check of step 3 must say so: the check can fail, and the synchronous standby
# is what keeps the row.
#
# Prints the times measured (start, promote, rejoin, until the URI reaches the
# new primary) and what a client sees. Exit 0 when all holds; every folder and
# every server it made are gone on any exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
pgpair=tests/ha/pgpair
rows=${PGPAIR_ROWS:-200}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_pgpair.XXXXXX")
# As root the servers run as `postgres`, which must pass through this folder.
chmod 711 "$tmp"
cleanup() {
    local d
    for d in "$tmp"/pg-*; do
        [ -d "$d" ] && "$pgpair" stop "$d" || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "test_pgpair: FAIL: $*" >&2
    local log
    for log in "$tmp"/pg-*/node*.log; do
        [ -f "$log" ] && { echo "--- last lines of $log" >&2; tail -n 15 "$log" >&2; }
    done
    exit 1
}
say() { echo "test_pgpair: $*"; }
now_ms() { date +%s%3N; }
# psql through pgpair (no PG* environment, no ~/.psqlrc), bounded in time.
q() { timeout 30 "$pgpair" psql "$@"; }

# The pair of the case being run, its ports, and the next id to insert.
mode='' dir='' p1='' p2='' next=1

# start MODE: a new pair, synchronous (sync) or not (async), and its table.
start() {
    local t0 t1 uri status
    mode=$1 dir="$tmp/pg-$1" next=1
    t0=$(now_ms)
    if [ "$mode" = sync ]; then
        uri=$("$pgpair" start "$dir") || fail "$mode: pgpair start failed"
    else
        uri=$("$pgpair" start "$dir" --async) || fail "$mode: pgpair start --async failed"
    fi
    t1=$(now_ms)
    say "$mode: start took $((t1 - t0)) ms; URI $uri"
    [[ $uri =~ ^postgresql://tender@127\.0\.0\.1:([0-9]+),127\.0\.0\.1:([0-9]+)/tender\?target_session_attrs=read-write\&connect_timeout=2$ ]] ||
        fail "$mode: the URI is not the multi-host, read-write one: $uri"
    p1=${BASH_REMATCH[1]} p2=${BASH_REMATCH[2]}
    [ "$(q "$dir" -A -t -c 'SHOW fsync')" = on ] || fail "$mode: fsync is not on"
    [ "$(q "$dir" -A -t -c 'SHOW synchronous_commit')" = on ] || fail "$mode: synchronous_commit is not on"
    expect_streaming
    q "$dir" -q -c 'CREATE TABLE t (id int PRIMARY KEY, note text NOT NULL)' ||
        fail "$mode: CREATE TABLE failed"
    : >"$tmp/$mode.acked"
    : >"$tmp/$mode.doubt"
}

expect_streaming() {
    local status
    status=$("$pgpair" status "$dir") || fail "$mode: pgpair status failed"
    grep -qx "  replica standby1 streaming $mode" <<<"$status" ||
        fail "$mode: pgpair status does not show standby1 streaming $mode: $status"
}

# round PORT: steps 1 to 3 above; PORT is the standby's, promoted in step 3.
# Leaves in $tmp/MODE.lost the acknowledged ids missing after it.
round() {
    local newport=$1 pid client st rc=0 err t0 t1 t2 t3 tries=0 doubt
    # 1. Rows committed one at a time (psql -f: each statement its own
    # transaction); an id is acknowledged when psql printed it.
    for i in $(seq "$next" $((next + rows - 1))); do
        echo "INSERT INTO t VALUES ($i, 'row $i') RETURNING id;"
    done >"$tmp/$mode.sql"
    next=$((next + rows))
    q "$dir" -q -A -t -f "$tmp/$mode.sql" >"$tmp/$mode.batch" || fail "$mode: the inserts failed"
    [ "$(wc -l <"$tmp/$mode.batch")" -eq "$rows" ] ||
        fail "$mode: $rows inserts, $(wc -l <"$tmp/$mode.batch") acknowledged"
    cat "$tmp/$mode.batch" >>"$tmp/$mode.acked"

    # 2. The walsender frozen, one more commit.
    pid=$(q "$dir" -A -t -c "SELECT pid FROM pg_stat_replication WHERE application_name = 'standby1'")
    [[ $pid =~ ^[0-9]+$ ]] || fail "$mode: no walsender for standby1 ($pid)"
    kill -STOP "$pid"
    doubt=$next
    next=$((next + 1))
    echo "$doubt" >>"$tmp/$mode.doubt"
    "$pgpair" psql "$dir" -q -A -t -c "INSERT INTO t VALUES ($doubt, 'in doubt') RETURNING id" \
        >>"$tmp/$mode.acked" 2>"$tmp/$mode.client" &
    client=$!
    # Synchronous: the commit waits for the standby (its backend shows the
    # SyncRep wait) and the client has no answer. Asynchronous: it returns.
    t0=$(now_ms)
    if [ "$mode" = sync ]; then
        until [ "$(q "$dir" -A -t -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" = 1 ]; do
            kill -0 "$client" 2>/dev/null ||
                fail "sync: a commit returned while the standby could not receive it: $(cat "$tmp/$mode.client")"
            [ $(($(now_ms) - t0)) -lt 20000 ] || fail "sync: no commit waits for the standby after 20 s"
            sleep 0.05
        done
        sleep 0.2
        kill -0 "$client" 2>/dev/null ||
            fail "sync: a commit returned while the standby could not receive it: $(cat "$tmp/$mode.client")"
    else
        while kill -0 "$client" 2>/dev/null; do
            [ $(($(now_ms) - t0)) -lt 20000 ] || fail "async: the commit has not returned after 20 s"
            sleep 0.05
        done
    fi
    t0=$(now_ms)
    "$pgpair" kill-primary "$dir" || fail "$mode: kill-primary failed"
    # The whole primary is gone, the frozen walsender too (it would not see its
    # postmaster die by itself). A zombie is dead: its reaping is up to init.
    st=$(ps -o stat= -p "$pid" || true)
    [[ -z $st || $st == Z* ]] || fail "$mode: kill-primary left the walsender $pid behind ($st)"
    wait "$client" || rc=$?
    if [ "$mode" = sync ]; then
        [ "$rc" -ne 0 ] || fail "sync: the commit in doubt was acknowledged by a primary that was killed"
        say "sync: the client waiting on its commit got (exit $rc): $(tr '\n' ' ' <"$tmp/$mode.client")"
    fi
    # No primary: what a client sees before the promotion.
    if err=$(q "$dir" -A -t -c 'SELECT 1' 2>&1); then
        fail "$mode: the URI found a read-write server with the primary dead and none promoted"
    fi
    [ "$mode" = sync ] && say "sync: with no primary, a client connecting gets: $(tr '\n' ' ' <<<"$err")"

    # 3. The promotion.
    t1=$(now_ms)
    "$pgpair" promote "$dir" || fail "$mode: promote failed"
    t2=$(now_ms)
    until tries=$((tries + 1)) && q "$dir" -A -t -c 'SELECT 1' >/dev/null 2>&1; do
        [ $(($(now_ms) - t2)) -lt 30000 ] || fail "$mode: no read-write server through the URI 30 s after the promotion"
        sleep 0.05
    done
    t3=$(now_ms)
    say "$mode: promote took $((t2 - t1)) ms; the URI reached the new primary at attempt $tries," \
        "$((t3 - t2)) ms after it (psql's own start included), $((t3 - t0)) ms after the kill"
    [ "$(q "$dir" -A -t -c 'SELECT inet_server_port() || pg_is_in_recovery()::text')" = "${newport}false" ] ||
        fail "$mode: the URI does not reach the promoted node (port $newport) as a primary"
    q "$dir" -A -t -c 'SELECT id FROM t ORDER BY id' >"$tmp/$mode.present" || fail "$mode: cannot read t"
    sort "$tmp/$mode.acked" >"$tmp/$mode.acked.s"
    sort "$tmp/$mode.present" >"$tmp/$mode.present.s"
    comm -23 "$tmp/$mode.acked.s" "$tmp/$mode.present.s" >"$tmp/$mode.lost"
    # Present but never acknowledged: only a commit in doubt may be.
    comm -13 "$tmp/$mode.acked.s" "$tmp/$mode.present.s" | grep -vxF -f "$tmp/$mode.doubt" >"$tmp/$mode.extra" || true
    [ -s "$tmp/$mode.extra" ] && fail "$mode: rows nobody inserted: $(tr '\n' ' ' <"$tmp/$mode.extra")"
    if [ "$mode" = sync ]; then
        if grep -qx "$doubt" "$tmp/$mode.present"; then
            say "sync: the commit in doubt (never acknowledged) is on the promoted node"
        else
            say "sync: the commit in doubt (never acknowledged) is not on the promoted node"
        fi
    fi
    # A new commit on the promoted node, bounded: it must not wait for a standby.
    timeout 10 "$pgpair" psql "$dir" -q -A -t -c "INSERT INTO t VALUES ($next, 'after') RETURNING id" \
        >>"$tmp/$mode.acked" || fail "$mode: a commit on the promoted node failed or hung"
    next=$((next + 1))
    return 0
}

stop() {
    local status
    "$pgpair" stop "$dir" || fail "$mode: stop failed"
    "$pgpair" stop "$dir" || fail "$mode: a second stop failed"
    status=$("$pgpair" status "$dir") || fail "$mode: pgpair status failed after stop"
    grep -q -v ' down$' <<<"$status" && fail "$mode: a server runs after stop: $status"
    return 0
}

expect_nothing_lost() {
    [ -s "$tmp/sync.lost" ] &&
        fail "sync: acknowledged rows missing after the failover: $(tr '\n' ' ' <"$tmp/sync.lost")"
    say "sync: all $(wc -l <"$tmp/sync.acked") acknowledged rows are on the promoted node"
}

start sync
round "$p2"
expect_nothing_lost
t0=$(now_ms)
"$pgpair" rejoin "$dir" || fail "sync: rejoin failed"
say "sync: rejoin took $(($(now_ms) - t0)) ms"
expect_streaming
round "$p1"
expect_nothing_lost
stop

start async
round "$p2"
[ "$(cat "$tmp/async.lost")" = "$((rows + 1))" ] ||
    fail "async: the check should have found exactly row $((rows + 1)) lost, found: '$(tr '\n' ' ' <"$tmp/async.lost")'"
say "async (negative control): the check finds row $((rows + 1)) lost, acknowledged without the standby"
stop
say "ok"
