#!/usr/bin/env bash
# Admin API latency of `govharvest serve` under load: wrk (Debian) asks
# for the source list as fast as it can, from a second process, first
# with the daemon idle and then while the daemon harvests the W100k
# workload (16 loopback handover points, 100,000 datasets) with all 16
# sources running at once. Prints p50/p99/max and requests per second
# for both, and checks that every run ended ok. Nothing leaves the
# machine; everything started here is stopped at exit.
#
# Environment (optional): HV_BENCH_DATASETS (default 100000),
# HV_BENCH_BUILD (default build-bench), HV_BENCH_SECONDS (wrk duration
# per phase, default 20), HV_BENCH_CONNECTIONS (default 16).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${HV_BENCH_BUILD:-$root/build-bench}
datasets=${HV_BENCH_DATASETS:-100000}
seconds=${HV_BENCH_SECONDS:-20}
conns=${HV_BENCH_CONNECTIONS:-16}

die() { echo "serve-bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is missing: install it (deploy/setup.sh)"

echo "== build: Release into $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHV_WERROR=ON \
  >/dev/null
cmake --build "$build" -j"$(nproc)" --target govharvest gen_w100k serve_dir \
  >"$build/serve-bench-build.log" 2>&1 ||
  die "build failed (log: $build/serve-bench-build.log)"
gh=$build/harvester/govharvest

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hv-serve-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The workload names its server's address in every page: pick a free
# loopback port first, generate, then serve.
port=18200
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
base="http://127.0.0.1:$port"
echo "== workload: $datasets datasets at $base"
"$build/tests/bench/gen_w100k" --out "$tmp/www" --base "$base" --seed 1 \
  --datasets "$datasets" >"$tmp/gen.out"
cat "$tmp/gen.out" | sed 's/^/   /'
"$build/tests/bench/serve_dir" "$tmp/www" "$port" >"$tmp/www.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^serving' "$tmp/www.log" && break; sleep 0.05; done

db=$tmp/store.db
tail -n +2 "$tmp/www/sources.tsv" | while IFS=$'\t' read -r name state url _; do
  "$gh" --db "$db" -q source add "$name" --state "$state" --url "$url" >/dev/null
done
admin=$("$gh" --db "$db" token create --admin 2>/dev/null)
cat >"$tmp/serve.conf" <<CONF
db = $db
listen = 127.0.0.1:0
allow_loopback = yes
jitter = 0
max_concurrent_runs = 16
api_threads = 4
CONF
"$gh" serve --config "$tmp/serve.conf" 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '"event":"listening"' "$tmp/serve.log" && break; sleep 0.05; done
api_port=$(sed -n 's/.*"port":\([0-9]*\).*"event":"listening".*/\1/p' "$tmp/serve.log" | head -1)
[ -n "$api_port" ] || die "the daemon did not start: $(tail -n 5 "$tmp/serve.log")"
api="http://127.0.0.1:$api_port"
auth="Authorization: Bearer $admin"

lat() { # phase file: p50 p99 max req/s
  awk -v phase="$1" '
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
    /^ +Latency +[0-9]/ { max = $4 } /^Requests\/sec/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "   %-28s p50 %-9s p99 %-9s max %-9s %8s req/s%s\n",
                 phase, p50, p99, max, rps, bad ? "  NON-2XX: " bad : "" }' "$2"
}

echo "== wrk: GET /api/sources, $conns connections, ${seconds}s per phase"
wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "$auth" "$api/api/sources" \
  >"$tmp/idle.txt"
lat "daemon idle" "$tmp/idle.txt"

for name in $(tail -n +2 "$tmp/www/sources.tsv" | cut -f1); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$auth" \
    "$api/api/sources/$name/run")
  [ "$code" = 202 ] || die "trigger $name: HTTP $code"
done
start=$(date +%s.%N)
wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "$auth" "$api/api/sources" \
  >"$tmp/busy.txt"
lat "16 runs of W100k in progress" "$tmp/busy.txt"
running=$(curl -s -H "$auth" "$api/metrics" | awk '/^govharvest_daemon_runs_running / { print $2 }')
echo "   runs still in progress when wrk ended: $running of 16"

# Let the harvest finish (bounded) and check it.
for _ in $(seq 1200); do
  n=$(curl -s -H "$auth" "$api/metrics" | awk '/^govharvest_daemon_runs_finished_total\{status="ok"\} / { print $2 }')
  [ "${n:-0}" = 16 ] && break
  sleep 0.5
done
end=$(date +%s.%N)
[ "${n:-0}" = 16 ] || die "only ${n:-0} of 16 runs ended ok: $(tail -n 5 "$tmp/serve.log")"
active=$(curl -s "$api/metrics" | awk -F' ' '/^govharvest_datasets\{/ && /active/ { s += $2 } END { print s }')
echo "== harvest: 16 of 16 runs ok, $active active datasets, about $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }') s after the triggers"
