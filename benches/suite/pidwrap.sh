#!/bin/sh
# Runs its arguments as a command after writing its pid (which the command keeps, by exec) to
# $PIDFILE (default: binder.pid here): for `ZMTP_BENCH_WRAP_BINDER=./pidwrap.sh`, to find the
# binding peer's threads in a system-wide profile.
echo $$ > "${PIDFILE:-binder.pid}"
exec "$@"
