#!/usr/bin/env bash
# System calls of both sides of a REQ/REP run (`strace -f -c`): what a round trip costs in
# reads, writes and waits.
#
#   benches/suite/syscalls_lat.sh [BINARY] [VARIANT] [SIZE] [COUNT]
#
# Defaults: the suite's release binary, zmtp-1w-caller, 1 KiB, 20000 round trips (and the
# suite's warm-up). Needs strace.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=endpoint.sh
source "$here/endpoint.sh"
bin=${1:-$here/target/release/zmtp-bench}
variant=${2:-zmtp-1w-caller}
size=${3:-1024}
count=${4:-20000}
out=$(mktemp -d /tmp/zmtp-syscalls.XXXXXX)
common=(--case req_rep_tcp --variant "$variant" --size "$size" --count "$count")
strace -f -c -o "$out/rep.strace" \
  "$bin" peer --role lat-rep "${common[@]}" > "$out/rep.log" 2> "$out/rep.err" &
endpoint=$(announced_endpoint "$out/rep.log")
strace -f -c -o "$out/req.strace" \
  "$bin" peer --role lat-req "${common[@]}" --endpoint "$endpoint" > "$out/req.log" 2> "$out/req.err"
# The REP echoes until it is ended; strace then writes its summary.
pkill -f -- "--role lat-rep .*--variant $variant" || true
for _ in $(seq 1 100); do
  [[ -s $out/rep.strace ]] && break
  sleep 0.1
done
grep '^RESULT' "$out/req.log"
echo "== REQ"; head -8 "$out/req.strace"
echo "== REP"; head -8 "$out/rep.strace"
rm -rf "$out"
