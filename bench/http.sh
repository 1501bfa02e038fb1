#!/usr/bin/env bash
# The generated service under load, side by side in one run with the floor
# for its stack (bench/http-baseline: axum serving the same Product JSON
# from a RwLock<HashMap>). For each: GET of one product and POST of a new
# one at a constant 1,000 requests/s for DURATION (open loop: latency is
# measured from each request's intended send time, so a stall is not
# hidden), then the highest rate each sustains with 32 connections.
#
# The generated service runs three ways: in memory (`sqlite::memory:`),
# on the default SQLite file, and on PostgreSQL 15 + Redis (the outbox
# relayed to a Redis stream), each started here on loopback with
# temporary data.
#
# Needs oha (`cargo install oha`), redis-server, PostgreSQL 15 under
# /usr/lib/postgresql/15 (run as the `postgres` user when this runs as
# root). DURATION=30s, PEAK=10s by default.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30s}
PEAK=${PEAK:-10s}
RATE=${RATE:-1000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/parasol-http.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}" $(cat "$WORK"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  sleep 1; rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release --quiet --bin parasol
target/release/parasol bc generate -q --spec ../shared/examples/order-management/order-management.bc.yaml --out "$WORK/out" --lang rust
export CARGO_TARGET_DIR=$PWD/target/bench-http
(cd "$WORK/out/rust/order-management" && cargo build --release --quiet)
(cd bench/http-baseline && cargo build --release --quiet)

start() { # BINARY NAME [ARGS...] -> prints the URL
  local binary=$1 name=$2; shift 2
  "$binary" "$@" > "$WORK/$name.out" 2> /dev/null &
  echo $! > "$WORK/$name.pid" # started in a subshell: PIDS would not see it
  for _ in $(seq 100); do
    if grep -q "listening on" "$WORK/$name.out"; then sed -n 's/^listening on //p' "$WORK/$name.out"; return; fi
    sleep 0.05
  done
  echo "$binary did not start" >&2; exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PG=/usr/lib/postgresql/15/bin
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$WORK/pg" "$WORK/sqlite"
chmod 777 "$WORK"; [ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg"
PG_PORT=$(free_port)
as_postgres "$PG/initdb" -D "$WORK/pg/data" -U postgres --auth=trust > /dev/null
as_postgres "$PG/postgres" -D "$WORK/pg/data" -p "$PG_PORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 -c fsync=on > "$WORK/pg.log" 2>&1 &
PIDS+=($!)
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" > /dev/null &
PIDS+=($!)
for _ in $(seq 100); do "$PG/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done

BIN=$CARGO_TARGET_DIR/release/order-management
BASELINE=$(start "$CARGO_TARGET_DIR/release/http-baseline" baseline)
MEMORY=$(DATABASE_URL=sqlite::memory: start "$BIN" memory --addr 127.0.0.1:0)
SQLITE=$(cd "$WORK/sqlite" && start "$BIN" sqlite --addr 127.0.0.1:0)
POSTGRES=$(DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" EVENT_BUS_URL="redis://127.0.0.1:$REDIS_PORT" start "$BIN" postgres --addr 127.0.0.1:0)

BODY='{"name":"Lamp","price":1200,"category":"tools","tags":["home"],"discontinued":false}'
row() { # NAME URL METHOD
  local name=$1 url=$2 method=$3 target args
  if [ "$method" = GET ]; then
    local id
    id=$(curl -s -H 'content-type: application/json' -d "$BODY" "$url/api/catalog/products" | sed 's/.*"id":"\([^"]*\)".*/\1/')
    target="$url/api/catalog/products/$id"; args=()
  else
    target="$url/api/catalog/products"; args=(-m POST -T application/json -d "$BODY")
  fi
  oha --no-tui --output-format json -z "$DURATION" -q "$RATE" --latency-correction -c 16 "${args[@]}" "$target" > "$WORK/fixed.json"
  oha --no-tui --output-format json -z "$PEAK" -c 32 "${args[@]}" "$target" > "$WORK/peak.json"
  python3 - "$name" "$method" "$WORK/fixed.json" "$WORK/peak.json" <<'PY'
import json, sys
name, method, fixed, peak = sys.argv[1:]
f = json.load(open(fixed)); p = json.load(open(peak))
codes = f.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
# Requests still in flight when the run's time is up are not errors.
failed = {k: v for k, v in f.get("errorDistribution", {}).items() if "deadline" not in k}
errors = sum(codes.values()) - ok + sum(failed.values())
pct = f["latencyPercentiles"]
print(f"| {name} | {method} | {pct['p50']*1000:.2f} ms | {pct['p99']*1000:.2f} ms | {errors} | {p['summary']['requestsPerSec']:.0f} |")
PY
}
echo "| service | request | p50 at ${RATE}/s | p99 at ${RATE}/s | errors | highest rate (req/s) |"
echo "|---|---|---|---|---|---|"
for method in GET POST; do
  row "baseline (axum + RwLock<HashMap>)" "$BASELINE" "$method"
  row "generated, in memory (\`sqlite::memory:\`)" "$MEMORY" "$method"
  row "generated, SQLite file (default)" "$SQLITE" "$method"
  row "generated, PostgreSQL + Redis" "$POSTGRES" "$method"
done
