#!/usr/bin/env bash
# Issue 9: `rerank-train` with its defaults on each collection's train split (the default reranker as the start,
# negatives mined from the index's own first stage; judged by 5-fold cross-validation over the training queries when a
# 10% hold-out would be under 50 dev queries, else on that hold-out; the start kept unless the fine-tune beats it with
# p < 0.05), then the resulting folder in the default pipeline on the test split beside the untrained default pipeline.
# Test queries are only read by the final evaluations.
#
#   eval/rerank-train/defaults.sh IDX_DIR OUT_DIR       (IDX_DIR/<collection>: indexes of eval/hybrid/run.sh)
#
# Environment: DATASETS (default ../shared/datasets), COLLECTIONS (default "med lisa cacm cisi").
set -euo pipefail
idx=${1:?usage: defaults.sh IDX_DIR OUT_DIR}
out=${2:?usage: defaults.sh IDX_DIR OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
datasets=$(cd "${DATASETS:-$here/../shared/datasets}" && pwd)
collections=${COLLECTIONS:-med lisa cacm cisi}
mkdir -p "$out"
. "$here/eval/programs.sh" && programs "$out" host train
export SEARCHRERANK_MODELS=$here/models
for c in $collections; do
  missing=""; [ "$c" = cranfield ] && missing="--skip-missing-documents"
  echo "[$(date -u +%H:%M:%S)] $c: rerank-train (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  start=$(date +%s)
  dotnet "$out/train/rerank-train.dll" --index "$idx/$c" --queries "$datasets/$c/queries.jsonl" \
    --qrels "$datasets/$c/qrels/train.tsv" --output "$out/$c-model" --overwrite --device cpu $missing > "$out/$c.train.log" 2>&1
  echo "$(( $(date +%s) - start ))" > "$out/$c.train.seconds"
  for m in default trained; do
    model=$here/models/default-reranker; [ "$m" = trained ] && model=$out/$c-model
    echo "[$(date -u +%H:%M:%S)] $c: test, $m" >&2
    dotnet "$out/host/search-host.dll" eval --index "$idx/$c" --queries "$datasets/$c/queries.jsonl" \
      --qrels "$datasets/$c/qrels/test.tsv" --reranker "$model" --candidates 100 --json \
      --reranked-run "$out/$c.$m.run" --overwrite > "$out/$c.$m.json" 2> "$out/$c.$m.log"
  done
done
echo "| collection | training queries | judged queries (dev or cross-validated) | kept | p | test: default pipeline | test: after rerank-train | change | train s |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|"
for c in $collections; do
  python3 - "$out" "$c" <<'PY'
import json, re, sys
out, c = sys.argv[1], sys.argv[2]
log = open(f"{out}/{c}.train.log", encoding="utf-8").read()
nd = lambda m: json.load(open(f"{out}/{c}.{m}.json"))["reranked"]["ndcg@10"]
train = re.search(r"over the (\d+) training queries", log) or re.search(r"on (\d+) training queries", log)
dev = re.search(r"\((\d+) judged,", log) or re.search(r"Validation during training: (\d+) dev queries", log)
kept = "start" if "holds the starting model's weights" in log else "fine-tuned"
p = re.findall(r"p = ([0-9.]+)", log)
a, b = nd("default"), nd("trained")
secs = open(f"{out}/{c}.train.seconds").read().strip()
print(f"| {c} | {train.group(1) if train else '?'} | {dev.group(1) if dev else '?'} | {kept} | {p[-1] if p else '?'} | {a:.4f} | {b:.4f} | {b - a:+.4f} | {secs} |")
PY
done
