#!/usr/bin/env bash
# Page faults and CPU time of the receiving side of a PUSH->PULL run: the receiver runs under
# `perf stat -e page-faults,task-clock`, the sender as usual; prints the receiver's rate and
# the counters.
#
#   benches/suite/pagefaults.sh [BINARY] [VARIANT] [SIZE] [COUNT] [CASE]
#
# Defaults: the suite's release binary, zmtp-1w-caller, 1 MiB, 3000 messages, push_pull_tcp.
# Needs perf (apt-get install linux-perf).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=endpoint.sh
source "$here/endpoint.sh"
bin=${1:-$here/target/release/zmtp-bench}
variant=${2:-zmtp-1w-caller}
size=${3:-1048576}
count=${4:-3000}
case=${5:-push_pull_tcp}
out=$(mktemp -d /tmp/zmtp-pagefaults.XXXXXX)
common=(--case "$case" --variant "$variant" --size "$size" --count "$count")
perf stat -e page-faults,task-clock -x, -o "$out/recv.perf" \
  "$bin" peer --role thr-recv "${common[@]}" > "$out/recv.log" 2> "$out/recv.err" &
recv=$!
endpoint=$(announced_endpoint "$out/recv.log")
"$bin" peer --role thr-send "${common[@]}" --endpoint "$endpoint" > "$out/send.log" 2> "$out/send.err" &
send=$!
wait "$recv"
kill "$send" 2>/dev/null || true
wait "$send" 2>/dev/null || true
grep '^RESULT' "$out/recv.log"
grep -v '^#' "$out/recv.perf" | grep -v '^$'
rm -rf "$out"
