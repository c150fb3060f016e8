#!/usr/bin/env bash
# Write the seed inputs of one fuzz target into a directory:
#   tests/fuzz/seeds.sh decode DIR
# Seeds are written from hex here, at run time, so no binary files live in
# the repository. Unknown targets get no generated seeds (exit 0).
set -eu
target=$1
dir=$2
mkdir -p "$dir"

# seed NAME HEX...: the bytes spelled by HEX (spaces ignored) into DIR/NAME.
seed() {
    local name=$1 hex out=
    shift
    hex=$(printf '%s' "$*" | tr -d ' \n')
    for ((i = 0; i < ${#hex}; i += 2)); do
        out+="\\x${hex:i:2}"
    done
    printf "$out" >"$dir/$name"
}

case "$target" in
decode)
    seed empty_map 80
    # Scalars: every singular field, extreme values
    seed scalars 89 01c3 02d280000000 03ff 04ceffffffff 05cfffffffffffffffff \
        06cb7ff8000000000000 07a3616263 08c4020001 0902
    # Scalars: optional fields present with defaults
    seed scalars_opt 89 0bc2 0c00 0d00 0e00 0f00 10cb0000000000000000 11a0 12c400 1300
    # Containers: repeated of each kind, maps, nested message
    seed containers 8a 0192c3c2 0292 01ff 0391d3 8000000000000000 0491ceffffffff \
        0591cd012c 0692ca3fc00000cb7ff0000000000000 0792a161a0 0892c400c40101 \
        0c81a178 81 01c3 0e82 07a163 0c01
    seed containers_maps 83 0b82a16bfb a0d0ff 0d81a161a162 0a9280 8102 05
    # Node: a list and a tree
    seed node 83 01a172 0281 01a16e 0392 8101a161 81 0391 8101a162
    # Limited: exactly at every limit
    seed limited 84 01a83132333435363738 02c40401020304 0393010203 \
        0482a16ba176a53132333435a56162636465
    # a few malformed shapes for the checker
    seed huge_array ddffffffff
    seed huge_map dfffffffff
    seed never_used 91c1
    seed ext 8107d40100
    seed deep 9191919191919191919190
    seed trailing 8080
    ;;
frame)
    # SETTINGS, then a unary Health/Check: CALL, MESSAGE (docs/PROTOCOL.md section 9)
    seed settings 0000001e 93 00 00 85 01ce00400000 02cd0400 03ce00800000 04cd4000 05ce02000000
    seed call 00000035 95 01 01 bd74656e6465722e6865616c74682e76312e4865616c74682f436865636b \
        81 ac782d726571756573742d6964 a27231 cd1388
    seed message 00000020 94 02 01 c41a 8101b774656e6465722e6865616c74682e76312e4865616c7468 c3
    seed ping_window 00000006 94 05 00 01 c2 00000004 93 07 00 10
    seed goaway_cancel 00000005 95 06 00 00 00 a0 00000003 92 04 03
    seed oversized 7fffffff 90
    seed truncated 00000003 95 01 01
    seed huge_map_payload 00000009 94 02 01 c405 ddffffffff c3
    ;;
custody)
    # A bid file as tenderctl writes it (include/tender/custody.h), without receipts
    printf '%s\n' '# tender bid file' 'tender T-2026-000001' \
        'bid B-00112233445566778899aabbccddeeff' \
        'nonce AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=' >"$dir/plain"
    printf '%s\n' 'tender T-2026-000001' 'bid B-00112233445566778899aabbccddeeff' \
        'nonce AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=' \
        'replaces B-ffeeddccbbaa99887766554433221100' >"$dir/replaces"
    ;;
bundle)
    # a minimal bundle: header, tender, checkpoint, consistency proof, two events (one with a
    # proof), the tender, one document with its bytes, saved_size (docs/AUDIT.md)
    seed minimal 8b01b774656e646572642065766964656e63652062756e646c65020103a15404cd012c05bf74656e646572642e6c6f63 \
        616c2f6c6f672b38646234386538612b415a593306c4768301d94d74656e646572642e6c6f63616c2f6c6f670a320a41 \
        4141414141414141414141414141414141414141414141414141414141414141414141414141414141413d0a0ae28094 \
        207820414141410a020203c420000000000000000000000000000000000000000000000000000000000000000008c420 \
        0000000000000000000000000000000000000000000000000000000000000000099282010002c4048101a15483010102 \
        c4018003c42000000000000000000000000000000000000000000000000000000000000000000bc4018010918301a454 \
        2d443102c303c4047370616e1901
    seed version2 82 01b774656e646572642065766964656e63652062756e646c65 0202
    seed header_only 82 01b774656e646572642065766964656e63652062756e646c65 0201
    ;;
changeset)
    # "tnd-changes 1\n", batch 1 at time 1000, two entries: a put in tenders ("T-1" -> "abc")
    # and a delete from meta ("x") (server/store/changeset.h)
    seed two_entries 746e642d6368616e6765732031 0a 0000000000000001 00000000000003e8 00000002 \
        01 07 74656e64657273 0003 542d31 00000003 616263 \
        02 04 6d657461 0001 78
    seed empty 746e642d6368616e6765732031 0a 0000000000000002 00000000000003e9 00000000
    ;;
esac
