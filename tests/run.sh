#!/usr/bin/env bash
# Run test binaries and record their counts.
#   BUILD=build tests/run.sh build/tests/test_a build/tests/test_b ...
# Each binary's output goes to $BUILD/tests/NAME.log; one line per binary,
# "NAME PASSED FAILED", is appended to $BUILD/results for tests/summary.sh.
# A binary that dies without reporting counts (a crash, a sanitizer abort,
# a timeout) counts as one failure.
#
# TEST_JOBS binaries run at once (default 2): most of the end-to-end tests
# wait on deadlines, standstills and child processes rather than compute.
# Every test makes its own temporary folder and finds its own free ports, so
# they do not share anything. A line is printed as each binary ends.
set -u
: "${BUILD:=build}"
: "${TEST_TIMEOUT:=600}"
: "${TEST_JOBS:=2}"
export BUILD
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Run one binary; its line on stdout, its counts into $BUILD/results.
# Exits 1 when it failed.
run_one() {
    local t=$1 name log rc passed failed
    name=$(basename "$t")
    log="$BUILD/tests/$name.log"
    timeout --kill-after=10 "$TEST_TIMEOUT" "$t" >"$log" 2>&1
    rc=$?
    # A binary may run several cmocka groups: add up every group's counts.
    passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
    failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
    passed=${passed:-0}
    failed=${failed:-0}
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        failed=1
    fi
    # One write per result, so that lines of binaries ending together do not mix.
    if [ "$failed" -eq 0 ]; then
        printf '  ok    %-28s %3d passed   (%s)\n' "$name" "$passed" "$BUILD"
    else
        printf '  FAIL  %-28s %3d passed, %d failed (exit %d, %s)\n%s\n' "$name" "$passed" \
            "$failed" "$rc" "$log" "$(tail -n 40 "$log" | sed 's/^/        | /')"
    fi
    echo "$name $passed $failed" >>"$BUILD/results"
    [ "$failed" -eq 0 ]
}

status=0
running=0
for t in "$@"; do
    if [ "$running" -ge "$TEST_JOBS" ]; then
        wait -n || status=1
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || status=1
    running=$((running - 1))
done
exit $status
