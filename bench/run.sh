#!/usr/bin/env bash
# Whole-process benchmarks, in one run on one machine: parasol on W1 (the
# canonical example), W2 (100 modules) and W3 (1,000 modules) against the
# file-system floor (bench/fs_floor.rs: the same files written, or read,
# with nothing else) and Hygen (bench/hygen: the same number of files of the
# same size per module). Prints medians, ratios and peak memory.
#
# Needs hyperfine and GNU time (`apt-get install hyperfine time`) and Node.
# RUNS=10 by default. Every run writes into a fresh folder; folders are
# deleted only at the end (recreating a just-deleted tree is much slower
# on these machines and would measure the disk, not the generators).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/parasol-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin parasol --example make-workload --example fs-floor
P=$PWD/target/release/parasol
F=$PWD/target/release/examples/fs-floor
if [ ! -d bench/hygen/node_modules ]; then
  (cd bench/hygen && npm ci --silent --no-audit --no-fund)
fi

W1=$PWD/../shared/examples/order-management/order-management.bc.yaml
target/release/examples/make-workload 100 10 "$WORK/w2.bc.yaml"
target/release/examples/make-workload 1000 10 "$WORK/w3.bc.yaml"
declare -A SPEC=([w1]=$W1 [w2]=$WORK/w2.bc.yaml [w3]=$WORK/w3.bc.yaml)
declare -A MODULES=([w1]=4 [w2]=100 [w3]=1000)

mkdir -p "$WORK/runs" "$WORK/json"
fresh='$(mktemp -d -u '"$WORK"'/runs/XXXXXXXX)'
for w in w1 w2 w3; do
  "$P" bc generate --spec "${SPEC[$w]}" --out "$WORK/ref-$w" > /dev/null
  "$F" list "$WORK/ref-$w" > "$WORK/$w.list"
done

bench() { # NAME COMMAND...
  local name=$1; shift
  hyperfine --style none --runs "$RUNS" --warmup 1 --export-json "$WORK/json/$name.json" "$@" > /dev/null
}
rss() { # NAME COMMAND: peak RSS (KiB) of one run
  local name=$1; shift
  /usr/bin/time -f %M -o "$WORK/json/$name.rss" bash -c "$*" > /dev/null 2>&1
}

for w in w1 w2 w3; do
  spec=${SPEC[$w]}
  bench "$w-generate" "$P bc generate --spec $spec --out $fresh"
  bench "$w-floor-write" "$F write $WORK/$w.list $fresh"
  bench "$w-regenerate" "$P bc generate --spec $spec --out $WORK/ref-$w"
  bench "$w-check" "$P check --out $WORK/ref-$w"
  bench "$w-check-quick" "$P check --quick --out $WORK/ref-$w"
  bench "$w-floor-read" "$F read $WORK/ref-$w"
  bench "$w-validate" "$P bc validate --spec $spec"
  rss "$w-generate" "$P bc generate --spec $spec --out $(mktemp -d -u "$WORK/runs/XXXXXXXX")"
  rss "$w-check" "$P check --out $WORK/ref-$w"
  if [ "$w" != w1 ]; then
    # Regeneration after a one-field edit: each run flips one field's name
    # (`note` <-> `remark` in the first record), so every run is an edit.
    e=$WORK/edit-$w
    mkdir -p "$e"
    cp "$spec" "$e/a.bc.yaml"
    sed '0,/ note: string?/s// remark: string?/' "$spec" > "$e/b.bc.yaml"
    cp "$e/a.bc.yaml" "$e/spec.bc.yaml"
    "$P" bc generate --spec "$e/spec.bc.yaml" --out "$e/out" > /dev/null
    flip="if cmp -s $e/spec.bc.yaml $e/a.bc.yaml; then cp $e/b.bc.yaml $e/spec.bc.yaml; else cp $e/a.bc.yaml $e/spec.bc.yaml; fi"
    bench "$w-edit" --prepare "$flip" "$P bc generate --spec $e/spec.bc.yaml --out $e/out"
    bash -c "$flip"
    rss "$w-edit" "$P bc generate --spec $e/spec.bc.yaml --out $e/out"
  fi
  if [ "$w" != w3 ] || [ -n "${HYGEN_W3:-}" ]; then
    bytes=$(awk -F'\t' '{s+=$1} END {printf "%d", s/NR}' "$WORK/$w.list")
    bench "$w-hygen" "node bench/hygen/generate.mjs $fresh ${MODULES[$w]} $bytes"
  fi
done
bench version "$P --version"

python3 - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]
def median(name):
    path = os.path.join(work, "json", name + ".json")
    if not os.path.exists(path):
        return None
    return json.load(open(path))["results"][0]["median"]
def rss(name):
    path = os.path.join(work, "json", name + ".rss")
    return int(open(path).read().split()[-1]) / 1024 if os.path.exists(path) else None
def files(w):
    rows = [l.split("\t") for l in open(os.path.join(work, w + ".list"))]
    return len(rows), sum(int(r[0]) for r in rows)
ms = lambda s: "-" if s is None else f"{s * 1000:.1f} ms"
ratio = lambda a, b: "-" if a is None or b is None else f"{a / b:.2f}x"
print("| workload | files | MB | generate | floor (write) | parasol/floor | Hygen | Hygen/parasol | regenerate (unchanged) | check | check --quick | floor (read) | regenerate/read | validate | peak RSS generate | peak RSS check |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for w in ["w1", "w2", "w3"]:
    n, size = files(w)
    g, fw, h = median(f"{w}-generate"), median(f"{w}-floor-write"), median(f"{w}-hygen")
    r, c, fr = median(f"{w}-regenerate"), median(f"{w}-check"), median(f"{w}-floor-read")
    print(f"| {w.upper()} | {n} | {size / 1e6:.1f} | {ms(g)} | {ms(fw)} | {ratio(g, fw)} | {ms(h)} | {ratio(h, g)} "
          f"| {ms(r)} | {ms(c)} | {ms(median(f'{w}-check-quick'))} | {ms(fr)} | {ratio(r, fr)} | {ms(median(f'{w}-validate'))} "
          f"| {rss(f'{w}-generate'):.0f} MB | {rss(f'{w}-check'):.0f} MB |")
print("\n| workload | regenerate (unchanged) | regenerate (one-field edit) | edit/unchanged | peak RSS generate | peak RSS edit |")
print("|---|---|---|---|---|---|")
for w in ["w2", "w3"]:
    r, e = median(f"{w}-regenerate"), median(f"{w}-edit")
    print(f"| {w.upper()} | {ms(r)} | {ms(e)} | {ratio(e, r)} | {rss(f'{w}-generate'):.0f} MB | {rss(f'{w}-edit'):.0f} MB |")
g2, g3 = median("w2-generate"), median("w3-generate")
print(f"\nW3/W2 generate: {ratio(g3, g2)} for 10x the spec; `parasol --version`: {ms(median('version'))}")
PY
