#!/usr/bin/env bash
# Does the default reranker rank better when it reads more of each pair? Dev queries only: SciFact's 81
# held-out train queries (eval/default-reranker/split_dev.py) and the train splits of the classic
# collections. For each max length, `search-host eval --score-mode replace` over the default hybrid first
# stage (top 100) writes the hybrid candidates and the cross-encoder's scores; eval/hybrid/tune_reranker.py
# then gives the cross-encoder alone (w = 1) and the default pipeline (w = 0.20) from the same scores.
#
#   eval/max-length/dev.sh IDX_DIR OUT_DIR [LENGTH...]      (default lengths: 128 256)
#
# IDX_DIR holds one index per collection (IDX_DIR/scifact, IDX_DIR/lisa, ...; e.g. the WORK/idx of
# eval/hybrid/run.sh). Environment: DATASETS (default ../shared/datasets), COLLECTIONS (default
# "scifact lisa cisi med cacm"). The classic train splits were part of the default reranker's training
# data, so on them the model has seen these queries at 128 tokens: a bias toward 128, not against it.
set -euo pipefail
idx=${1:?usage: dev.sh IDX_DIR OUT_DIR [LENGTH...]}
out=${2:?usage: dev.sh IDX_DIR OUT_DIR [LENGTH...]}
shift 2
lengths=("$@")
[ $# -eq 0 ] && lengths=(128 256)
here=$(cd "$(dirname "$0")/../.." && pwd)
datasets=$(cd "${DATASETS:-$here/../shared/datasets}" && pwd)
collections=${COLLECTIONS:-scifact lisa cisi med cacm}
mkdir -p "$out"
. "$here/eval/programs.sh" && programs "$out" host
mkdir -p "$out/scifact-dev"
python3 "$here/eval/default-reranker/split_dev.py" "$datasets/scifact/qrels/train.tsv" "$out/scifact-dev" >/dev/null
for c in $collections; do
  qrels=$datasets/$c/qrels/train.tsv; [ "$c" = scifact ] && qrels=$out/scifact-dev/dev.tsv
  for n in "${lengths[@]}"; do
    echo "[$(date -u +%H:%M:%S)] $c max length $n (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    start=$(date +%s)
    dotnet "$out/host/search-host.dll" eval --index "$idx/$c" --queries "$datasets/$c/queries.jsonl" --qrels "$qrels" \
      --reranker "$here/models/default-reranker" --candidates 100 --max-length "$n" --score-mode replace --json \
      --hybrid-run "$out/$c.hybrid.run" --reranked-run "$out/$c.ce$n.run" --overwrite > "$out/$c.$n.json"
    echo "$(( $(date +%s) - start ))" > "$out/$c.$n.seconds"
  done
done
echo "| dev set | queries | hybrid | max length | cross-encoder alone | pipeline (w 0.20) | best w | eval s |"
echo "|---|---:|---:|---:|---:|---:|---|---:|"
for c in $collections; do
  qrels=$datasets/$c/qrels/train.tsv; [ "$c" = scifact ] && qrels=$out/scifact-dev/dev.tsv
  for n in "${lengths[@]}"; do
    python3 "$here/eval/hybrid/tune_reranker.py" "$qrels" "$out/$c.hybrid.run" "$out/$c.ce$n.run" > "$out/$c.$n.tune"
    q=$(awk '/^best/ {print $5}' "$out/$c.$n.tune")
    h=$(awk -F= '/^w=0.00/ {print $3}' "$out/$c.$n.tune")
    ce=$(awk -F= '/^w=1.00/ {print $3}' "$out/$c.$n.tune")
    p=$(awk -F= '/^w=0.20/ {print $3}' "$out/$c.$n.tune")
    b=$(awk '/^best/ {print $2 " " $3}' "$out/$c.$n.tune")
    echo "| $c | $q | $h | $n | $ce | $p | $b | $(cat "$out/$c.$n.seconds") |"
  done
done
