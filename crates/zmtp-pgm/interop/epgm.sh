#!/usr/bin/env bash
# epgm:// (or pgm://, raw IP, with MODE=raw) between examples/epgm_live.rs (this crate on real
# multicast) and Debian's libzmq 4.3.4 (python3-zmq), in two network namespaces joined by a veth
# pair, each way, optionally with one in LOSS multicast data packets dropped on the receiving
# side (so NAK, NCF and RDATA cross between the two implementations). Needs root, iproute2,
# python3-zmq, nftables.
#
#   bash crates/zmtp-pgm/interop/epgm.sh [LOSS]            # e.g. 5: one in five dropped
#   MODE=raw bash crates/zmtp-pgm/interop/epgm.sh [LOSS]   # pgm://
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
loss=${1:-0}
count=${COUNT:-2000}
mode=${MODE:-udp}
scheme=epgm; match="udp length > 100"
if [ "$mode" = raw ]; then scheme=pgm; match="ip protocol 113 ip length > 120"; fi
cargo build -q --manifest-path "$root/Cargo.toml" -p zmtp-pgm --example epgm_live
bin="$root/target/debug/examples/epgm_live"
a=pgma$$ b=pgmb$$
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add va netns "$a" type veth peer name vb netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev va; ip -n "$b" addr add 10.77.0.2/24 dev vb
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set va up multicast on; ip -n "$b" link set vb up multicast on
ip -n "$a" route add 224.0.0.0/4 dev va; ip -n "$b" route add 224.0.0.0/4 dev vb
if [ "$loss" -gt 0 ]; then
  for n in "$a" "$b"; do
    ip netns exec "$n" nft add table ip f
    ip netns exec "$n" nft add chain ip f in '{ type filter hook input priority 0; }'
    ip netns exec "$n" nft add rule ip f in ip daddr 239.192.1.1 $match numgen random mod "$loss" == 0 drop
  done
fi
status=0
echo "== $scheme: libzmq PUB (10.77.0.1) -> zmtp-pgm receiver (10.77.0.2), loss 1/$loss"
ip netns exec "$b" "$bin" recv "$mode" 10.77.0.2 239.192.1.1 5555 "$count" 30 & r=$!
sleep 0.5
ip netns exec "$a" /usr/bin/python3 "$here/peer.py" pub 10.77.0.1 239.192.1.1 5555 "$count" "$scheme" &
p=$!
wait "$r" || status=1
wait "$p" || true
echo "== $scheme: zmtp-pgm source (10.77.0.1) -> libzmq SUB (10.77.0.2), loss 1/$loss"
ip netns exec "$b" /usr/bin/python3 "$here/peer.py" sub 10.77.0.2 239.192.1.1 5555 "$count" "$scheme" & s=$!
sleep 1
ip netns exec "$a" "$bin" send "$mode" 10.77.0.1 239.192.1.1 5555 "$count" 5 || status=1
wait "$s" || status=1
echo "== $scheme: zmtp-pgm receiver joining a libzmq PUB mid-stream, loss 1/$loss"
ip netns exec "$a" /usr/bin/python3 "$here/peer.py" pub 10.77.0.1 239.192.1.1 5555 $((count * 10)) "$scheme" &
p=$!
sleep 1.4
ip netns exec "$b" "$bin" late "$mode" 10.77.0.2 239.192.1.1 5555 $((count * 10)) 30 || status=1
wait "$p" || true
exit $status
