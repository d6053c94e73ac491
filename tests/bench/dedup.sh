#!/usr/bin/env bash
# Deduplication's cost on the W100k workload (tests/bench/README.md):
#   1. the first harvest with this tree's govharvest against the same
#      harvest with a baseline binary built from a commit before dedup
#      (HV_DEDUP_BASE, default 6e3efe3), alternating the two binaries
#      HV_DEDUP_ROUNDS times on fresh stores, so a machine that speeds up
#      or slows down during the runs weighs on both alike;
#   2. `govharvest report duplicates` (near duplicates with MinHash/LSH
#      over all published datasets) on the last store.
# It also checks the work: every run ends with all 16 sources ok, and the
# store holds one published copy per generated dataset (the 5 % twins
# superseded). Prints the wall times, the median overhead and the
# near-duplicate time.
#
# Environment (all optional):
#   HV_BENCH_DATASETS  datasets to generate (default 100000)
#   HV_BENCH_BUILD     build directory for this tree (default build-bench)
#   HV_DEDUP_BASE      baseline commit (default 6e3efe3)
#   HV_DEDUP_ROUNDS    harvests per binary (default 3)
#   HV_BENCH_KEEP=1    keep the temporary directory
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${HV_BENCH_BUILD:-$root/build-bench}
datasets=${HV_BENCH_DATASETS:-100000}
base_commit=${HV_DEDUP_BASE:-6e3efe3}
rounds=${HV_DEDUP_ROUNDS:-3}

# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

command -v sqlite3 >/dev/null || die "sqlite3 is missing (Debian package sqlite3)"

bench_init dedup

# ---- builds ----------------------------------------------------------------
echo "== build: this tree (Release) into $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHV_WERROR=ON \
  >/dev/null
cmake --build "$build" -j"$(nproc)" --target govharvest gen_w100k serve_dir \
  >"$build/bench-build.log" 2>&1 || die "build failed: $build/bench-build.log"
echo "== build: baseline $base_commit (Release)"
mkdir -p "$tmp/base-src"
git -C "$root" archive "$base_commit" | tar -x -C "$tmp/base-src"
cmake -S "$tmp/base-src" -B "$tmp/base-build" -DCMAKE_BUILD_TYPE=Release \
  >/dev/null
cmake --build "$tmp/base-build" -j"$(nproc)" --target govharvest \
  >"$tmp/base-build.log" 2>&1 || die "baseline build failed: $tmp/base-build.log"
new=$build/harvester/govharvest
old=$tmp/base-build/harvester/govharvest

bench_serve "$build" "$datasets"

new_times=()
old_times=()
new_cpu=()
old_cpu=()
for r in $(seq 1 "$rounds"); do
  # Alternate which binary goes first.
  if [ $((r % 2)) = 1 ]; then
    read -r ow oc _ < <(bench_harvest "$old" "old$r")
    read -r nw nc _ < <(bench_harvest "$new" "new$r")
  else
    read -r nw nc _ < <(bench_harvest "$new" "new$r")
    read -r ow oc _ < <(bench_harvest "$old" "old$r")
  fi
  old_times+=("$ow")
  old_cpu+=("$oc")
  new_times+=("$nw")
  new_cpu+=("$nc")
  echo "round $r: baseline $ow s wall $oc s CPU, dedup $nw s wall $nc s CPU"
done
last=$tmp/new$rounds.db

# The work was done: one published copy per generated dataset.
published=$(sqlite3 "$last" "SELECT count(*) FROM dataset WHERE status = 'active' AND coalesce(state, 'active') = 'active'")
superseded=$(sqlite3 "$last" "SELECT count(*) FROM dataset WHERE state = 'superseded'")
[ "$published" = "$generated" ] || die "published $published, generated $generated"
[ "$superseded" = $((entries - generated)) ] || die "superseded $superseded, twins $((entries - generated))"

/usr/bin/time -f "%e %U %S" -o "$tmp/dups.time" \
  "$new" --db "$last" -q report duplicates --json >"$tmp/dups.json"
neardup=$(awk '{printf "%s s wall, %.2f s CPU", $1, $2 + $3}' "$tmp/dups.time")
candidates=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["candidates"]))' "$tmp/dups.json")

resolve=$(sed -n 's/.*dedup: .* in \([0-9.]*\) s$/\1/p' "$tmp/new$rounds.log")

mo=$(bench_median "${old_times[@]}")
mn=$(bench_median "${new_times[@]}")
co=$(bench_median "${old_cpu[@]}")
cn=$(bench_median "${new_cpu[@]}")
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
echo "workload: $generated datasets, $entries entries ($((entries - generated)) twins)"
echo "first harvest, baseline $base_commit: ${old_times[*]} s (median $mo)"
echo "first harvest, with dedup:        ${new_times[*]} s (median $mn)"
echo "CPU, baseline: ${old_cpu[*]} s (median $co); with dedup: ${new_cpu[*]} s (median $cn)"
echo "dedup overhead (medians): wall $(echo "scale=1; ($mn - $mo) * 100 / $mo" | bc) %, CPU $(echo "scale=1; ($cn - $co) * 100 / $co" | bc) %"
echo "resolve in the last harvest: $resolve s ($(echo "scale=1; $resolve * 100 / $mn" | bc) % of it)"
echo "published $published, superseded $superseded"
echo "report duplicates: $neardup, $candidates candidates"
