#!/usr/bin/env bash
# A second round for the default reranker: continue models/default-reranker on the pooled train splits of the six
# collections with negatives mined from the default hybrid first stage (ranks [10, 100) of BM25 + dense), one epoch
# of the default recipe, SciFact's 81 held-out train queries as dev. rerank-train's own final comparison (hybrid top
# 100, paired randomization test) decides; --keep-trained saves the fine-tuned weights either way so they can be
# inspected, but models/default-reranker is only replaced by hand, and only when that comparison gives p < 0.05.
# About 35 minutes on 2 idle cores.
#
#   eval/default-reranker/retrain-hybrid.sh IDX_DIR OUT_DIR    (IDX_DIR/<collection>: indexes of eval/hybrid/run.sh)
set -euo pipefail
idx=${1:?usage: retrain-hybrid.sh IDX_DIR OUT_DIR}
out=${2:?usage: retrain-hybrid.sh IDX_DIR OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
D=$(cd "${DATASETS:-$here/../shared/datasets}" && pwd)
mkdir -p "$out"
. "$here/eval/programs.sh" && programs "$out" train
TRAIN="dotnet $out/train/rerank-train.dll"
python3 "$here/eval/default-reranker/split_dev.py" "$D/scifact/qrels/train.tsv" "$out"    # $out/train.tsv, $out/dev.tsv
mined=""
for c in scifact cranfield cisi med cacm lisa; do
  qrels="$D/$c/qrels/train.tsv"; [ "$c" = scifact ] && qrels="$out/train.tsv"
  missing=""; [ "$c" = cranfield ] && missing="--skip-missing-documents"
  $TRAIN --index "$idx/$c" --queries "$D/$c/queries.jsonl" --qrels "$qrels" --write-mined "$out/$c.jsonl" --mine-only --overwrite $missing
  mined="$mined --mined $out/$c.jsonl"
done
$TRAIN --keep-trained --base "$here/models/default-reranker" --index "$idx/scifact" $mined --queries "$D/scifact/queries.jsonl" \
  --dev-qrels "$out/dev.tsv" --max-dev-queries 81 --eval-every 150 --output "$out/model" --overwrite --epochs 1 --seed 42 --device cpu
