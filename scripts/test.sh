#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (idempotently), then
# runs every test of the workspace with every feature, including the interop tests against the real
# libzmq (CURVE, GSSAPI over a throwaway Kerberos realm: scripts/kdc.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Interop tests must never skip silently: check the peers they need before running.
if ! pkg-config --exists libzmq; then
  echo "error: libzmq not found; install it with: apt-get install libzmq3-dev" >&2
  exit 1
fi
if ! command -v microsocks >/dev/null; then
  echo "error: microsocks not found (the SOCKS5 proxy of interop/tests/libzmq_socks.rs); install it with: apt-get install microsocks" >&2
  exit 1
fi

for tool in ip nft setpriv; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: $tool not found (interop/tests/libzmq_pgm.rs runs epgm:// and pgm:// in network namespaces); install iproute2, nftables and util-linux" >&2
    exit 1
  fi
done

# The GSSAPI tests (feature `gssapi`) need a Kerberos realm: a throwaway KDC on 127.0.0.1, in a
# directory of its own for this run, stopped on exit. Without its environment they fail, never skip.
export ZMTP_KDC_DIR
ZMTP_KDC_DIR=$(mktemp -d /tmp/zmtp-kdc.XXXXXX)
trap 'bash scripts/kdc.sh stop' EXIT
kdc_env=$(bash scripts/kdc.sh start)
eval "$kdc_env"

export RUST_BACKTRACE=1

# The root package `zmtp` (library, examples, tests, benches) needs no C library: built with
# pkg-config pointed nowhere, a dev-dependency that links one (the `zmq` crate, whose build
# script asks pkg-config for libzmq) fails here. Whatever links libzmq belongs in interop/.
PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent \
  cargo build -p zmtp --all-targets --locked
# A NULL/PLAIN build (features `curve` and `socks` off): the libraries, and every test that
# does not need those features (the rest are compiled out; tests/features.rs checks that their
# options are refused naming the feature).
cargo test -p zmtp-codec -p zmtp-security -p zmtp-socket -p zmtp --no-default-features --lib --tests --locked
# Built first, then run under a watchdog: a test that hangs (a deadlock) fails the run within
# ZMTP_TEST_TIMEOUT seconds, naming itself through cargo's "has been running for over 60
# seconds" line, rather than holding CI until its own limit.
cargo test --workspace --all-targets --features gssapi --locked --no-run
test_timeout=${ZMTP_TEST_TIMEOUT:-1200}
set +e
timeout --kill-after=10 "$test_timeout" cargo test --workspace --all-targets --features gssapi --locked
status=$?
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "error: the tests did not finish within ${test_timeout} s (ZMTP_TEST_TIMEOUT); a test hangs: see the \"has been running for over 60 seconds\" lines above" >&2
  exit 1
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi
cargo test --workspace --doc --features gssapi --locked

# CURVE's boxes byte for byte at every text length from 0 to 65,553, which only an optimized
# build does in reasonable time (a debug build samples them): the default RustCrypto boxes
# against crypto_box, and the opt-in libsodium ones (feature `curve-sodium`, links the system's
# libsodium) against the default; with that feature's lints.
cargo test --release -p zmtp-security --lib --locked seal_is_crypto_box_at_every_length
cargo clippy -p zmtp-security --all-targets --features curve-sodium --locked -- -D warnings
cargo test --release -p zmtp-security --features curve-sodium --lib --locked curve::
cargo test -p zmtp-interop --test libzmq_curve --features curve-sodium --locked

# Saved fuzz inputs (crashes fixed, smoke inputs) replayed through every fuzz target's body, on
# stable: a fixed crash stays fixed. Longer fuzzing runs by hand: scripts/fuzz.sh.
(cd fuzz && cargo test --locked)

# The socket/connection wake-up protocol, model-checked under every interleaving loom explores
# (a workspace of its own; see loom/src/lib.rs for what it mirrors).
(cd loom && cargo test --release --locked)
