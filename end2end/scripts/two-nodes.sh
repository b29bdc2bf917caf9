#!/usr/bin/env bash
# Two Confab nodes on one throwaway PostgreSQL, for the cross-node Playwright test: initdb in a
# temp dir (as the postgres user when run as root), PostgreSQL on a free port, node A in the
# background, node B in the foreground. Everything stops when Playwright stops this script.
#   two-nodes.sh SERVER_BINARY PORT_A PORT_B
set -euo pipefail
server="$1" port_a="$2" port_b="$3"
for d in /usr/lib/postgresql/*/bin; do PATH="$PATH:$d"; done
dir="$(mktemp -d)"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
run initdb -D "$dir/data" -A trust -U confab -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
run pg_ctl -D "$dir/data" -l "$dir/log" -w \
  -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
node_a="" node_b=""
cleanup() {
  for pid in $node_a $node_b; do kill "$pid" 2>/dev/null || true; done
  run pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
export DATABASE_URL="postgres://confab@127.0.0.1:$pg_port/postgres" RUST_LOG=warn
CONFAB_ADDR="127.0.0.1:$port_a" CONFAB_NODE_ID=node-a CONFAB_DATA_DIR="$dir/a" "$server" &
node_a=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port_a/healthz" >/dev/null && break; sleep 0.1; done
CONFAB_ADDR="127.0.0.1:$port_b" CONFAB_NODE_ID=node-b CONFAB_DATA_DIR="$dir/b" "$server" &
node_b=$!
wait "$node_b"
