#!/usr/bin/env bash
# Browser test of the operator page: builds nothing, uses BUILD_DIR
# (default build/). Starts a loopback endpoint (tests/bench serve_dir)
# and `govharvest serve` on free loopback ports, installs playwright-core
# from the lock file (it never downloads a browser: Debian's
# /usr/bin/chromium is used), runs operator_page.test.mjs, and stops
# everything it started.
#
#   bash tests/browser/run.sh [BUILD_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin="$build/harvester/govharvest"
serve_dir="$build/tests/bench/serve_dir"

need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${need[@]}"
fi
[ -x "$bin" ] && [ -x "$serve_dir" ] || {
  echo "browser: build first (missing $bin or $serve_dir)" >&2; exit 1; }

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A two-page Hydra catalog with 5 datasets.
mkdir -p "$work/www/be"
page() {
  local from=$1 to=$2 next=$3
  printf '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n'
  printf '@prefix dct: <http://purl.org/dc/terms/> .\n'
  printf '@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n'
  [ -n "$next" ] && printf '<catalog.ttl> a hydra:PartialCollectionView ; hydra:next <%s> .\n' "$next"
  for i in $(seq "$from" "$to"); do
    printf '<http://daten.example/ds/%s> a dcat:Dataset ; dct:title "Datensatz %s" .\n' "$i" "$i"
  done
}
page 1 3 'catalog.ttl?page=2' > "$work/www/be/catalog.ttl"
page 4 5 '' > "$work/www/be/catalog.ttl@page=2"

"$serve_dir" "$work/www" 0 > "$work/www.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^serving' "$work/www.log" && break; sleep 0.05; done
www_port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/www.log" | head -1)

db="$work/store.db"
token=$("$bin" --db "$db" token create --state 11 2>/dev/null)
cat > "$work/serve.conf" <<CONF
db = $db
listen = 127.0.0.1:0
allow_loopback = yes
jitter = 0
profiles = $root/profiles
CONF
"$bin" serve --config "$work/serve.conf" 2> "$work/serve.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '"event":"listening"' "$work/serve.log" && break; sleep 0.05; done
port=$(sed -n 's/.*"port":\([0-9]*\).*"event":"listening".*/\1/p' "$work/serve.log" | head -1)
[ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }

GH_BASE="http://127.0.0.1:$port" GH_TOKEN="$token" GH_STATE=11 \
GH_SOURCE="http://127.0.0.1:$www_port/be/catalog.ttl" GH_DATASETS=5 \
GH_SHOTS="${GH_SHOTS:-}" node "$here/operator_page.test.mjs"
