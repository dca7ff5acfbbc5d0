#!/usr/bin/env bash
# Which window the default reranker reads, on dev sets only: the whole document (first, truncated at 128 tokens) against
# each document's N windows that match the query best by BM25 (--passages max --passage-select N), over the default first
# stage (hybrid top 100). Dev: SciFact's 81 held-out train queries (eval/default-reranker/split_dev.py) and the train splits
# of the five classic collections (which the default reranker was trained on: a bias toward its training input, the start).
# Writes each setting's cross-encoder run (score mode replace) and prints the interpolation curve per dev set and their mean
# (eval/passages/weights_by_set.py).
#
#   eval/passages/select-dev.sh IDX OUT [N ...]     (IDX holds scifact, cranfield, cisi, med, cacm, lisa; N defaults to 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
IDX=$(cd "$1" && pwd)
OUT=$2; shift 2
selects=("${@:-1}")
D=$(cd "${DATASETS:-../shared/datasets}" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
source eval/programs.sh
programs "$OUT" host
H="dotnet $OUT/host/search-host.dll"
python3 eval/default-reranker/split_dev.py "$D/scifact/qrels/train.tsv" "$OUT"
specs=()
for c in scifact cranfield cisi med cacm lisa; do
  qrels="$D/$c/qrels/train.tsv"; [ "$c" = scifact ] && qrels="$OUT/dev.tsv"
  settings=("first:--passages first")
  for n in "${selects[@]}"; do settings+=("select$n:--passages max --passage-select $n"); done
  names=()
  for setting in "${settings[@]}"; do
    name=${setting%%:*}; flags=${setting#*:}
    echo "$(date -u +%H:%M) $c $name, $(uptime | sed 's/.*load/load/')"
    # shellcheck disable=SC2086
    $H eval --index "$IDX/$c" --queries "$D/$c/queries.jsonl" --qrels "$qrels" --reranker models/default-reranker --score-mode replace \
      --candidates 100 --device cpu $flags --hybrid-run "$OUT/$c-hybrid.run" --reranked-run "$OUT/$c-$name.run" --overwrite --json > "$OUT/$c-$name.json"
    names+=("$name")
  done
  specs+=("$c=$qrels")
done
python3 eval/passages/weights_by_set.py "$OUT" "${names[*]}" "${specs[@]}"
