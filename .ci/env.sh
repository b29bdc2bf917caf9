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
