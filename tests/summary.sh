#!/bin/sh
# Add up the "NAME PASSED FAILED" lines of every results file named and print
# one closing line; exit non-zero when anything failed or nothing ran.
set -u
passed=0; failed=0; files=0
for f in "$@"; do
    if [ ! -f "$f" ]; then
        echo "summary: missing results file $f (that part of the suite did not run)" >&2
        failed=$((failed + 1))
        continue
    fi
    files=$((files + 1))
    while read -r _ p fl; do
        passed=$((passed + p)); failed=$((failed + fl))
    done <"$f"
done
echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
