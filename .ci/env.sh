# Sourced by Confab's scripts: where tools and reusable build output live.
# Build output goes to a cache outside the clone, so a fresh clone reuses the last build.
CONFAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CONFAB_ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/confab/target}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$CONFAB_ROOT/end2end/node_modules/.bin:$PATH"
# Debian keeps PostgreSQL's server tools out of PATH.
for d in /usr/lib/postgresql/*/bin; do
  [ -d "$d" ] && PATH="$PATH:$d"
done
export PATH
# CI builds each change once: incremental data would only take disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

# For the measurement scripts: the release binary on 127.0.0.1:PORT over a fresh SQLite
# database in a temp dir, stopped and removed on exit. Sets `base`, `dir` and `pid`.
serve_fresh() {
  base="http://127.0.0.1:$1"
  dir="$(mktemp -d)"
  (cd "$dir" && CONFAB_ADDR="127.0.0.1:$1" DATABASE_URL="sqlite://$dir/confab.db" CONFAB_DATA_DIR="$dir/data" \
    RUST_LOG=warn exec "$CARGO_TARGET_DIR/release/server" >/dev/null 2>&1) &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
}
