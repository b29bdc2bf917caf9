#!/usr/bin/env bash
# The benchmark (not a test): a release server pinned to core 0 over a fresh SQLite file, the
# load generator pinned to core 1. Each scenario gets a fresh server. Prints the figures
# recorded in the README.
#   bash .ci/bench.sh                      # the README's scenarios
#   bash .ci/bench.sh fanout --rate 2000   # one scenario with other settings
#   bash .ci/bench.sh floor --frames-per-write 3
#   bash .ci/bench.sh nodes fanout --members 100   # two nodes on a throwaway PostgreSQL
#   bash .ci/bench.sh pg fanout --members 10 --senders 10 --rate 5000   # one node on PostgreSQL
#   bash .ci/bench.sh upload --mib 20      # upload throughput
#   bash .ci/bench.sh thumbs --megapixels 12   # thumbnail time and peak memory
#   bash .ci/bench.sh retention 100000     # the fan-out while the retention job removes a backlog
#     (CONFAB_BENCH_SERVER_CORES=0-1 gives its server both cores; CONFAB_BENCH_RETAIN_DAYS=0 is the control)
#   bash .ci/bench.sh crowd --connections 19000 --rooms 100 --rate 100   # one node on SQLite
#   bash .ci/bench.sh crowd-nodes 6 --connections 100000 --rooms 100 --rate 10   # 6 nodes, PostgreSQL
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CONFAB_ROOT"
# A target directory of its own: a plain `cargo build` of the server would otherwise replace
# the release binary that .ci/build.sh built with the site (and the Playwright suite uses).
export CARGO_TARGET_DIR="$CARGO_TARGET_DIR-bench"
cargo build --release -p server --bins --features loadgen
# 100,000 sockets need as many descriptors on each side (root may raise the hard limit).
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
port="${CONFAB_BENCH_PORT:-3400}"

scenario() {
  local dir pid
  dir="$(mktemp -d)"
  CONFAB_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$dir/bench.db" CONFAB_DATA_DIR="$dir" RUST_LOG=warn \
    CONFAB_LOGIN_BURST_PER_IP=100000 CONFAB_MAX_CONNECTIONS=1000000 taskset -c 0 "$CARGO_TARGET_DIR/release/server" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "$pid" "$@" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo
}

# A throwaway PostgreSQL pinned to core 0 with the servers (initdb as postgres when root).
pg_start() {
  for d in /usr/lib/postgresql/*/bin; do PATH="$PATH:$d"; done
  pg_dir="$(mktemp -d)"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
  as_pg=()
  [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
  pg_run() { "${as_pg[@]}" "$@"; }
  pg_port=$((port + 50))
  pg_run initdb -D "$pg_dir/data" -A trust -U confab -E UTF8 --locale=C.UTF-8 >/dev/null
  taskset -c 0 "${as_pg[@]}" pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  pg_url="postgres://confab@127.0.0.1:$pg_port/postgres"
}

pg_stop() {
  pg_run pg_ctl -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}

node() { # node NAME PORT: a release server on PostgreSQL, pinned to core 0; prints its pid
  CONFAB_ADDR="127.0.0.1:$2" DATABASE_URL="$pg_url" CONFAB_DATA_DIR="$pg_dir/$1" CONFAB_NODE_ID="$1" RUST_LOG=warn \
    CONFAB_LOGIN_BURST_PER_IP=100000 taskset -c 0 "$CARGO_TARGET_DIR/release/server" >/dev/null 2>&1 &
  echo $!
}

wait_up() {
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.1; done
}

# Two nodes on one PostgreSQL, members alternating between them (PostgreSQL and both nodes on
# core 0, the generator on core 1).
nodes() {
  pg_start
  local a b
  a="$(node node-a "$port")"
  b="$(node node-b "$((port + 1))")"
  wait_up "$port"
  wait_up "$((port + 1))"
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "$a" \
    --url-b "http://127.0.0.1:$((port + 1))" --server-pid-b "$b" "$@" || true
  kill "$a" "$b" 2>/dev/null || true
  wait "$a" "$b" 2>/dev/null || true
  pg_stop
  echo
}

# The crowd over N nodes on one PostgreSQL (all on core 0, the generator's processes on core 1):
# each node holds its share of the sockets, since this VM lets a process open only 20,000 files.
crowd_nodes() {
  local n="$1" pids=() urls=() i
  shift
  pg_start
  for i in $(seq 0 $((n - 1))); do
    pids+=("$(node "node-$i" "$((port + i))")")
  done
  for i in $(seq 0 $((n - 1))); do
    wait_up "$((port + i))"
    [ "$i" -gt 0 ] && urls+=("http://127.0.0.1:$((port + i))")
  done
  local more_urls more_pids
  more_urls="$(IFS=,; echo "${urls[*]}")"
  more_pids="$(IFS=,; echo "${pids[*]:1}")"
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "${pids[0]}" \
    crowd --nodes "$more_urls" --node-pids "$more_pids" "$@" || true
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  pg_stop
  echo
}

# One node on PostgreSQL: how many messages one database commits per second.
pg() {
  pg_start
  local a
  a="$(node node-a "$port")"
  wait_up "$port"
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "$a" "$@" || true
  kill "$a" 2>/dev/null || true
  wait "$a" 2>/dev/null || true
  pg_stop
  echo
}

# The kernel's own cost of the fan-out's writes on this machine, without Confab (the
# generator pins its writer thread to core 0 and its reader thread to core 1).
floor() {
  "$CARGO_TARGET_DIR/release/confab-loadgen" floor "$@"
  echo
}

# The fan-out while the retention job works through a backlog: a room's history written
# through the server, aged three days in the file while it is stopped, then the server started
# again with `--retain-days 1` (the job starts at once) under the fan-out's load. Prints how
# many old messages were left when the load ended, so it shows the job was running throughout.
retention() {
  local dir pid backlog="${1:-100000}"
  shift || true
  dir="$(mktemp -d)"
  serve() {
    CONFAB_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$dir/bench.db" CONFAB_DATA_DIR="$dir" RUST_LOG=warn \
      CONFAB_LOGIN_BURST_PER_IP=100000 "$@" taskset -c "${CONFAB_BENCH_SERVER_CORES:-0}" "$CARGO_TARGET_DIR/release/server" 2>/dev/null &
    pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  }
  serve env
  echo "writing a backlog of $backlog messages…"
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "$pid" \
    fanout --members 2 --senders 10 --rate 5000 --seconds "$((backlog / 5000))" | grep -E "messages sent"
  # The search index catches up first, so what follows measures the retention job alone.
  until [ "$(sqlite3 "$dir/bench.db" \
    "SELECT (SELECT indexed_up_to FROM search_state) >= (SELECT MAX(id) FROM messages)")" = 1 ]; do
    sleep 0.5
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  sqlite3 "$dir/bench.db" "UPDATE messages SET created_at = created_at - 3 * 86400000"
  serve env CONFAB_RETAIN_DAYS="${CONFAB_BENCH_RETAIN_DAYS:-1}"
  taskset -c 1 "$CARGO_TARGET_DIR/release/confab-loadgen" --url "http://127.0.0.1:$port" --server-pid "$pid" \
    fanout --members 100 --senders 10 --rate 1000 --seconds 10 "$@" || true
  echo "old messages left when the load ended: $(sqlite3 "$dir/bench.db" \
    "SELECT COUNT(*) FROM messages WHERE created_at < (strftime('%s', 'now') - 86400) * 1000")"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo
}

# Thumbnailing a photo, in the generator's own process (time and peak memory).
thumbs() {
  taskset -c 0 "$CARGO_TARGET_DIR/release/confab-loadgen" thumbs "$@"
  echo
}

if [ "${1:-}" = floor ]; then
  shift
  floor "$@"
elif [ "${1:-}" = retention ]; then
  shift
  retention "$@"
elif [ "${1:-}" = thumbs ]; then
  shift
  thumbs "$@"
elif [ "${1:-}" = nodes ]; then
  shift
  nodes "$@"
elif [ "${1:-}" = crowd-nodes ]; then
  shift
  crowd_nodes "$@"
elif [ "${1:-}" = pg ]; then
  shift
  pg "$@"
elif [ $# -gt 0 ]; then
  scenario "$@"
else
  scenario fanout --members 100 --senders 10 --rate 1000 --seconds 10
  CONFAB_COMMIT_INTERVAL_MS=1 scenario fanout --members 100 --senders 10 --rate 1000 --seconds 10
  CONFAB_COMMIT_INTERVAL_MS=4 scenario fanout --members 100 --senders 10 --rate 1000 --seconds 10
  scenario fanout --members 2 --senders 1 --rate 1000 --seconds 10
  scenario idle --connections 10000
  # 19,000: this VM allows each process 20,000 open files and no more (see the README).
  scenario crowd --connections 19000 --rooms 100 --users-per-room 10 --rate 100 --seconds 10
  # 100,000 over six nodes on one PostgreSQL, each holding a sixth.
  crowd_nodes 6 --connections 100000 --rooms 100 --users-per-room 10 --rate 10 --seconds 10
  floor --connections 100 --rate 1000 --frames-per-write 1
  floor --connections 100 --rate 1000 --frames-per-write 5
  nodes fanout --members 100 --senders 10 --rate 1000 --seconds 10
  retention 100000
  scenario upload --mib 20 --repeats 5
  thumbs --megapixels 12 --runs 5
  pg fanout --members 10 --senders 10 --rate 5000 --seconds 10
fi
