#!/usr/bin/env bash
# The whole story of one tender, told with tenderctl against a throwaway tenderd:
# publication, sealed bids, the deadline, the opening, the award, the audit and
# the open data. Run it with `make demo` (which builds tenderd and tenderctl first).
#
#   BUILD=build tools/demo.sh [--results FILE]
#
# Every step checks the exit status of its commands and the content that matters,
# and the script exits 0 only if every step did what it says. On a failure it
# names the step and shows the end of the server's log. The server runs on a
# free 127.0.0.1 port with its PKI and database in a temporary folder; both are
# gone when the script ends, however it ends.
#
# --results FILE (used by `make test`): the narration goes to demo.log beside
# FILE, one line ok/FAIL is printed, and "demo 1 0" or "demo 0 1" is appended
# to FILE for tests/summary.sh.
#
# DEMO_BID_WINDOW (default 10) is how many seconds the suppliers have between
# publication and the deadline; raise it on a very slow machine.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:=build}"
case $BUILD in /*) ;; *) BUILD=$repo/$BUILD ;; esac
CTL=$BUILD/bin/tenderctl
SRV=$BUILD/bin/tenderd
WIT=$BUILD/bin/tenderwitness
: "${DEMO_BID_WINDOW:=10}"

results=
if [ "${1:-}" = --results ] && [ -n "${2:-}" ]; then
    mkdir -p "$(dirname "$2")" || exit 1
    results=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
    results_log=$(dirname "$results")/demo.log
    exec 3>&1 >"$results_log" 2>&1
elif [ $# -gt 0 ]; then
    echo "usage: BUILD=build $0 [--results FILE]" >&2
    exit 2
fi

for b in "$CTL" "$SRV" "$WIT"; do
    [ -x "$b" ] || { echo "demo: $b is missing: run \`make demo\`, which builds it" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/tenderd-demo.XXXXXX") || exit 1
srv_pid=
wit_pid=
step_name="setting up"

# However the script ends: stop the server, remove the folder, report.
# shellcheck disable=SC2317 # (run by the EXIT trap)
finish() {
    local rc=$?
    if [ -n "$srv_pid" ] && kill -0 "$srv_pid" 2>/dev/null; then
        kill -TERM "$srv_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$srv_pid" 2>/dev/null
        wait "$srv_pid" 2>/dev/null
    fi
    if [ -n "$wit_pid" ]; then
        kill -TERM "$wit_pid" 2>/dev/null
        wait "$wit_pid" 2>/dev/null
    fi
    cd / && rm -rf "$dir"
    if [ -n "$results" ]; then
        if [ "$rc" -eq 0 ]; then
            printf '  ok    %-28s %3d passed   (%s)\n' demo 1 "$results_log" >&3
            echo "demo 1 0" >>"$results"
        else
            printf '  FAIL  %-28s %3d passed, %d failed (exit %d, %s)\n' demo 0 1 "$rc" \
                "$results_log" >&3
            tail -n 40 "$results_log" | sed 's/^/        | /' >&3
            echo "demo 0 1" >>"$results"
        fi
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$dir" || exit 1

# ---- telling and checking -------------------------------------------------------

# A numbered part of the story.
step() {
    step_name="$1. $2"
    printf '\n== %s ==\n' "$step_name"
}

# Plain words for the reader, wrapped.
say() {
    printf '%s\n' "$*" | fmt -w 92
}

# Stop: which step failed and why, the last command's output, the server's log.
fail() {
    printf '\nDEMO FAILED at step %s\n  %s\n' "$step_name" "$*" >&2
    if [ -n "${last_cmd:-}" ]; then
        printf '  last command: %s (exit %s)\n' "$last_cmd" "$RC" >&2
        [ -s out ] && sed 's/^/  stdout| /' out | tail -n 20 >&2
        [ -s err ] && sed 's/^/  stderr| /' err | tail -n 20 >&2
    fi
    if [ -f tenderd.log ]; then
        echo "  the server's log, last lines:" >&2
        tail -n 25 tenderd.log | sed 's/^/  tenderd| /' >&2
    fi
    exit 1
}

# The words of a command as a reader would type them.
shown() {
    local a out=
    for a in "$@"; do
        case $a in
        *[!A-Za-z0-9_./:=+@,-]* | '') out+=" \"$a\"" ;;
        *) out+=" $a" ;;
        esac
    done
    printf '%s' "${out# }"
}

# Run tenderctl and show it: OUT, ERR and RC keep what it did.
ctl() {
    last_cmd="tenderctl $(shown "$@")"
    printf '  $ %s\n' "$last_cmd"
    "$CTL" "$@" >out 2>err
    RC=$?
    OUT=$(cat out)
    ERR=$(cat err)
    [ -s out ] && sed 's/^/    /' out
    [ -s err ] && sed 's/^/    /' err
    return 0
}

# ctl as one of the PKI's identities (its certificate and key).
as() {
    local who=$1
    shift
    ctl --cert "pki/$who.crt" --key "pki/$who.key" "$@"
}

expect_rc() {
    [ "$RC" -eq "$1" ] || fail "tenderctl exited $RC, expected $1"
}
expect_out() {
    [[ $OUT == *"$1"* ]] || fail "expected \"$1\" in its output"
}
expect_err() {
    [[ $ERR == *"$1"* ]] || fail "expected \"$1\" in its error output"
}
expect_no() {
    [[ $OUT != *"$1"* ]] || fail "did not expect \"$1\" in its output"
}

# The tender's status as the server has it (ACTIVE, CLOSED, OPENED, ...).
status_of() {
    "$CTL" --json tender show "$1" 2>/dev/null |
        python3 -c 'import json, sys; print(json.load(sys.stdin).get("status", ""))' 2>/dev/null
}

rfc3339() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- 0. the stage ---------------------------------------------------------------

step 0 "A throwaway server"
say "tenderd is the server of an e-procurement system: buyers publish tenders, suppliers" \
    "send sealed bids, and everything the server does is written to a public," \
    "tamper-evident log. For this demo it runs in the folder $dir on a free port of" \
    "127.0.0.1. Everyone is known by a certificate from the same CA: \`pki init\` makes the" \
    "CA, the server's certificate and a procurement officer of the Ministry of Works;" \
    "\`pki issue\` adds three opening-committee members, four suppliers and the review" \
    "body that hears complaints."
ctl pki init pki
expect_rc 0
for who in kim:officer:"Ministry of Works" lee:officer:"Ministry of Works" \
    park:auditor:"National Audit Office" asphalt:supplier:"Seoul Asphalt Co." \
    roads:supplier:"Busan Roadworks Ltd" paving:supplier:"Incheon Paving Co." \
    daegu:supplier:"Daegu Civil Works" board:reviewer:"Public Procurement Review Board"; do
    IFS=: read -r name role org <<<"$who"
    ctl pki issue pki "$name" --role "$role" --org "$org"
    expect_rc 0
    expect_out "pki/$name.crt"
done

say "The server signs its log with a key of its own. The operator publishes the key's" \
    "verifier text once; everyone who checks a receipt or the log pins it (here through" \
    "TENDER_LOG_KEY), so a server that changed its history could not hide it."
printf '  $ tenderd --db db --print-log-key\n'
TENDER_LOG_KEY=$("$SRV" --db db --print-log-key 2>/dev/null) || fail "tenderd --print-log-key failed"
[[ $TENDER_LOG_KEY == tenderd.local/log+* ]] || fail "unexpected log key \"$TENDER_LOG_KEY\""
printf '    %s\n' "$TENDER_LOG_KEY"

say "The National Audit Office runs a witness: a small program of its own that cosigns" \
    "each new checkpoint of the log only after checking that it extends the last one it" \
    "cosigned. The server sends it every new checkpoint; anyone who requires the witness's" \
    "cosignature can no longer be shown a history the witness did not see."
printf '  $ tenderwitness init --state witness --name audit.example/witness\n'
"$WIT" init --state witness --name audit.example/witness >/dev/null 2>witness.log ||
    fail "tenderwitness init failed"
WITNESS_KEY=$("$WIT" print-key --state witness 2>>witness.log) || fail "tenderwitness print-key failed"
printf '    %s\n' "$WITNESS_KEY"
wit_port=$(free_port) || fail "no free port (python3 is needed to find one)"
printf '  $ tenderwitness serve --state witness --listen 127.0.0.1:%s --log "$TENDER_LOG_KEY" &\n' \
    "$wit_port"
"$WIT" serve --state witness --listen "127.0.0.1:$wit_port" --log "$TENDER_LOG_KEY" \
    2>>witness.log &
wit_pid=$!
printf 'witness nao %s http://127.0.0.1:%s\nquorum nao\n' "$WITNESS_KEY" "$wit_port" \
    >witnesses.policy
sed 's/^/    witnesses.policy| /' witnesses.policy

say "The server starts with --min-tender-period 0, so that a tender may close a few" \
    "seconds after it is published (the default asks for a day)."
for _ in 1 2 3; do
    port=$(free_port) || fail "no free port (python3 is needed to find one)"
    printf '  $ tenderd --listen 127.0.0.1:%s --db db --min-tender-period 0 --witness-policy witnesses.policy ... &\n' "$port"
    "$SRV" --listen "127.0.0.1:$port" --cert pki/server.crt --key pki/server.key \
        --ca pki/ca.crt --db db --min-tender-period 0 --witness-policy witnesses.policy \
        --witness-interval 200ms --log-level info 2>tenderd.log &
    srv_pid=$!
    export TENDER_SERVER=127.0.0.1:$port TENDER_CA=pki/ca.crt TENDER_LOG_KEY
    up=
    for _ in $(seq 100); do
        kill -0 "$srv_pid" 2>/dev/null || break
        if "$CTL" --timeout 1 health >/dev/null 2>&1; then up=1; break; fi
        sleep 0.1
    done
    [ -n "$up" ] && break
    kill -KILL "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; srv_pid=
    echo "    (the server did not come up on port $port; trying another)"
done
[ -n "$up" ] || fail "tenderd did not start"
ctl health
expect_rc 0
expect_out SERVING

# ---- 1. the tender --------------------------------------------------------------

step 1 "The officer publishes a tender"
say "The bids will be opened by a committee of three, and any two of them are enough." \
    "Each member makes a key pair on their own machine and hands over only the public" \
    "half; the committee file names each member by their certificate's name."
: >committee.txt
for m in kim lee park; do
    ctl keys gen "$m" --dir keys
    expect_rc 0
    pub=${OUT%%$'\n'*}
    [ ${#pub} -eq 44 ] || fail "expected a 44-character public key first"
    echo "$m $pub" >>committee.txt
done
sed 's/^/    committee.txt| /' committee.txt

now=$(date +%s)
deadline=$((now + DEMO_BID_WINDOW))
say "The officer creates the tender: road resurfacing with a budget of 1,500,000,000 KRW," \
    "bids until $(rfc3339 "$deadline") (a few seconds from now), opened in public from" \
    "the same moment. tenderctl makes the tender's opening key here, splits it 2-of-3," \
    "seals each share to one member and forgets the key: the server only ever sees the" \
    "public half."
as officer tender create --title "Road resurfacing, Gangnam (4.2 km)" \
    --budget 1500000000 --currency KRW --cpv 45233140-2 --method open --category works \
    --deadline "$(rfc3339 "$deadline")" --opening "$(rfc3339 "$deadline")" \
    --committee committee.txt --threshold 2
expect_rc 0
id=${OUT%%$'\n'*}
[[ $id =~ ^T-[0-9]{4}-[0-9]{6}$ ]] || fail "expected a tender id, got \"$id\""
as officer tender publish "$id"
expect_rc 0
expect_out "status active"
ctl tender show "$id"
expect_rc 0
expect_out "committee:            3 members, threshold 2"
[ "$(status_of "$id")" = ACTIVE ] || fail "the tender is not active"
say "An auditor saves the log's signed checkpoint now, to check later that the log only" \
    "grew from here and nothing was rewritten."
ctl audit checkpoint --save checkpoint-at-publication.txt
expect_rc 0
expect_out "signature OK"

# ---- 2. the bids ----------------------------------------------------------------

step 2 "Four suppliers send sealed bids"
say "Each bid is encrypted on the supplier's machine to the tender's opening key and" \
    "signed with the supplier's certificate key. The bids are sealed: until two of the" \
    "three committee members give their shares, nobody, not even the server operator," \
    "can read a price. The server answers with a receipt: the bid's place in the signed" \
    "log, which tenderctl verifies at once and keeps in the supplier's bid folder." \
    "Busan Roadworks attaches its technical proposal: its content is sealed a second time," \
    "to the tender's documents key, which the opening never publishes."
printf 'Technical proposal, Busan Roadworks Ltd: cold in-place recycling, 38 crew, 41 days.\n' \
    >proposal.txt
declare -A bid price org
org=([asphalt]="Seoul Asphalt Co." [roads]="Busan Roadworks Ltd" [paving]="Incheon Paving Co.")
for s in asphalt:1420000000 roads:1390000000 paving:1450000000; do
    IFS=: read -r who p <<<"$s"
    docs=()
    [ "$who" = roads ] && docs=(--doc proposal.txt)
    as "$who" bid submit "$id" --price "$p" --currency KRW "${docs[@]}" --bids-dir "bids/$who"
    expect_rc 0
    expect_out "receipt verified"
    bid[$who]=${OUT%%$'\n'*}
    [[ ${bid[$who]} =~ ^B-[0-9a-f]{32}$ ]] || fail "expected a bid id, got \"${bid[$who]}\""
    price[$who]=$p
done
say "Incheon Paving reconsiders and replaces its bid with a lower price. Only the new" \
    "bid will be opened; the first stays in the log, sealed forever."
replaced=${bid[paving]}
replaced_price=${price[paving]}
as paving bid replace "$id" "$replaced" --price 1375000000 --currency KRW --bids-dir bids/paving
expect_rc 0
expect_out "receipt verified"
bid[paving]=${OUT%%$'\n'*}
price[paving]=1375000000
[[ ${bid[paving]} =~ ^B-[0-9a-f]{32}$ ]] || fail "expected a bid id, got \"${bid[paving]}\""
[ "${bid[paving]}" != "$replaced" ] || fail "the replacement has the old bid's id"
say "Daegu Civil Works prices its bid in US dollars. tenderctl warns that it will open" \
    "invalid and sends it all the same: whether a bid is valid is the opening's rule," \
    "applied by the server and again by every auditor, not the client's."
as daegu bid submit "$id" --price 990000 --currency USD --bids-dir bids/daegu
expect_rc 0
expect_err "will open invalid: priced in USD; the tender is in KRW"
daegu_bid=${OUT%%$'\n'*}
[[ $daegu_bid =~ ^B-[0-9a-f]{32}$ ]] || fail "expected a bid id, got \"$daegu_bid\""
as paving bid status "$id" "$replaced" --bids-dir bids/paving
expect_rc 0
expect_out "replaced"
[ "$(date +%s)" -lt "$deadline" ] ||
    fail "the bids took longer than the ${DEMO_BID_WINDOW} s before the deadline; try DEMO_BID_WINDOW=20"

# ---- 3. the deadline ------------------------------------------------------------

step 3 "The deadline passes"
say "While they wait, each supplier checks its receipt again: its signature, its proof," \
    "and that today's log still contains it."
for who in asphalt roads paving; do
    ctl bid receipt "$id" "${bid[$who]}" --verify --bids-dir "bids/$who"
    expect_rc 0
    expect_out "receipt verified; its checkpoint is a prefix of today's"
done
say "At the deadline the server's scheduler closes the tender by itself."
printf '  (waiting for %s to show closed)\n' "$id"
until [ "$(status_of "$id")" = CLOSED ]; do
    [ "$(date +%s)" -le $((deadline + 15)) ] || fail "the tender did not close at its deadline"
    sleep 0.2
done
ctl tender show "$id"
expect_rc 0
expect_out "status:               closed"
say "Seoul Asphalt tries to undercut everyone after the deadline. The server refuses:" \
    "tenderctl exits 19, that is 10 + gRPC status 9, FAILED_PRECONDITION."
as asphalt bid submit "$id" --price 1350000000 --currency KRW --bids-dir bids/asphalt
expect_rc 19
expect_err "bids are closed"

# ---- 4. the opening -------------------------------------------------------------

step 4 "Two committee members open the bids"
say "Kim decrypts Kim's share with their own key and sends it. One share says nothing about" \
    "the key, so the bids stay sealed."
as kim open "$id" --key keys/kim.key
expect_rc 0
expect_out "share accepted (1 of 2)"
ctl opening show "$id"
expect_rc 15
expect_err "has not been opened"
say "Park, from the National Audit Office, sends the second share. The server rebuilds" \
    "the key, checks it against the tender's public key, opens every bid in force and" \
    "publishes the result, with the key itself so that anyone can re-check the opening."
as park open "$id" --key keys/park.key
expect_rc 0
expect_out "tender opened"
[ "$(status_of "$id")" = OPENED ] || fail "the tender is not opened"
ctl opening show "$id"
expect_rc 0
expect_out "4 bids, 3 valid"
for who in asphalt roads paving; do
    line=$(grep -F "${bid[$who]} " out) || fail "bid ${bid[$who]} of $who is not in the opening"
    [[ $line == *" valid "*" ${price[$who]} KRW  ${org[$who]} / $who" ]] ||
        fail "bid ${bid[$who]} should open valid at ${price[$who]} KRW from ${org[$who]}: $line"
done
expect_no "$replaced"
expect_no " $replaced_price KRW"
expect_out "$daegu_bid"
line=$(grep -F "$daegu_bid " out)
[[ $line == *"failed: priced in USD; the tender is in KRW (Daegu Civil Works / daegu, "* ]] ||
    fail "Daegu's bid should open invalid, priced in USD, with its reason: $line"
say "The prices are the ones the suppliers sent, Incheon Paving's replaced bid is not" \
    "opened, and the late bid never existed. Each bidder is named from the certificate" \
    "sealed in its bid, checked against the CA as it stood when the bid arrived, and each" \
    "bid is valid for this tender: in KRW, above zero, within the budget, and answering" \
    "the tender's version at the deadline. Daegu's dollar bid opened too, and is shown" \
    "with the reason it is not valid."
expect_out "document proposal.txt  $(wc -c <proposal.txt) bytes  sha256 $(sha256sum proposal.txt | cut -c1-64)"
say "Busan's proposal is listed for everyone by name, size and SHA-256, but its content" \
    "stays private: the published key opens the bids, not their documents. Another" \
    "supplier asks for it and is refused (exit 17, PERMISSION_DENIED); so is anyone" \
    "without a certificate (exit 26, UNAUTHENTICATED)."
as asphalt opening documents "$id" "${bid[roads]}" --out docs-asphalt
expect_rc 17
ctl opening documents "$id" "${bid[roads]}" --out docs-anyone
expect_rc 26
[ ! -e "docs-asphalt/${bid[roads]}" ] || fail "a supplier received another supplier's document"
say "Park, a committee member and an auditor, fetches it: the server rebuilds the documents" \
    "key from the committee's shares, decrypts the proposal for Park alone, and tenderctl" \
    "checks it against the size and SHA-256 of the public record before writing it."
as park opening documents "$id" "${bid[roads]}" --out docs-park
expect_rc 0
expect_out "0-proposal.txt"
expect_out "ok"
cmp -s proposal.txt "docs-park/${bid[roads]}/0-proposal.txt" ||
    fail "the auditor's copy of the proposal differs from what the supplier sent"

# ---- 5. the award ---------------------------------------------------------------

step 5 "The officer awards the lowest price"
lowest=
for who in asphalt roads paving; do
    if [ -z "$lowest" ] || [ "${price[$who]}" -lt "${price[$lowest]}" ]; then lowest=$who; fi
done
second=roads
[ "$lowest" != roads ] || second=asphalt
say "Suppose the officer wanted to favour ${org[$second]}: the decision is checked" \
    "against the opening record, and a lowest-price award to anyone but the lowest valid" \
    "price is refused."
as officer award "$id" --winner "${bid[$second]}" --criterion lowest-price \
    --rationale "Preferred supplier"
expect_rc 19
expect_err "not the lowest valid price"
say "The real decision: ${org[$lowest]}, ${price[$lowest]} KRW. The officer signs it with" \
    "the key of their certificate; for a standstill period (ten days by default) it can" \
    "still be cancelled after a complaint."
as officer award "$id" --winner "${bid[$lowest]}" --criterion lowest-price \
    --rationale "Lowest valid price"
expect_rc 0
expect_out "standstill until"
ctl award show "$id"
expect_rc 0
expect_out "winner ${bid[$lowest]} (criterion lowest_price)"
[ "$(status_of "$id")" = AWARDED ] || fail "the tender is not awarded"

# ---- 6. the audit ---------------------------------------------------------------

step 6 "An auditor checks everything"
say "Auditing needs no certificate, only the log key pinned at the start. The latest" \
    "checkpoint is verified with it, and the log must extend the checkpoint saved at" \
    "publication: the server cannot have rewritten what happened in between."
ctl audit checkpoint --save checkpoint-now.txt
expect_rc 0
expect_out "signature OK"
say "The same, trusting only what the audit office's witness cosigned: the latest witnessed" \
    "checkpoint, a fraction of a second behind the latest."
for _ in $(seq 50); do
    "$CTL" --witness "$WITNESS_KEY" audit checkpoint >/dev/null 2>&1 && break
    sleep 0.1
done
ctl --witness "$WITNESS_KEY" audit checkpoint
expect_rc 0
expect_out "cosigned by audit.example/witness at"
ctl audit consistency --from checkpoint-at-publication.txt
expect_rc 0
expect_out ": OK"
say "The tender's events, one a line. The bids arrived as \"server\" events that name no" \
    "tender: until the deadline the public log showed that sealed bids came in, never for" \
    "which tender nor from whom. The tender_closed event published the key that links" \
    "them to this tender, so now anyone can count them."
ctl audit log --tender "$id"
expect_rc 0
count() { grep -c "  $1  $id " out; }
[ "$(count tender_published)" -eq 1 ] || fail "expected one tender_published event"
# Bid events name no tender (docs/LOG.md, section 10): the filter finds them by the tag
# key that the tender_closed event published.
[ "$(grep -c "  bid_received  - " out)" -eq 5 ] ||
    fail "expected five bid_received events (4 bids, 1 replacement)"
[ "$(count tender_closed)" -eq 1 ] || fail "expected one tender_closed event"
[ "$(count share_received)" -eq 2 ] || fail "expected two share_received events"
[ "$(count bids_opened)" -eq 1 ] || fail "expected one bids_opened event"
[ "$(count award_recorded)" -eq 1 ] || fail "expected one award_recorded event"
for who in asphalt roads paving; do
    expect_no "${org[$who]}"
done
expect_no "Daegu"
award_leaf=$(grep "  award_recorded  $id " out | cut -d' ' -f1)
say "Any event can be proved to be in the signed log; here the award (leaf $award_leaf)."
ctl audit prove "$award_leaf" --checkpoint checkpoint-now.txt
expect_rc 0
expect_out "included in checkpoint of size"
say "One command does an auditor's whole job for a tender: every event proved in the" \
    "signed log, each published version, every bid against the deadline, the opening by" \
    "two distinct members, every logged ciphertext decrypted again with the published key" \
    "(it must give exactly the published prices), the award against the lowest valid" \
    "price, and the suppliers' and the officer's signatures. Any failed check would make" \
    "it exit 4."
ctl audit verify "$id" --checkpoint checkpoint-at-publication.txt
expect_rc 0
! grep -Eq '^(FAIL|skip) ' out || fail "a check failed or was skipped"
for check in checkpoint consistency inclusion published deadline opening decryption award \
    signatures; do
    grep -Eq "^ok +$check " out || fail "no \"ok\" line for the $check check"
done
say "For a court, the same evidence in one file that checks without the server: the" \
    "tender's events and proofs, its versions, documents, opening record, sealed bids and" \
    "award, and the witnessed checkpoint with the audit office's cosignature."
ctl --witness "$WITNESS_KEY" audit bundle "$id" --out "$id.bundle" --checkpoint checkpoint-at-publication.txt
expect_rc 0

# ---- 7. open data ---------------------------------------------------------------

step 7 "The tender as open data"
say "Finally the public record in the Open Contracting Data Standard, the format" \
    "procurement portals and journalists read: one release per event, with the bids" \
    "from the opening on."
ctl export ocds --tender "$id" --output ocds.json
expect_rc 0
sed 's/^/    /' ocds.json
grep -q "\"ocid\": \"ocds-tndrd-$id\"" ocds.json || fail "the export has no ocid ocds-tndrd-$id"
for who in asphalt roads paving; do
    grep -q "\"amount\": ${price[$who]}," ocds.json || fail "the export lacks the bid of ${price[$who]} KRW"
done
schema=$repo/tests/data/ocds
if [ -x /usr/bin/python3 ] && [ -d "$schema" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
    say "Checked against the official OCDS 1.1.5 JSON Schema with the bids extension:"
    want=${price[asphalt]}:KRW,${price[roads]}:KRW,${price[paving]}:KRW
    printf '  $ tests/ocds_validate.py ocds.json --bids %s --disqualified 1\n' "$want"
    /usr/bin/python3 "$repo/tests/ocds_validate.py" ocds.json --bids "$want" --disqualified 1 \
        >out 2>err
    RC=$?
    last_cmd="tests/ocds_validate.py ocds.json --bids $want --disqualified 1"
    sed 's/^/    /' out err
    [ "$RC" -eq 0 ] || fail "the export is not valid OCDS"
else
    say "(Schema validation skipped: it needs /usr/bin/python3 with jsonschema and the" \
        "OCDS schemas in $schema.)"
fi

# ---- 8. a tender in two lots ------------------------------------------------------

step 8 "A tender in two lots"
now=$(date +%s)
deadline2=$((now + DEMO_BID_WINDOW))
say "The ministry buys its road works of next spring as one tender in two lots: the" \
    "asphalt (lowest price wins) and the road signs (price 70 %, quality 30 %). Each lot" \
    "has its own value, the items say what is bought in which lot, and a supplier may" \
    "bid for either lot or both, with a price per lot sealed in one bid."
as officer tender create --title "Spring road works, Seocho" --currency KRW --cpv 45233140-2 \
    --method open --category works \
    --lot 'LOT-1: Asphalt works; 900000000' \
    --lot 'LOT-2: Road signs; 300000000; criteria=price:70,quality:30' \
    --item '1: Asphalt concrete; 1200 TNE; lot=LOT-1; cpv=44113620-7' \
    --item '2: Speed limit sign; 40 H87; lot=LOT-2; place=Seocho depot' \
    --deadline "$(rfc3339 "$deadline2")" --opening "$(rfc3339 "$deadline2")" \
    --committee committee.txt --threshold 2
expect_rc 0
lots_id=${OUT%%$'\n'*}
[[ $lots_id =~ ^T-[0-9]{4}-[0-9]{6}$ ]] || fail "expected a tender id, got \"$lots_id\""
as officer tender publish "$lots_id"
expect_rc 0
ctl tender show "$lots_id"
expect_rc 0
expect_out "LOT-1"
expect_out "LOT-2"
expect_out "Speed limit sign"
say "Seoul Asphalt bids for both lots, Busan Roadworks for the signs only, Incheon Paving" \
    "for the asphalt only."
declare -A lbid
as asphalt bid submit "$lots_id" --lot-price LOT-1=850000000 --lot-price LOT-2=280000000 \
    --currency KRW --bids-dir bids/asphalt
expect_rc 0
lbid[asphalt]=${OUT%%$'\n'*}
as roads bid submit "$lots_id" --lot-price LOT-2=260000000 --currency KRW --bids-dir bids/roads
expect_rc 0
lbid[roads]=${OUT%%$'\n'*}
as paving bid submit "$lots_id" --lot-price LOT-1=820000000 --currency KRW --bids-dir bids/paving
expect_rc 0
lbid[paving]=${OUT%%$'\n'*}
for who in asphalt roads paving; do
    [[ ${lbid[$who]} =~ ^B-[0-9a-f]{32}$ ]] || fail "expected a bid id for $who, got \"${lbid[$who]}\""
done
[ "$(date +%s)" -lt "$deadline2" ] ||
    fail "the bids took longer than the ${DEMO_BID_WINDOW} s before the deadline; try DEMO_BID_WINDOW=20"
printf '  (waiting for %s to show closed)\n' "$lots_id"
until [ "$(status_of "$lots_id")" = CLOSED ]; do
    [ "$(date +%s)" -le $((deadline2 + 15)) ] || fail "the tender did not close at its deadline"
    sleep 0.2
done
say "Kim and Park open the bids; the opening judges each lot's price on its own and" \
    "groups the bids by lot."
as kim open "$lots_id" --key keys/kim.key
expect_rc 0
as park open "$lots_id" --key keys/park.key
expect_rc 0
expect_out "tender opened"
ctl opening show "$lots_id"
expect_rc 0
expect_out "lot LOT-1 (Asphalt works): 2 bids, 2 valid"
expect_out "lot LOT-2 (Road signs): 2 bids, 2 valid"
say "Lot 1 goes to the lowest price, Incheon Paving. Lot 2 is scored: Seoul Asphalt" \
    "80 on price and 90 on quality (83 points), Busan Roadworks 90 and 60 (81)."
as officer award "$lots_id" --lot LOT-1 --winner "${lbid[paving]}" --criterion lowest-price \
    --rationale "Lowest valid price for the asphalt"
expect_rc 0
as officer award "$lots_id" --lot LOT-2 --winner "${lbid[asphalt]}" --criterion weighted \
    --score "${lbid[asphalt]}:price=80" --score "${lbid[asphalt]}:quality=90" \
    --score "${lbid[roads]}:price=90" --score "${lbid[roads]}:quality=60" \
    --rationale "Highest weighted score"
expect_rc 0
lot2_award=$("$CTL" --json award show "$lots_id" 2>/dev/null | python3 -c '
import json, sys
print(next(a["id"] for a in json.load(sys.stdin)["awards"] if a["decision"]["lot_id"] == "LOT-2"))
' 2>/dev/null) || fail "no award for lot 2"
say "Busan Roadworks complains to the review body during lot 2's standstill: its signs'" \
    "quality was scored on an old sample. Only a bidder of lot 2 may complain about its" \
    "award; the complaint is in the log at once, but who filed it is not: the public sees" \
    "a complaint's content once the review body accepts it, and never the complainant."
printf 'Sample SGN-2 (2026 edition) delivered on 3 November; the scoring used SGN-1.\n' >grounds.txt
as roads complaint file "$lots_id" --about award --award "$lot2_award" \
    --title "Quality scored on an old sample" \
    --text "The evaluation of lot 2 scored the quality of our signs on the withdrawn 2025 sample." \
    --document grounds.txt
expect_rc 0
complaint=${OUT%%$'\n'*}
[[ $complaint == "$lots_id"-C* ]] || fail "expected a complaint id, got \"$complaint\""
ctl complaint list "$lots_id"
expect_rc 0
expect_no "$complaint"
say "While the complaint is pending, lot 2's award cannot become final, whatever the" \
    "standstill says. The review body accepts the complaint and, after hearing the buyer," \
    "upholds it; each decision is signed with the board's certificate key, like the" \
    "officer's award, so anyone can check it later without the server."
as board complaint accept "$complaint" --reasoning "Admissible: filed by a bidder of lot 2 within the standstill."
expect_rc 0
as board complaint decide "$complaint" --outcome satisfy \
    --reasoning "The 2026 sample was delivered in time and must be scored; lot 2 is to be decided again."
expect_rc 0
ctl complaint show "$complaint"
expect_rc 0
expect_out "satisfied"
expect_no "Busan Roadworks"
say "The upheld complaint holds lot 2's award until the officer acts: the officer cancels" \
    "it with the codelist's reason (lot 1's award goes on) and decides lot 2 again, now 90" \
    "and 80 for Busan (87 points)."
as officer award cancel "$lots_id" --lot LOT-2 --reason "Complaint $complaint upheld: quality re-scored" \
    --reason-code complaint-upheld
expect_rc 0
as officer award "$lots_id" --lot LOT-2 --winner "${lbid[asphalt]}" --criterion weighted \
    --score "${lbid[asphalt]}:price=80" --score "${lbid[asphalt]}:quality=90" \
    --score "${lbid[roads]}:price=90" --score "${lbid[roads]}:quality=80" \
    --rationale "Highest weighted score"
expect_rc 19
expect_err "not the highest"
as officer award "$lots_id" --lot LOT-2 --winner "${lbid[roads]}" --criterion weighted \
    --score "${lbid[asphalt]}:price=80" --score "${lbid[asphalt]}:quality=90" \
    --score "${lbid[roads]}:price=90" --score "${lbid[roads]}:quality=80" \
    --rationale "Highest weighted score after the complaint"
expect_rc 0
ctl award show "$lots_id"
expect_rc 0
grep -A4 "^lot LOT-1 " out | grep -q "winner ${lbid[paving]} " || fail "lot 1 should go to Incheon Paving"
grep -A4 "^lot LOT-2 " out | grep -q "winner ${lbid[roads]} " || fail "lot 2 should go to Busan Roadworks"
say "The auditor checks every lot: each lot's bids, their prices, the awards against each" \
    "lot's criterion, the cancelled decision against its events, and the complaint: its" \
    "steps in order, its text against the log, the board's signatures, and no award made" \
    "final while it held it."
ctl audit verify "$lots_id" --ca pki/ca.crt
expect_rc 0
! grep -Eq '^FAIL ' out || fail "a check of the two-lot tender failed"
grep -Eq "^ok +complaints +1 complaint" out || fail "no \"ok\" line for the complaint"

# ---- 9. evidence without the server -----------------------------------------------

step 9 "Evidence that needs no server"
say "The server is stopped. The bundle is checked from the file alone: every check of" \
    "audit verify, and the witness's cosignature on its checkpoint."
printf '  $ kill -TERM %s   # tenderd\n' "$srv_pid"
kill -TERM "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
srv_pid=
ctl --witness "$WITNESS_KEY" audit verify --bundle "$id.bundle" --ca pki/ca.crt
expect_rc 0
expect_out "cosigned by audit.example/witness"
! grep -Eq '^FAIL ' out || fail "a check of the bundle failed"

printf '\nThe demo went through every step: published, sealed, closed, opened, awarded,\n'
printf 'audited, exported, in two lots and bundled. The server stops and %s is removed.\n' "$dir"
exit 0
