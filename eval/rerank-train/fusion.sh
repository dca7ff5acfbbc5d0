#!/usr/bin/env bash
# Issue 9: the hybrid fusion weight that `rerank-train` (its defaults) tunes on each collection's train split: the start's
# dense weight against the weight cross-fitted over the judged training queries, kept only when it wins with p < 0.05.
# rerank-train decides the fusion before any cross-encoder work, so each run is stopped (SIGTERM, which it honours:
# nothing is written) as soon as it logs the decision. Where a weight is kept, the test split is then evaluated at that
# weight beside the default 0.45: the hybrid stage alone and the default pipeline (default reranker) on it. Test
# queries are only read by those final evaluations.
#
#   eval/rerank-train/fusion.sh IDX_DIR OUT_DIR       (IDX_DIR/<collection>: indexes of eval/hybrid/run.sh)
#
# Environment: DATASETS (default ../shared/datasets), COLLECTIONS (default "scifact cranfield cisi med cacm lisa").
set -euo pipefail
idx=${1:?usage: fusion.sh IDX_DIR OUT_DIR}
out=${2:?usage: fusion.sh IDX_DIR OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
datasets=$(cd "${DATASETS:-$here/../shared/datasets}" && pwd)
collections=${COLLECTIONS:-scifact cranfield cisi med cacm lisa}
mkdir -p "$out"
. "$here/eval/programs.sh" && programs "$out" host train
export SEARCHRERANK_MODELS=$here/models
for c in $collections; do
  missing=""; [ "$c" = cranfield ] && missing="--skip-missing-documents"
  echo "[$(date -u +%H:%M:%S)] $c: rerank-train until its fusion decision (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  log=$out/$c.train.log
  rm -rf "$out/$c-model" "$out/$c-model-checkpoints" # this script's own scratch: a stopped run leaves its checkpoints
  dotnet "$out/train/rerank-train.dll" --index "$idx/$c" --queries "$datasets/$c/queries.jsonl" \
    --qrels "$datasets/$c/qrels/train.tsv" --output "$out/$c-model" --overwrite --device cpu $missing > "$log" 2>&1 &
  pid=$!
  until grep -q "Fusion: \|Hybrid fusion not tuned" "$log" || ! kill -0 "$pid" 2>/dev/null; do sleep 1; done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  rm -rf "$out/$c-model-checkpoints"
  weight=$(grep -o "Kept: dense weight [0-9.]*" "$log" | grep -o "[0-9.]*$" || true)
  echo "$c ${weight:-none}" >> "$out/kept.txt"
  [ -z "$weight" ] && continue
  for w in 0.45 "$weight"; do
    echo "[$(date -u +%H:%M:%S)] $c: test at dense weight $w" >&2
    dotnet "$out/host/search-host.dll" eval --index "$idx/$c" --queries "$datasets/$c/queries.jsonl" \
      --qrels "$datasets/$c/qrels/test.tsv" --reranker "$here/models/default-reranker" --candidates 100 --dense-weight "$w" \
      --json > "$out/$c.test-$w.json" 2> "$out/$c.test-$w.log"
  done
done
echo "| collection | judged training queries | start (0.45) | cross-fitted | difference | p | kept | test: hybrid 0.45 -> kept | test: pipeline 0.45 -> kept |"
echo "|---|---:|---:|---:|---:|---:|---|---:|---:|"
for c in $collections; do
  python3 - "$out" "$c" <<'PY'
import json, os, re, sys
out, c = sys.argv[1], sys.argv[2]
log = open(f"{out}/{c}.train.log", encoding="utf-8").read()
m = re.search(r"over (\d+) judged queries of this index: dense weight ([0-9.]+) \(the start\) ([0-9.]+) .*?fold.*?: ([0-9., ]+)\) ([0-9.]+) .*?difference ([+-]?[0-9]+\.[0-9]+), paired randomization test p = ([0-9]+\.[0-9]+)", log)
if not m:
    print(f"| {c} | no decision logged (see {c}.train.log) |"); sys.exit()
n, start, a, folds, b, d, p = m.groups()
kept = re.search(r"Kept: dense weight ([0-9.]+)", log)
test = "-"
pipe = "-"
if kept:
    w = kept.group(1)
    j0, j1 = (json.load(open(f"{out}/{c}.test-{x}.json")) for x in ("0.45", w))
    test = f"{j0['hybrid']['ndcg@10']:.4f} -> {j1['hybrid']['ndcg@10']:.4f}"
    pipe = f"{j0['reranked']['ndcg@10']:.4f} -> {j1['reranked']['ndcg@10']:.4f}"
print(f"| {c} | {n} | {a} | {b} (folds: {folds.strip()}) | {d} | {p} | {kept.group(1) if kept else 'no'} | {test} | {pipe} |")
PY
done
