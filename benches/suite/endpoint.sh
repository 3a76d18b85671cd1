# Sourced by the measuring scripts beside it (callgrind.sh, pagefaults.sh, syscalls_lat.sh).

# The endpoint a peer announced on its first `ENDPOINT ` line in the log file $1, once it has
# (within 60 s).
announced_endpoint() {
  for _ in $(seq 1 600); do
    grep -q '^ENDPOINT ' "$1" 2>/dev/null && break
    sleep 0.1
  done
  grep -m1 '^ENDPOINT ' "$1" | cut -d' ' -f2
}
