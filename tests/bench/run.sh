#!/usr/bin/env bash
# The W100k benchmark: generates 100,000 DCAT-AP.de datasets over sixteen
# Hydra-paged Turtle handover points (105,000 entries on 1,050 pages),
# serves them on loopback and measures, in one run and on the same files:
#   1. raptor's rapper -c over the pages (the parse-only baseline),
#   2. a first govharvest harvest into a fresh store,
#   3. an unchanged re-harvest with ETags (every page answers 304),
#   4. an unchanged re-harvest without validators (every page is fetched,
#      parsed and hashed again; the second such run is measured).
# Each measurement is taken with /usr/bin/time -v. The script prints the
# machine, a table (wall, CPU, peak RSS, datasets/s) and the ratios. See
# tests/bench/README.md for what each figure means.
#
# Environment (all optional):
#   HV_BENCH_DATASETS  datasets to generate (default 100000)
#   HV_BENCH_SEED      generator seed (default 1)
#   HV_BENCH_PORT      loopback port (default: the first free one >= 18100)
#   HV_BENCH_BUILD     build directory (default build-bench)
#   HV_BENCH_KEEP=1    keep the temporary directory (workload, store, logs)
#   HV_BENCH_THREADPOOL  libuv pool threads for govharvest (UV_THREADPOOL_SIZE;
#                      default: libuv's own, 4)
#   BASELINE_REV       a git revision (e.g. 6e3efe3): also build govharvest
#                      from it, in a temporary worktree and the build
#                      directory build-bench-REV, and measure its first
#                      harvest side by side with this tree's on the same
#                      files (the first harvests alternate, twice each),
#                      so that the cost of a stage added since (mapping,
#                      say) is reported as a ratio
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${HV_BENCH_BUILD:-$root/build-bench}
datasets=${HV_BENCH_DATASETS:-100000}
seed=${HV_BENCH_SEED:-1}
rss_target_mb=256
timer=/usr/bin/time

die() {
  echo "bench: $*" >&2
  exit 1
}

[ -x "$timer" ] || die "$timer is missing: install the Debian package 'time' (deploy/setup.sh)"
command -v rapper >/dev/null || die "rapper is missing: install raptor2-utils (deploy/setup.sh)"

# ---- build ---------------------------------------------------------------
echo "== build: Release into $build"
# Release (-O3) enables gcc's flow-sensitive warnings, which the Debug
# builds never see; they are errors here too.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHV_WERROR=ON \
  >/dev/null
cmake --build "$build" -j"$(nproc)" --target govharvest gen_w100k serve_dir \
  >"$build/bench-build.log" 2>&1 || {
  tail -n 30 "$build/bench-build.log" >&2
  die "build failed (log: $build/bench-build.log)"
}
gh=$build/harvester/govharvest
gen=$build/tests/bench/gen_w100k
serve=$build/tests/bench/serve_dir

# ---- baseline binary (BASELINE_REV) ------------------------------------------
baseline=${BASELINE_REV:-}
base_gh=""
base_src=""
if [ -n "$baseline" ]; then
  base_commit=$(git -C "$root" rev-parse --verify --quiet "$baseline^{commit}") ||
    die "BASELINE_REV=$baseline is not a commit of $root"
  base_short=$(git -C "$root" rev-parse --short "$base_commit")
  base_build=$root/build-bench-$base_short
  base_src=$(mktemp -d "${TMPDIR:-/tmp}/hv-bench-src.XXXXXX")
  rmdir "$base_src"
  echo "== build: baseline $base_short (worktree $base_src) into $base_build"
  git -C "$root" worktree add --detach --quiet "$base_src" "$base_commit" ||
    die "cannot create a worktree of $base_short"
  # The exit trap that removes the worktree is set further down; a
  # failed baseline build must not leave it behind either.
  base_fail() {
    git -C "$root" worktree remove --force "$base_src" 2>/dev/null || true
    die "$@"
  }
  # The worktree's path is new every time; a cache from an earlier one
  # would make CMake refuse the source directory.
  rm -f "$base_build/CMakeCache.txt"
  cmake -S "$base_src" -B "$base_build" -DCMAKE_BUILD_TYPE=Release \
    >/dev/null || base_fail "baseline configure failed"
  cmake --build "$base_build" -j"$(nproc)" --target govharvest \
    >"$base_build/bench-build.log" 2>&1 || {
    tail -n 30 "$base_build/bench-build.log" >&2
    base_fail "baseline build failed (log: $base_build/bench-build.log)"
  }
  base_gh=$base_build/harvester/govharvest
fi

# ---- temporary directory and server lifetime -------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hv-bench.XXXXXX")
server_pid=""

stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

cleanup() {
  stop_server
  if [ -n "$base_src" ] && [ -d "$base_src" ]; then
    git -C "$root" worktree remove --force "$base_src" 2>/dev/null ||
      rm -rf "$base_src"
    git -C "$root" worktree prune 2>/dev/null || true
  fi
  if [ "${HV_BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on: a connect to it must fail.
port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

if [ -n "${HV_BENCH_PORT:-}" ]; then
  port=$HV_BENCH_PORT
  port_is_free "$port" || die "port $port on 127.0.0.1 is in use"
else
  port=""
  for p in $(seq 18100 18999); do
    if port_is_free "$p"; then
      port=$p
      break
    fi
  done
  [ -n "$port" ] || die "no free loopback port in 18100..18999"
fi
base=http://127.0.0.1:$port

# Starts serve_dir on $port (extra arguments go to it) and waits until it
# says it is listening.
start_server() {
  local log=$tmp/server-$1.log
  shift
  "$serve" "$tmp/www" "$port" "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^serving ' "$log" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log" >&2
  die "serve_dir did not start on port $port"
}

# ---- measurement helpers ---------------------------------------------------
# measure NAME CMD...: runs CMD under /usr/bin/time -v, stdout to
# $tmp/NAME.out, stderr to $tmp/NAME.err, figures to $tmp/NAME.time.
# Returns CMD's exit status.
measure() {
  local name=$1
  shift
  "$timer" -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

# Prints "wall cpu rss_mb" for a measurement from its time -v file.
figures() {
  awk -F': ' '
    /Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); wall = 0
      for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
    }
    /User time \(seconds\)/ { cpu += $2 }
    /System time \(seconds\)/ { cpu += $2 }
    /Maximum resident set size/ { rss = $2 / 1024 }
    END { printf "%.2f %.2f %.1f\n", wall, cpu, rss }' "$tmp/$1.time"
}

# Explains why a measured command failed: its exit status or the signal
# that ended it, and the last lines it wrote to stderr.
why() {
  local how
  how=$(grep -E 'Command (terminated by signal|exited with non-zero status)' \
    "$tmp/$1.time" | sed 's/^[[:space:]]*//' | head -n 1)
  echo "${how:-failed}; stderr: $(tail -n 3 "$tmp/$1.err" | tr '\n' ' ')" \
    "(HV_BENCH_KEEP=1 keeps $tmp)"
}

# Sums a numeric key over govharvest's pretty-printed run JSON.
json_sum() {
  awk -v key="\"$2\":" '$1 == key { gsub(/[^0-9]/, "", $2); s += $2 }
    END { print s + 0 }' "$tmp/$1.out"
}

json_count_ok() {
  grep -c '"status": "ok"' "$tmp/$1.out" || true
}

# Fails the benchmark when a harvest did not do what the workload expects.
check_run() {
  local name=$1 what=$2 expect=$3 ok got active
  ok=$(json_count_ok "$name")
  got=$(json_sum "$name" "$what")
  active=$(json_sum "$name" datasets_active)
  if [ "$ok" != 16 ] || [ "$got" != "$expect" ] || [ "$active" != "$entries" ]; then
    tail -n 20 "$tmp/$name.err" >&2
    die "$name: expected 16 sources ok, $what=$expect and $entries active; got $ok ok, $what=$got, $active active"
  fi
}

if [ -n "${HV_BENCH_THREADPOOL:-}" ]; then
  export UV_THREADPOOL_SIZE=$HV_BENCH_THREADPOOL
fi
pool="libuv pool ${UV_THREADPOOL_SIZE:-4 (default)}"

# ---- machine ---------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
echo "== machine: $(nproc) cores, ${cpu_model:-unknown CPU}, ${mem_mb} MB RAM"
echo "   $(uname -sr), rapper $(rapper --version), govharvest $("$gh" --version 2>/dev/null | head -n 1)"

# ---- workload --------------------------------------------------------------
echo "== workload: $datasets datasets, seed $seed, served at $base"
"$gen" --out "$tmp/www" --base "$base" --seed "$seed" \
  --datasets "$datasets" >"$tmp/gen.out"
summary=$(cat "$tmp/gen.out")
echo "   $summary"
field() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$summary"; }
entries=$(field entries)
pages=$(field pages)
triples=$(field triples)
bytes=$(field bytes)
echo "   $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB of Turtle", b / 1e6 }'), $(awk -v t="$triples" -v e="$entries" 'BEGIN { printf "%.1f triples per entry", t / e }')"

# The page files in the order the harvester walks them.
page_list=$tmp/pages.txt
for d in "$tmp"/www/st*; do
  echo "$d/catalog.ttl"
  n=$(ls "$d" | grep -c '^catalog\.ttl@page=' || true)
  for ((k = 2; k <= n + 1; k++)); do echo "$d/catalog.ttl@page=$k"; done
done >"$page_list"
[ "$(wc -l <"$page_list")" = "$pages" ] || die "page files do not match the generator's count"

# ---- 1. rapper baselines -----------------------------------------------------
echo "== rapper -c, one process per page ($pages pages)"
measure rapper_pages bash -c '
  while IFS= read -r f; do
    rapper -i turtle -c "$f" "http://bench.example/" || exit 1
  done <"$1"' _ "$page_list" || die "rapper failed on a page: $(why rapper_pages)"
rapper_pages_triples=$(awk '/returned/ { s += $(NF-1) } END { print s + 0 }' "$tmp/rapper_pages.err")
[ "$rapper_pages_triples" = "$triples" ] ||
  die "rapper (per page) counted $rapper_pages_triples triples, the generator wrote $triples"

echo "== rapper -c, all pages concatenated into one document"
# Turtle allows @prefix anywhere, all IRIs are absolute and the blank
# nodes are anonymous, so the concatenation is one valid document.
xargs -d '\n' cat <"$page_list" >"$tmp/all.ttl"
measure rapper_all rapper -i turtle -c "$tmp/all.ttl" "http://bench.example/" ||
  die "rapper failed on the concatenated pages: $(why rapper_all)"
rapper_all_triples=$(awk '/returned/ { print $(NF-1) }' "$tmp/rapper_all.err")
[ "$rapper_all_triples" = "$triples" ] ||
  die "rapper (concatenated) counted $rapper_all_triples triples, the generator wrote $triples"
rm -f "$tmp/all.ttl"

# ---- 2. first harvest ------------------------------------------------------
db=$tmp/w100k.db
start_server etag
tail -n +2 "$tmp/www/sources.tsv" | while IFS=$'\t' read -r name state url _; do
  "$gh" --db "$db" -q source add "$name" --state "$state" --url "$url" >/dev/null
done
echo "== govharvest first harvest (fresh store, 16 sources)"
measure first "$gh" --db "$db" -q run --all --allow-loopback --json ||
  die "first harvest failed: $(why first)"
check_run first new "$entries"

# First harvests of the baseline and of this tree, alternating, each into
# a fresh store, so that both see the same machine load as far as it can
# be arranged. The store of the first measured run above goes on below.
if [ -n "$base_gh" ]; then
  fresh_store() {
    local bin=$1 store=$2
    rm -f "$store" "$store-wal" "$store-shm"
    tail -n +2 "$tmp/www/sources.tsv" | while IFS=$'\t' read -r name state url _; do
      "$bin" --db "$store" -q source add "$name" --state "$state" --url "$url" >/dev/null
    done
  }
  for round in 1 2; do
    echo "== baseline $base_short first harvest, round $round"
    fresh_store "$base_gh" "$tmp/base.db"
    measure "base$round" "$base_gh" --db "$tmp/base.db" -q run --all \
      --allow-loopback --json || die "baseline harvest failed: $(why "base$round")"
    check_run "base$round" new "$entries"
    echo "== govharvest first harvest, round $round"
    fresh_store "$gh" "$tmp/again.db"
    measure "again$round" "$gh" --db "$tmp/again.db" -q run --all \
      --allow-loopback --json || die "first harvest failed: $(why "again$round")"
    check_run "again$round" new "$entries"
  done
  rm -f "$tmp"/base.db* "$tmp"/again.db*
fi

# ---- 3. unchanged re-harvest with ETags -------------------------------------
echo "== govharvest re-harvest, unchanged, with ETags"
measure etag "$gh" --db "$db" -q run --all --allow-loopback --json ||
  die "re-harvest with ETags failed: $(why etag)"
check_run etag not_modified "$pages"
stop_server

# ---- 4. unchanged re-harvest without validators -----------------------------
start_server plain --no-validators
echo "== govharvest re-harvest, unchanged, no validators (warm-up run)"
measure plain1 "$gh" --db "$db" -q run --all --allow-loopback --json ||
  die "re-harvest without ETags failed: $(why plain1)"
check_run plain1 unchanged "$entries"
echo "== govharvest re-harvest, unchanged, no validators (measured run)"
measure plain "$gh" --db "$db" -q run --all --allow-loopback --json ||
  die "re-harvest without ETags failed: $(why plain)"
check_run plain unchanged "$entries"
stop_server

# ---- report ------------------------------------------------------------------
row() {
  local label=$1 name=$2 wall cpu rss
  read -r wall cpu rss <<<"$(figures "$name")"
  awk -v l="$label" -v w="$wall" -v c="$cpu" -v r="$rss" -v e="$entries" \
    'BEGIN { printf "%-44s %8.2f %8.2f %10.1f %11.0f\n", l, w, c, r,
             (w > 0 ? e / w : 0) }'
}
ratio() {
  local a b
  a=$(figures "$2" | awk -v k="$4" '{ print $k }')
  b=$(figures "$3" | awk -v k="$4" '{ print $k }')
  awk -v l="$1" -v a="$a" -v b="$b" \
    'BEGIN { printf "  %-52s %7.2f\n", l, (b > 0 ? a / b : 0) }'
}

echo
echo "W100k: $datasets datasets, $entries entries on $pages pages, $triples triples, seed $seed"
echo "machine: $(nproc) cores, ${cpu_model:-unknown CPU}, ${mem_mb} MB RAM; govharvest with $pool"
echo
printf "%-44s %8s %8s %10s %11s\n" "run" "wall s" "CPU s" "peak RSS MB" "datasets/s"
printf -- "-%.0s" $(seq 1 85)
echo
row "rapper -c, one process per page" rapper_pages
row "rapper -c, pages concatenated (baseline)" rapper_all
row "govharvest first harvest" first
row "govharvest re-harvest, unchanged, ETags" etag
row "govharvest re-harvest, unchanged, no ETags" plain
echo
echo "ratios (wall clock unless noted):"
ratio "first harvest / rapper baseline" first rapper_all 1
ratio "first harvest / rapper baseline, CPU" first rapper_all 2
ratio "first harvest / rapper one per page" first rapper_pages 1
ratio "re-harvest with ETags / first harvest" etag first 1
ratio "re-harvest without ETags / first harvest" plain first 1
if [ -n "$base_gh" ]; then
  # The best of the two rounds on each side: load from other processes
  # only ever adds time.
  best() {
    local k=$1
    shift
    for n in "$@"; do figures "$n"; done |
      awk -v k="$k" 'NR == 1 || $k < m { m = $k } END { print m }'
  }
  echo
  echo "baseline $base_short ($baseline) against this tree, first harvest, best of 2 rounds:"
  printf "%-44s %8s %8s\n" "run" "wall s" "CPU s"
  for side in base again; do
    label=$([ "$side" = base ] && echo "baseline $base_short" || echo "this tree ($(git -C "$root" rev-parse --short HEAD))")
    printf "%-44s %8.2f %8.2f\n" "$label" "$(best 1 "${side}1" "${side}2")" \
      "$(best 2 "${side}1" "${side}2")"
  done
  for k in 1 2; do
    a=$(best "$k" again1 again2)
    b=$(best "$k" base1 base2)
    awk -v l="$([ "$k" = 1 ] && echo wall || echo CPU)" -v a="$a" -v b="$b" \
      'BEGIN { printf "  %-52s %7.3f  (%+.1f %%)\n",
               "this tree / baseline, " l, a / b, (a / b - 1) * 100 }'
  done
fi
for name in first etag plain; do
  rss=$(figures "$name" | awk '{ print $3 }')
  awk -v n="$name" -v r="$rss" -v t="$rss_target_mb" \
    'BEGIN { printf "  %-52s %7.2f  (%.1f of %d MB: %s)\n",
             "peak RSS / target, " n, r / t, r, t, (r <= t ? "within" : "OVER") }'
done
