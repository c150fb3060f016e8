#!/bin/sh
# Steps of tests/test_install.c, each checking one part of `make install` in a staging
# folder. Run from the top of the source tree:
#   tests/install_check.sh STEP STAGE [ARGS]
# BUILD (default build) and SAN (1 for the sanitizer build) say which build is installed.
# Exit status 0 when the step's checks hold; otherwise the reason is on stderr.
set -eu
step=$1
stage=$2
shift 2
: "${BUILD:=build}"
: "${SAN:=}"
prefix=/usr
root=$stage$prefix
work=$stage.work
mkdir -p "$work"

fail() {
    echo "install_check $step: $*" >&2
    exit 1
}

# pkg-config inside the staging folder: our tender.pc first, the system's for libuv etc.
pc() {
    PKG_CONFIG_PATH=$root/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage pkg-config "$@"
}

# Compile tests/install/tender_client.c against the installed headers and library.
cflags_extra=""
[ "$SAN" = 1 ] && cflags_extra="-fsanitize=address,undefined"

# Every --flag a program's help texts print, one a line.
flags_of() {
    grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

# The installed tenderctl's commands, and "COMMAND SUB" for each subcommand its help names
# that takes --help (exit 0), one a line.
ctl_commands() {
    ctl=$root/bin/tenderctl
    for c in $("$ctl" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z]\{1,\}\).*/\1/p' | sort -u); do
        echo "$c"
        subs=$("$ctl" "$c" --help 2>&1 | sed -n "s/^  \([a-z]\{1,\}\)\( .*\)\{0,1\}$/\1/p; s/.*tenderctl $c \([a-z]\{1,\}\).*/\1/p" | sort -u)
        for sub in $subs; do
            "$ctl" "$c" "$sub" --help >/dev/null 2>&1 && echo "$c $sub"
        done
    done
}

# Every help text of tenderctl: the top one, each command's and each subcommand's.
ctl_helps() {
    "$root/bin/tenderctl" --help
    ctl_commands | while read -r c sub; do
        # shellcheck disable=SC2086
        "$root/bin/tenderctl" $c $sub --help 2>&1 || true
    done
}

case "$step" in
install)
    # The nested make must not inherit the jobserver of a `make check` that runs us.
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory install \
        BUILD="$BUILD" SAN="$SAN" PREFIX=$prefix DESTDIR="$stage" >&2
    ;;

layout)
    for f in bin/tenderd bin/tenderctl bin/tenderwitness lib/libtender.a lib/libtender.so.0.1.0 \
        lib/pkgconfig/tender.pc include/tender/client.h include/tender/error.h \
        include/tender/tender_schema.h share/man/man8/tenderd.8 share/man/man1/tenderctl.1 \
        share/man/man1/tenderwitness.1 share/bash-completion/completions/tenderctl \
        share/bash-completion/completions/tenderd share/bash-completion/completions/tenderwitness \
        lib/systemd/system/tenderd.service \
        share/doc/tenderd/tenderd.conf.example; do
        [ -f "$root/$f" ] || fail "$prefix/$f is missing"
    done
    [ -x "$root/bin/tenderd" ] && [ -x "$root/bin/tenderctl" ] && [ -x "$root/bin/tenderwitness" ] ||
        fail "programs not executable"
    [ "$(readlink "$root/lib/libtender.so.0")" = libtender.so.0.1.0 ] ||
        fail "libtender.so.0 does not point to libtender.so.0.1.0"
    [ "$(readlink "$root/lib/libtender.so")" = libtender.so.0 ] ||
        fail "libtender.so does not point to libtender.so.0"
    soname=$(readelf -d "$root/lib/libtender.so.0.1.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = libtender.so.0 ] || fail "soname is '$soname', not libtender.so.0"
    # Every public header is installed, and nothing else lands in include/tender/.
    for h in include/tender/*.h; do
        cmp -s "$h" "$root/$h" || fail "$h differs from the installed one"
    done
    expected=$(ls include/tender; echo tender_schema.h)
    extra=$(ls "$root/include/tender" | grep -v -x -F "$expected" || true)
    [ -z "$extra" ] || fail "unexpected headers installed: $extra"
    # Nothing outside PREFIX.
    outside=$(cd "$stage" && find . -mindepth 1 -maxdepth 1 ! -name usr)
    [ -z "$outside" ] || fail "installed outside $prefix: $outside"
    ;;

pkgconfig)
    [ "$(pc --modversion tender)" = 0.1.0 ] || fail "tender.pc: version is not 0.1.0"
    cflags=$(pc --cflags tender)
    libs=$(pc --libs tender)
    static=$(pc --static --libs tender)
    echo "cflags: $cflags / libs: $libs / static: $static" >&2
    case " $cflags " in *" -I$root/include "*) ;; *) fail "--cflags lacks -I$root/include" ;; esac
    case " $libs " in *" -L$root/lib -ltender "*) ;; *) fail "--libs lacks -L$root/lib -ltender" ;; esac
    for l in -luv -lmsgpackc -lssl -lcrypto -lpthread; do
        case " $static " in *" $l "*) ;; *) fail "--static --libs lacks $l" ;; esac
    done
    ;;

static | shared)
    port=$1
    pki=$2
    name=$3
    exe=$work/client-$step
    cflags=$(pc --cflags tender)
    if [ "$step" = static ]; then
        # The archive in place of -ltender, then what it needs (pkg-config --static).
        libs=$(echo " $(pc --static --libs tender) " | sed "s| -ltender | $root/lib/libtender.a |")
    else
        libs=$(pc --libs tender)
    fi
    # shellcheck disable=SC2086
    cc -std=c11 -Wall -Wextra -Werror $cflags_extra $cflags -o "$exe" \
        tests/install/tender_client.c $libs
    needed=$(readelf -d "$exe" | grep NEEDED || true)
    if [ "$step" = static ]; then
        echo "$needed" | grep -q libtender && fail "the static client needs libtender.so"
        "$exe" "127.0.0.1:$port" "$pki" "$name" || fail "the static client failed"
    else
        echo "$needed" | grep -q 'libtender.so.0' || fail "the shared client does not need libtender.so.0"
        LD_LIBRARY_PATH=$root/lib "$exe" "127.0.0.1:$port" "$pki" "$name" || fail "the shared client failed"
        # And it really ran the installed library.
        LD_LIBRARY_PATH=$root/lib ldd "$exe" | grep -q "$root/lib/libtender.so.0" ||
            fail "ldd does not resolve libtender.so.0 in $root/lib"
    fi
    ;;

exports)
    syms=$(nm -D --defined-only "$root/lib/libtender.so.0.1.0" | awk '{ print $3 }' | sed 's/@.*//')
    for s in tnd_strerror tnd_client_open tnd_client_unary tnd_pki_issue \
        tender_health_v1_Health_methods tender_health_v1_HealthCheckRequest_desc; do
        echo "$syms" | grep -q -x "$s" || fail "$s is not exported"
    done
    internal=$(echo "$syms" | grep -E '^tnd__|^tnd_frame_|^tnd_tls_' || true)
    [ -z "$internal" ] || fail "internal symbols exported: $(echo $internal)"
    other=$(echo "$syms" | grep -v -E '^(tnd_|tender_|TENDER_0$)' || true)
    [ -z "$other" ] || fail "symbols outside the API exported: $(echo $other)"
    ;;

man)
    for m in man8/tenderd.8 man1/tenderctl.1 man1/tenderwitness.1; do
        w=$(groff -man -Tutf8 -ww -z "$root/share/man/$m" 2>&1)
        [ -z "$w" ] || fail "groff warns about $m: $w"
        groff -man -Tutf8 -P-cbou "$root/share/man/$m" >"$work/$(basename "$m").txt" 2>"$work/man.err" ||
            fail "groff cannot render $m: $(cat "$work/man.err")"
        grep -q '^NAME' "$work/$(basename "$m").txt" || fail "$m has no NAME section"
    done
    # Every flag that tenderd --help prints is in tenderd(8), and every flag tenderd(8)
    # documents is one of tenderd's (or a tenderctl flag it mentions).
    {
        "$root/bin/tenderd" --help
        for c in $("$root/bin/tenderd" --help | sed -n 's/^ *tenderd \([a-z]\{1,\}\).*/\1/p' | sort -u); do
            "$root/bin/tenderd" "$c" --help
        done
    } | flags_of >"$work/tenderd.help"
    flags_of <"$root/share/man/man8/tenderd.8" >"$work/tenderd.man"
    # tenderctl: the top help, every command's and every subcommand's.
    ctl_helps | flags_of >"$work/tenderctl.help"
    flags_of <"$root/share/man/man1/tenderctl.1" >"$work/tenderctl.man"
    missing=$(comm -23 "$work/tenderd.help" "$work/tenderd.man")
    [ -z "$missing" ] || fail "tenderd --help flags missing from docs/man/tenderd.8.scd: $(echo $missing)"
    unknown=$(sort -u "$work/tenderd.help" "$work/tenderctl.help" | comm -13 - "$work/tenderd.man")
    [ -z "$unknown" ] || fail "docs/man/tenderd.8.scd documents flags tenderd lacks: $(echo $unknown)"
    missing=$(comm -23 "$work/tenderctl.help" "$work/tenderctl.man")
    [ -z "$missing" ] ||
        fail "tenderctl help flags missing from tenderctl.1 (docs/man/tenderctl.1.scd.in): $(echo $missing)"
    [ "$(wc -l <"$work/tenderctl.help")" -gt 40 ] || fail "found too few tenderctl flags"
    # tenderwitness: its help and each command's, against tenderwitness(1), both ways.
    {
        "$root/bin/tenderwitness" --help
        for c in $("$root/bin/tenderwitness" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
            "$root/bin/tenderwitness" "$c" --help
        done
        echo --help
    } | flags_of >"$work/tenderwitness.help"
    flags_of <"$root/share/man/man1/tenderwitness.1" >"$work/tenderwitness.man"
    [ "$(wc -l <"$work/tenderwitness.help")" -ge 5 ] || fail "found too few tenderwitness flags"
    missing=$(comm -23 "$work/tenderwitness.help" "$work/tenderwitness.man")
    [ -z "$missing" ] ||
        fail "tenderwitness help flags missing from docs/man/tenderwitness.1.scd: $(echo $missing)"
    unknown=$(sort -u "$work/tenderwitness.help" "$work/tenderd.help" | comm -13 - "$work/tenderwitness.man")
    [ -z "$unknown" ] ||
        fail "docs/man/tenderwitness.1.scd documents flags tenderwitness lacks: $(echo $unknown)"
    ;;

completion)
    comp=$root/share/bash-completion/completions/tenderctl
    bash -n "$comp" || fail "bash -n rejects the completion script"
    mkdir -p "$work/completion"
    touch "$work/completion/ca.crt" "$work/completion/cb.key"
    out=$(cd "$work/completion" && bash -c '
        . "$1"
        t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
              _tenderctl; echo "${COMPREPLY[*]}"; }
        t tenderctl ""
        t tenderctl tender ""
        t tenderctl --ca ca.crt tender create --meth
        t tenderctl tender create --method ""
        t tenderctl --ca c
        t tenderctl bid submit T --j
        t tenderctl complaint ""
        t tenderctl complaint file T --about ""
        t tenderctl complaint decide ID --outcome ""' _ "$comp")
    echo "$out" >&2
    exp="health methods schema pki tender question audit keys bid open opening export award complaint backup completion
create edit publish amend cancel lot-cancel show list documents download
--method
open selective limited direct
ca.crt cb.key
--json
file list show accept decide withdraw
conditions award cancellation
refuse satisfy reject"
    [ "$out" = "$exp" ] || fail "unexpected completions"
    # Every command, subcommand and flag of tenderctl's help texts is in the script (flags that
    # the texts name only as tenderd's, like --standstill, excepted).
    ctl_commands >"$work/commands"
    [ "$(wc -l <"$work/commands")" -gt 30 ] || fail "found too few tenderctl subcommands"
    # What the script offers after "tenderctl " and after "tenderctl COMMAND ", as "COMMAND SUB".
    offered=$(bash -c '
        . "$1"
        t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
              _tenderctl; printf "%s\n" "${COMPREPLY[@]}"; }
        for c in $(t tenderctl ""); do
            echo "$c"
            for sub in $(t tenderctl "$c" ""); do echo "$c $sub"; done
        done' _ "$comp")
    missing=$(echo "$offered" | grep -v -x -F -f - "$work/commands" || true)
    [ -z "$missing" ] || fail "not completed: $(echo "$missing" | tr '\n' ',')"
    "$root/bin/tenderd" --help | flags_of >"$work/tenderd.flags"
    ctl_helps | flags_of >"$work/ctl.flags"
    flags_of <"$comp" >"$work/comp.flags"
    missing=$(comm -23 "$work/ctl.flags" "$work/comp.flags" | grep -v -x -F -f "$work/tenderd.flags" || true)
    [ -z "$missing" ] ||
        fail "tenderctl flags missing from the completion script (tenderctl completion bash): $(echo $missing)"
    # tenderd's reads the installed program's help: flags, subcommands, files, levels.
    dcomp=$root/share/bash-completion/completions/tenderd
    bash -n "$dcomp" || fail "bash -n rejects the tenderd completion script"
    out=$(cd "$work/completion" && bash -c '
        . "$1"
        t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
              _tenderd; echo "${COMPREPLY[*]}"; }
        t "$2" ""
        t "$2" --conf
        t "$2" --config c
        t "$2" --log-level w
        t "$2" --listen ""
        t "$2" backup --o' _ "$dcomp" "$root/bin/tenderd")
    echo "$out" >&2
    exp="backup restore cluster-init
--config
ca.crt cb.key
warn

--out"
    [ "$out" = "$exp" ] || fail "unexpected tenderd completions"
    # tenderwitness's reads the installed program's help: commands and each one's flags.
    wcomp=$root/share/bash-completion/completions/tenderwitness
    bash -n "$wcomp" || fail "bash -n rejects the tenderwitness completion script"
    out=$(cd "$work/completion" && bash -c '
        . "$1"
        t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
              _tenderwitness; echo "${COMPREPLY[*]}"; }
        t "$2" ""
        t "$2" serve --l
        t "$2" init --' _ "$wcomp" "$root/bin/tenderwitness")
    echo "$out" >&2
    exp="init print-key serve
--listen --log
--name --state"
    [ "$out" = "$exp" ] || fail "unexpected tenderwitness completions"
    ;;

unit)
    unit=$root/lib/systemd/system/tenderd.service
    for d in "Type=simple" "User=tenderd" \
        "ExecStart=$prefix/bin/tenderd --config /etc/tenderd/tenderd.conf" \
        'ExecReload=/bin/kill -HUP $MAINPID' "KillSignal=SIGTERM" "NoNewPrivileges=yes" \
        "ProtectSystem=strict" "ReadWritePaths=/var/lib/tenderd" "StateDirectory=tenderd" \
        "PrivateTmp=yes" "PrivateDevices=yes" "ProtectHome=yes" "MemoryDenyWriteExecute=yes" \
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "CapabilityBoundingSet=" \
        "SystemCallFilter=@system-service"; do
        grep -q -x -F "$d" "$unit" || fail "tenderd.service lacks $d"
    done
    # Stopping must outlast the drain grace (tenderd --grace, 10 s by default).
    t=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
    [ "${t:-0}" -gt 10 ] || fail "TimeoutStopSec=$t is not above the 10 s grace"
    # The example configuration is one the installed tenderd accepts, with the service's paths.
    conf=$root/share/doc/tenderd/tenderd.conf.example
    "$root/bin/tenderd" --config "$conf" --print-config >"$work/conf.out" ||
        fail "tenderd refuses the installed tenderd.conf.example"
    for d in "db = /var/lib/tenderd/db" "cert = /etc/tenderd/server.crt" \
        "key = /etc/tenderd/server.key" "ca = /etc/tenderd/ca.crt"; do
        grep -q -x -F "$d" "$work/conf.out" || fail "tenderd.conf.example lacks $d"
    done
    if command -v systemd-analyze >/dev/null; then
        # Verified as if installed: the program path pointing into the staging folder.
        sed "s|^ExecStart=$prefix/bin/tenderd|ExecStart=$root/bin/tenderd|" "$unit" \
            >"$work/tenderd.service"
        systemd-analyze verify --man=no "$work/tenderd.service" ||
            fail "systemd-analyze verify rejects tenderd.service"
    fi
    ;;

uninstall)
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory uninstall \
        BUILD="$BUILD" SAN="$SAN" PREFIX=$prefix DESTDIR="$stage" >&2
    left=$(find "$stage" ! -type d)
    [ -z "$left" ] || fail "left after uninstall: $left"
    ;;

*)
    fail "unknown step"
    ;;
esac
