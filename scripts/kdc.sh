#!/usr/bin/env bash
# A throwaway MIT Kerberos realm on 127.0.0.1, for the GSSAPI tests.
#
#   eval "$(bash scripts/kdc.sh start)"   # start (or reuse) the KDC; prints `export VAR=...` lines
#   bash scripts/kdc.sh env               # print the exports of the running KDC again
#   bash scripts/kdc.sh stop              # kill the KDC and remove its directory
#
# Everything lives in one directory: $ZMTP_KDC_DIR if set, else /tmp/zmtp-kdc-$UID. Nothing
# outside it is touched (the system's /etc/krb5.conf is ignored through KRB5_CONFIG). Starting
# twice with the same directory reuses the running KDC. Give each concurrent user its own
# directory (scripts/test.sh uses a fresh one per run).
#
# Realm ZMTP.TEST, KDC on a free port of 127.0.0.1 (UDP and TCP). Principals, all with random
# keys:
#   client@ZMTP.TEST            the client (libzmq: ZMQ_GSSAPI_PRINCIPAL "client@ZMTP.TEST",
#                               name type 2 = NT_KRB5_PRINCIPAL)       in the keytab
#   zmq/localhost@ZMTP.TEST     the service ("zmq@localhost", host-based) in the keytab
#   unkeyed/localhost@ZMTP.TEST a service the KDC knows but whose key is NOT in the keytab, for
#                               refusal tests ("unkeyed@localhost")
# "nosuch@localhost" is unknown to the KDC.
#
# The keytab serves as both the acceptor keytab (KRB5_KTNAME) and the client keytab
# (KRB5_CLIENT_KTNAME), so nobody needs to kinit. Tickets go to a cache *collection*
# (KRB5CCNAME=DIR:...): one process holding a client and a server principal needs it.
set -euo pipefail

realm=ZMTP.TEST
dir=${ZMTP_KDC_DIR:-/tmp/zmtp-kdc-$(id -u)}
start_timeout_s=10

die() {
  echo "kdc.sh: $*" >&2
  exit 1
}

# The KDC programs live in /usr/sbin, which a non-root PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

print_env() {
  cat <<EOF
export KRB5_CONFIG='$dir/krb5.conf'
export KRB5_KDC_PROFILE='$dir/kdc.conf'
export KRB5_KTNAME='FILE:$dir/test.keytab'
export KRB5_CLIENT_KTNAME='FILE:$dir/test.keytab'
export KRB5CCNAME='DIR:$dir/ccdir'
export KRB5RCACHEDIR='$dir/rcache'
export ZMTP_TEST_KRB5_REALM='$realm'
export ZMTP_TEST_KDC_DIR='$dir'
export ZMTP_TEST_KDC_PID='$(cat "$dir/kdc.pid")'
EOF
}

# Whether the KDC recorded in $dir is alive and answers.
running() {
  [ -f "$dir/kdc.pid" ] && [ -f "$dir/ready" ] || return 1
  local pid
  pid=$(cat "$dir/kdc.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = krb5kdc ] || return 1
  KRB5_CONFIG="$dir/krb5.conf" KRB5CCNAME="FILE:$dir/probe.ccache" \
    kinit -kt "$dir/test.keytab" "client@$realm" >/dev/null 2>&1
}

stop() {
  if [ -f "$dir/kdc.pid" ]; then
    local pid
    pid=$(cat "$dir/kdc.pid")
    # Only a krb5kdc that this script started (its pid is in our directory).
    if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = krb5kdc ]; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
      done
    fi
  fi
  # Only what this script creates, then the directory itself if that leaves it empty.
  rm -rf "$dir/db" "$dir/ccdir" "$dir/rcache"
  rm -f "$dir"/{krb5.conf,kdc.conf,kadm5.acl,stash,test.keytab,probe.ccache,ready} \
    "$dir"/{kdc.pid,kdc.out,kdc.log,kdb5_util.log,kadmin.log,kinit.log}
  rmdir "$dir" 2>/dev/null || true
}

free_port() {
  python3 - <<'EOF'
import socket
# A port free for both TCP and UDP on 127.0.0.1 (the KDC listens on both).
for _ in range(100):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
EOF
}

write_config() {
  local port=$1
  cat >"$dir/krb5.conf" <<EOF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    dns_canonicalize_hostname = false
    ignore_acceptor_hostname = false
    forwardable = false
    udp_preference_limit = 1

[realms]
    $realm = {
        kdc = 127.0.0.1:$port
        admin_server = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $realm
    .localhost = $realm

[logging]
    kdc = FILE:$dir/kdc.log
    default = FILE:$dir/kdc.log
EOF
  cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $realm = {
        database_name = $dir/db/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        max_life = 1d
        max_renewable_life = 0
    }
EOF
  : >"$dir/kadm5.acl"
}

# Creates the database, principals and keytab (once per directory).
create_realm() {
  mkdir -p "$dir/db" "$dir/ccdir" "$dir/rcache"
  chmod 700 "$dir"
  export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
  local password
  password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  kdb5_util -r "$realm" create -s -P "$password" >"$dir/kdb5_util.log" 2>&1 \
    || die "kdb5_util create failed: $(cat "$dir/kdb5_util.log")"
  kadmin.local -r "$realm" >"$dir/kadmin.log" 2>&1 <<EOF || die "kadmin.local failed: $(cat "$dir/kadmin.log")"
addprinc -randkey client@$realm
addprinc -randkey zmq/localhost@$realm
addprinc -randkey unkeyed/localhost@$realm
ktadd -k $dir/test.keytab client@$realm
ktadd -k $dir/test.keytab zmq/localhost@$realm
EOF
  [ -s "$dir/test.keytab" ] || die "no keytab was written: $(cat "$dir/kadmin.log")"
}

# Puts a ticket-granting ticket for each keyed principal into the cache collection before any
# test runs, the client's last (it becomes the primary cache). Without them the first GSS-API
# calls of concurrent test threads each get initial credentials, and MIT krb5 (1.20) writes
# those through a temporary file in the collection's directory that it then renames: another
# thread scanning the collection at that moment may pick the temporary file, gone when it opens
# it ("No credentials cache found (filename: .../ccdir/tktXXXXXX.YYYYYY)"). With the caches
# there (no refresh time: kinit sets none), the tests only read them.
fill_collection() {
  local principal
  for principal in "zmq/localhost@$realm" "client@$realm"; do
    KRB5CCNAME="DIR:$dir/ccdir" kinit -kt "$dir/test.keytab" "$principal" >>"$dir/kinit.log" 2>&1 \
      || die "kinit $principal into $dir/ccdir failed: $(tail -n 5 "$dir/kinit.log")"
  done
}

start() {
  if running; then
    print_env
    return
  fi
  # A stale or half-made directory: start from scratch.
  stop
  for cmd in krb5kdc kdb5_util kadmin.local kinit python3; do
    command -v "$cmd" >/dev/null || die "$cmd not found; run scripts/setup.sh (Debian: apt-get install krb5-kdc krb5-admin-server krb5-user)"
  done
  mkdir -p "$dir"
  local attempt port pid
  for attempt in 1 2 3; do
    port=$(free_port)
    [ -n "$port" ] || die "no free port on 127.0.0.1"
    write_config "$port"
    [ -f "$dir/test.keytab" ] || create_realm
    export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
    # setsid: the KDC outlives this script and is not in the caller's process group. Its output
    # goes to a file so that `$(kdc.sh start)` does not wait for it.
    setsid krb5kdc -n -r "$realm" </dev/null >>"$dir/kdc.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/kdc.pid"
    # Bounded wait until a client can get a ticket.
    local deadline=$((SECONDS + start_timeout_s))
    while [ $SECONDS -lt $deadline ]; do
      kill -0 "$pid" 2>/dev/null || break
      if KRB5CCNAME="FILE:$dir/probe.ccache" kinit -kt "$dir/test.keytab" "client@$realm" \
        >"$dir/kinit.log" 2>&1; then
        fill_collection
        touch "$dir/ready"
        print_env
        return
      fi
      sleep 0.02
    done
    kill "$pid" 2>/dev/null || true
    echo "kdc.sh: attempt $attempt: the KDC on port $port did not answer" >&2
  done
  die "the KDC did not start within ${start_timeout_s} s; see $dir/kdc.out, $dir/kdc.log and $dir/kinit.log: $(tail -n 5 "$dir/kinit.log" "$dir/kdc.out" 2>/dev/null)"
}

case "${1:-}" in
  start) start ;;
  env)
    running || die "no KDC is running in $dir; start one with: eval \"\$(bash scripts/kdc.sh start)\""
    print_env
    ;;
  stop) stop ;;
  *)
    echo "usage: bash scripts/kdc.sh start|env|stop   (eval \"\$(bash scripts/kdc.sh start)\")" >&2
    exit 2
    ;;
esac
