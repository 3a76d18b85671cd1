#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently: Debian packages (libzmq, libsodium,
# Kerberos, clang for bindgen, microsocks as a real SOCKS5 proxy, iproute2 and nftables for the
# multicast tests in network namespaces, Chromium and Node.js for the browser peer), a Python
# venv with pyzmq, and the browser peer's npm packages (jszmq, pinned by
# interop-draft/browser/package-lock.json) with its page bundled.
# Safe to run again; it skips what is there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

need_pkgs=(libzmq3-dev libsodium-dev g++ pkg-config krb5-kdc krb5-admin-server krb5-user libkrb5-dev clang libclang-dev python3-venv iproute2 nftables microsocks chromium)
# Node.js (with npm) from Debian unless one is installed already.
command -v npm >/dev/null || need_pkgs+=(nodejs npm)
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import zmq' 2>/dev/null; then
  echo "setup: creating Python venv with pyzmq in .venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q pyzmq
fi
# The browser peer of interop-draft/tests/browser.rs: jszmq and esbuild as the lock file pins
# them, and the page's script bundled from them (interop-draft/browser/dist/page.js).
browser="$here/interop-draft/browser"
if [ ! -f "$browser/dist/page.js" ] || [ "$browser/package-lock.json" -nt "$browser/dist/page.js" ] \
  || [ "$browser/page.js" -nt "$browser/dist/page.js" ]; then
  echo "setup: installing the browser peer's npm packages (npm ci) and bundling its page"
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
fi

echo "setup: ok (libzmq $(pkg-config --modversion libzmq), pyzmq $("$venv/bin/python" -c 'import zmq; print(zmq.__version__)'))"
