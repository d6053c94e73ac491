# Shell helpers shared by the benchmark scripts that serve the generated
# W100k catalogs on loopback and harvest them into fresh stores
# (dedup.sh, assess.sh). Sourced, not run; the caller starts with
# bench_init, which makes $tmp and cleans up at exit.

bench_server_pid=""

die() {
  echo "bench: $*" >&2
  exit 1
}

# Prints the first loopback port in 18100..18999 that nobody listens on.
bench_free_port() {
  local p
  for p in $(seq 18100 18999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free loopback port in 18100..18999"
}

# bench_serve BUILD DATASETS: generates the workload into $tmp/www for a
# free port, starts serve_dir on it and waits until it listens. Sets
# $generated and $entries from the generator's totals.
bench_serve() {
  local build=$1 datasets=$2 port
  port=$(bench_free_port)
  echo "== generate: $datasets datasets, served on 127.0.0.1:$port"
  "$build/tests/bench/gen_w100k" --out "$tmp/www" \
    --base "http://127.0.0.1:$port" --datasets "$datasets" | tee "$tmp/gen.txt"
  generated=$(sed -n 's/.*datasets=\([0-9]*\).*/\1/p' "$tmp/gen.txt")
  entries=$(sed -n 's/.*entries=\([0-9]*\).*/\1/p' "$tmp/gen.txt")
  "$build/tests/bench/serve_dir" "$tmp/www" "$port" >"$tmp/server.log" 2>&1 &
  bench_server_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^serving ' "$tmp/server.log" && return 0
    sleep 0.05
  done
  die "serve_dir did not start: $(cat "$tmp/server.log")"
}

# bench_init NAME: the temporary directory $tmp, removed at exit together
# with the server unless HV_BENCH_KEEP=1.
bench_init() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/hv-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  bench_stop_server
  if [ "${HV_BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}

bench_stop_server() {
  if [ -n "$bench_server_pid" ]; then
    kill -TERM "$bench_server_pid" 2>/dev/null || true
    wait "$bench_server_pid" 2>/dev/null || true
    bench_server_pid=""
  fi
}

# bench_fresh_store BIN DB: a new store with the sixteen sources.
bench_fresh_store() {
  local bin=$1 db=$2
  rm -f "$db" "$db-wal" "$db-shm"
  tail -n +2 "$tmp/www/sources.tsv" | while IFS=$'\t' read -r name state url _; do
    "$bin" --db "$db" -q source add "$name" --state "$state" --url "$url" \
      >/dev/null
  done
}

# bench_harvest BIN NAME [ARGS...]: a first harvest into the fresh store
# $tmp/NAME.db with -v (ARGS go to govharvest before the command); checks
# that all 16 sources ended ok and prints "wall cpu rss_mb".
bench_harvest() {
  local bin=$1 name=$2 db=$tmp/$2.db
  shift 2
  bench_fresh_store "$bin" "$db"
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/$name.time" \
    "$bin" --db "$db" -v "$@" run --all --allow-loopback --json \
    >"$tmp/$name.json" 2>"$tmp/$name.log" || die "$name: harvest failed"
  [ "$(grep -c '"status": "ok"' "$tmp/$name.json")" = 16 ] ||
    die "$name: not all 16 sources ok"
  awk '{ printf "%s %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$tmp/$name.time"
}

# Median of the arguments.
bench_median() {
  printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
