#!/usr/bin/env bash
# Instructions per message on each side of a PUSH->PULL run, under callgrind: the receiving and
# the sending process each run in `valgrind --tool=callgrind`; the totals (whole process, start-up
# included: about 20 instructions a message at this count) are divided by the message count.
#
#   benches/suite/callgrind.sh [BINARY] [CASE] [VARIANT] [SIZE] [COUNT]
#
# Defaults: the suite's release binary, push_pull_tcp, zmtp-1w-caller, 1 B, 200000 messages.
# A CURVE case (push_pull_curve_tcp) runs with libzmq's test key pair as the server's (the
# receiver binds as the CURVE server); the client makes its own. Needs valgrind (apt-get install
# valgrind).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=endpoint.sh
source "$here/endpoint.sh"
bin=${1:-$here/target/release/zmtp-bench}
case=${2:-push_pull_tcp}
variant=${3:-zmtp-1w-caller}
size=${4:-1}
count=${5:-200000}
out=$(mktemp -d /tmp/zmtp-callgrind.XXXXXX)
common=(--case "$case" --variant "$variant" --size "$size" --count "$count")
recv_keys=()
if [[ $case == *curve* ]]; then
  # libzmq's test server key pair (tests/testutil_security.cpp), as `--name=value`: a Z85 key
  # may begin with `-`.
  common+=("--server-public=rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
  recv_keys=("--server-secret=JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
fi
valgrind --tool=callgrind --callgrind-out-file="$out/recv.out" \
  "$bin" peer --role thr-recv "${common[@]}" "${recv_keys[@]}" > "$out/recv.log" 2> "$out/recv.err" &
recv=$!
endpoint=$(announced_endpoint "$out/recv.log")
valgrind --tool=callgrind --callgrind-out-file="$out/send.out" \
  "$bin" peer --role thr-send "${common[@]}" --endpoint "$endpoint" > "$out/send.log" 2> "$out/send.err" &
send=$!
wait "$recv"
# The sender waits for ever once it has sent (the suite's driver ends it); end it the same way.
kill -TERM "$send" 2>/dev/null || true
wait "$send" || true
total() { grep -m1 '^summary:' "$1" | awk '{print $2}'; }
r=$(total "$out/recv.out")
s=$(total "$out/send.out")
echo "$case $variant ${size} B x $count: receiver $((r / count)) instr/msg, sender $((s / count)) instr/msg"
[ -n "${KEEP:-}" ] && echo "profiles kept in $out" || rm -rf "$out"
