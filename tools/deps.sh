#!/bin/sh
# Install (or, when not root, name) the Debian packages tenderd needs.
#   tools/deps.sh check PKG...    install what is missing when root, else print the command and fail
#   tools/deps.sh install PKG...  the same, named for `make deps`
#   tools/deps.sh have PKG...     only answer: exit 0 when all are installed, 1 otherwise
set -u
mode=$1; shift
missing=""
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
[ "$mode" = have ] && exit 1
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >&2 || {
        echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
    exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: run as root:  apt-get update && apt-get install -y$missing" >&2
[ "$mode" = install ] && exit 1
exit 1
