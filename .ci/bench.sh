#!/usr/bin/env bash
# The benchmark (not a test): a release server pinned to core 0 over a fresh SQLite file, the
# load generator pinned to core 1. Each scenario gets a fresh server. Prints the figures
# recorded in the README.
#   bash .ci/bench.sh                      # the README's scenarios
#   bash .ci/bench.sh fanout --rate 2000   # one scenario with other settings
#   bash .ci/bench.sh floor --frames-per-write 3
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CONFAB_ROOT"
cargo build --release -p server --bins
ulimit -n "$(ulimit -Hn)"
port="${CONFAB_BENCH_PORT:-3400}"

scenario() {
  local dir pid
  dir="$(mktemp -d)"
  CONFAB_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$dir/bench.db" CONFAB_DATA_DIR="$dir" RUST_LOG=warn \
    CONFAB_LOGIN_BURST_PER_IP=100000 taskset -c 0 "$CARGO_TARGET_DIR/release/server" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "$pid" "$@" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo
}

# The kernel's own cost of the fan-out's writes on this machine, without Confab (the
# generator pins its writer thread to core 0 and its reader thread to core 1).
floor() {
  "$CARGO_TARGET_DIR/release/confab-loadgen" floor "$@"
  echo
}

if [ "${1:-}" = floor ]; then
  shift
  floor "$@"
elif [ $# -gt 0 ]; then
  scenario "$@"
else
  scenario fanout --members 100 --senders 10 --rate 1000 --seconds 10
  CONFAB_COMMIT_INTERVAL_MS=1 scenario fanout --members 100 --senders 10 --rate 1000 --seconds 10
  CONFAB_COMMIT_INTERVAL_MS=4 scenario fanout --members 100 --senders 10 --rate 1000 --seconds 10
  scenario fanout --members 2 --senders 1 --rate 1000 --seconds 10
  scenario idle --connections 10000
  floor --connections 100 --rate 1000 --frames-per-write 1
  floor --connections 100 --rate 1000 --frames-per-write 5
fi
