#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 30), one after another, on the
# nightly toolchain, installing cargo-fuzz first if it is missing. Exits non-zero on the first
# target that finds a crash (the input is left in fuzz/artifacts/<target>/). At the end, prints
# the executions of each target (libFuzzer's stat::number_of_executed_units).
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment: FUZZ_TARGETS to run a subset ("frame_decoder command_parse"), FUZZ_TOOLCHAIN
# (default nightly), FUZZ_RSS_LIMIT_MB (default 2048), FUZZ_JOBS (libFuzzer -fork, default 0: one process).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
toolchain=${FUZZ_TOOLCHAIN:-nightly}
rss=${FUZZ_RSS_LIMIT_MB:-2048}
jobs=${FUZZ_JOBS:-0}

if ! rustup toolchain list | grep -q "^$toolchain"; then
  echo "fuzz: installing the $toolchain toolchain"
  rustup toolchain install "$toolchain" --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd "$here/fuzz"
targets=${FUZZ_TARGETS:-$(cargo "+$toolchain" fuzz list)}
# The GSSAPI server target needs the throwaway Kerberos realm (its keytab) while it runs.
case " $targets " in
  *gssapi*)
    export ZMTP_KDC_DIR
    ZMTP_KDC_DIR=$(mktemp -d /tmp/zmtp-fuzz-kdc.XXXXXX)
    trap 'bash "$here/scripts/kdc.sh" stop' EXIT
    eval "$(bash "$here/scripts/kdc.sh" start)"
    ;;
esac
extra=()
[ "$jobs" -gt 0 ] && extra+=("-fork=$jobs")
# Build every target first (one cargo invocation, the same features for all so nothing is
# rebuilt between targets), so the per-target times below are fuzzing.
features=()
case " $targets " in *gssapi*) features=(--features gssapi) ;; esac
cargo "+$toolchain" fuzz build ${features[@]+"${features[@]}"}
logs=$(mktemp -d /tmp/zmtp-fuzz-logs.XXXXXX)
summary() {
  echo "fuzz: executions per target (${seconds}s each)"
  for t in $targets; do
    [ -f "$logs/$t.log" ] || continue
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | tail -1 | grep -o '[0-9]*$' || true)
    printf '  %-28s %s\n' "$t" "${runs:-unknown}"
  done
}
for t in $targets; do
  echo "fuzz: $t for ${seconds}s"
  mkdir -p "corpus/$t"
  # Saved crash inputs seed the corpus too, so a regression is found again at once.
  seeds=()
  [ -d "regressions/$t" ] && seeds+=("regressions/$t")
  if ! cargo "+$toolchain" fuzz run ${features[@]+"${features[@]}"} "$t" "corpus/$t" ${seeds[@]+"${seeds[@]}"} -- \
    -max_total_time="$seconds" -rss_limit_mb="$rss" -dict=zmtp.dict -print_final_stats=1 ${extra[@]+"${extra[@]}"} \
    2>&1 | tee "$logs/$t.log"; then
    summary
    echo "fuzz: $t failed; the crashing input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
summary
echo "fuzz: all targets ran ${seconds}s without a crash"
