# What the shell HA tests share (sourced, not run): ROOT and BIN, a folder for the test that the
# PostgreSQL pair can reach, and free ports.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin

# ha_dir NAME: a new folder under TMPDIR; the pair runs as the postgres user and must reach it
ha_dir() {
    d=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    chmod 711 "$d"
    echo "$d"
}

# port: a free TCP port on 127.0.0.1 (bound and let go; the server takes it a moment later)
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
