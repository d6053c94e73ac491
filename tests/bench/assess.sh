#!/usr/bin/env bash
# What mapping and checking cost on the W100k workload (README.md,
# "Mapping and checking"): the first harvest of this tree's govharvest
# against the same tree built with -DHV_BENCH_SKIP_ASSESS=ON, which
# stores every dataset as delivered (no mapping, no check, no findings)
# and is otherwise the same program. The two binaries harvest into fresh
# stores in alternating order, HV_ASSESS_ROUNDS times each, so that a
# machine that speeds up or slows down weighs on both alike. It checks
# the work (all 16 sources ok, every entry stored, findings stored by one
# binary and none by the other) and prints each round, the medians and
# the ratio against the issue's budget of +20 %.
#
# Environment (all optional):
#   HV_BENCH_DATASETS  datasets to generate (default 100000)
#   HV_BENCH_BUILD     build directory for this tree (default build-bench;
#                      the baseline goes to the same name plus -skip)
#   HV_ASSESS_ROUNDS   harvests per binary (default 3)
#   HV_BENCH_KEEP=1    keep the temporary directory
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${HV_BENCH_BUILD:-$root/build-bench}
skip_build=$build-skip
datasets=${HV_BENCH_DATASETS:-100000}
rounds=${HV_ASSESS_ROUNDS:-3}
budget=1.20

# shellcheck source=tests/bench/lib.sh
. "$here/lib.sh"

command -v sqlite3 >/dev/null || die "sqlite3 is missing (Debian package sqlite3)"

bench_init assess

# ---- builds ----------------------------------------------------------------
echo "== build: this tree (Release) into $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHV_WERROR=ON \
  -DHV_BENCH_SKIP_ASSESS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target govharvest gen_w100k serve_dir \
  >"$build/bench-build.log" 2>&1 || die "build failed: $build/bench-build.log"
echo "== build: the same tree without map and check into $skip_build"
cmake -S "$root" -B "$skip_build" -DCMAKE_BUILD_TYPE=Release -DHV_WERROR=ON \
  -DHV_BENCH_SKIP_ASSESS=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$skip_build" -j"$(nproc)" --target govharvest \
  >"$skip_build/bench-build.log" 2>&1 ||
  die "build failed: $skip_build/bench-build.log"
full=$build/harvester/govharvest
bare=$skip_build/harvester/govharvest

bench_serve "$build" "$datasets"

# ---- rounds ----------------------------------------------------------------
full_wall=()
full_cpu=()
bare_wall=()
bare_cpu=()
full_rss=0
for r in $(seq 1 "$rounds"); do
  # Alternate which binary goes first.
  if [ $((r % 2)) = 1 ]; then
    read -r bw bc brss < <(bench_harvest "$bare" "bare$r")
    read -r fw fc frss < <(bench_harvest "$full" "full$r")
  else
    read -r fw fc frss < <(bench_harvest "$full" "full$r")
    read -r bw bc brss < <(bench_harvest "$bare" "bare$r")
  fi
  full_wall+=("$fw")
  full_cpu+=("$fc")
  bare_wall+=("$bw")
  bare_cpu+=("$bc")
  full_rss=$(awk -v a="$full_rss" -v b="$frss" 'BEGIN { print (b > a ? b : a) }')
  echo "round $r: without map and check $bw s wall $bc s CPU;" \
    "with them $fw s wall $fc s CPU (peak RSS $frss MB)"
  # The work was done by both: every entry stored; findings by one only.
  for side in bare full; do
    db=$tmp/$side$r.db
    stored=$(sqlite3 "$db" "SELECT count(*) FROM dataset WHERE status = 'active'")
    [ "$stored" = "$entries" ] || die "$side$r: $stored datasets stored, $entries served"
  done
  full_findings=$(sqlite3 "$tmp/full$r.db" "SELECT count(*) FROM finding")
  bare_findings=$(sqlite3 "$tmp/bare$r.db" "SELECT count(*) FROM finding")
  [ "$full_findings" -gt 0 ] || die "full$r: no findings stored"
  [ "$bare_findings" = 0 ] || die "bare$r: $bare_findings findings stored without a check"
  full_size=$(du -k "$tmp/full$r.db" | awk '{ print $1 }')
  bare_size=$(du -k "$tmp/bare$r.db" | awk '{ print $1 }')
  rm -f "$tmp/bare$r.db"* "$tmp/full$r.db"*
done

# ---- report ----------------------------------------------------------------
mbw=$(bench_median "${bare_wall[@]}")
mfw=$(bench_median "${full_wall[@]}")
mbc=$(bench_median "${bare_cpu[@]}")
mfc=$(bench_median "${full_cpu[@]}")
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
echo "workload: $generated datasets, $entries entries; $full_findings findings stored"
echo "store after the last round: $((full_size / 1024)) MB with findings, $((bare_size / 1024)) MB without"
echo "first harvest without map and check: ${bare_wall[*]} s wall (median $mbw), ${bare_cpu[*]} s CPU (median $mbc)"
echo "first harvest with map and check:    ${full_wall[*]} s wall (median $mfw), ${full_cpu[*]} s CPU (median $mfc)"
echo "peak RSS with map and check: $full_rss MB"
awk -v f="$mfw" -v b="$mbw" -v fc="$mfc" -v bc="$mbc" -v budget="$budget" 'BEGIN {
  printf "with / without, wall (medians): %.3f (%+.1f %%), budget %.2f: %s\n",
         f / b, (f / b - 1) * 100, budget, (f / b <= budget ? "within" : "OVER")
  printf "with / without, CPU (medians):  %.3f (%+.1f %%)\n", fc / bc,
         (fc / bc - 1) * 100 }'
