#!/usr/bin/env bash
# Short smoke runs of libFuzzer targets:   tests/fuzz_smoke.sh build/fuzz/fuzz_x ...
# Each target runs on a temporary copy of its seed corpus (the committed
# tests/fuzz/corpus/NAME/ if any, plus what tests/fuzz/seeds.sh NAME writes),
# so the repository is never written to. About FUZZ_SMOKE_SECONDS (20) in all,
# 5 to 10 s per target. One line per target, "NAME PASSED FAILED", is appended
# to build/fuzz/results; a failing target's fuzzer output is printed and the
# script exits non-zero.
set -u
: "${FUZZ_SMOKE_SECONDS:=20}"
results=build/fuzz/results
mkdir -p build/fuzz
[ $# -gt 0 ] || { echo "usage: $0 FUZZ_BIN..." >&2; exit 2; }

per=$((FUZZ_SMOKE_SECONDS / $#))
((per > 10)) && per=10
((per < 5)) && per=5
status=0
for bin in "$@"; do
    name=$(basename "$bin")
    short=${name#fuzz_}
    work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_smoke.XXXXXX")
    mkdir -p "$work/corpus" "$work/artifacts"
    if [ -d "tests/fuzz/corpus/$short" ]; then
        cp -R "tests/fuzz/corpus/$short/." "$work/corpus/"
    fi
    tests/fuzz/seeds.sh "$short" "$work/corpus"
    log="build/fuzz/$name.log"
    "$bin" -max_total_time="$per" -rss_limit_mb=512 -malloc_limit_mb=128 -timeout=10 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        printf '  ok    %-28s %s runs in %ss\n' "$name" "${runs:-?}" "$per"
        echo "$name 1 0" >>"$results"
    else
        printf '  FAIL  %-28s fuzzer exit %d (%s)\n' "$name" "$rc" "$log"
        grep -v '^#[0-9]' "$log" | tail -n 80 | sed 's/^/        | /'
        for a in "$work"/artifacts/*; do
            [ -f "$a" ] && echo "        crashing input (hex): $(od -An -tx1 -v "$a" | tr -d ' \n' | head -c 400)"
        done
        echo "$name 0 1" >>"$results"
        status=1
    fi
    rm -rf "$work"
done
exit $status
