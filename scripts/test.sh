#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (idempotently), then
# runs every test of the workspace, including the interop tests against the real libzmq.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# Interop tests must never skip silently: check the peers they need before running.
if ! pkg-config --exists libzmq; then
  echo "error: libzmq not found; install it with: apt-get install libzmq3-dev" >&2
  exit 1
fi

export RUST_BACKTRACE=1
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
