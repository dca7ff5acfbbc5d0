#!/usr/bin/env bash
# Dev runs for choosing the hybrid fusion (never test queries): SciFact's dev split (81 train queries held
# out by eval/default-reranker/split_dev.py) and the train splits of the five classic collections, on the
# indexes that eval/hybrid/run.sh built. Then eval/hybrid/choose_fusion.py prints the choice.
#
#   eval/hybrid/dev.sh [DATASETS] [WORK]     (defaults: ../shared/datasets, .work/hybrid)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-../shared/datasets}
W=${2:-.work/hybrid}
mkdir -p "$W/dev"
D=$(cd "$D" && pwd)   # absolute: the qrels paths are read again from eval/hybrid below
dotnet build src/Search.Host -c Release -v quiet -nologo
HOST="dotnet src/Search.Host/bin/Release/net10.0/search-host.dll"
python3 eval/default-reranker/split_dev.py "$D/scifact/qrels/train.tsv" "$W/dev"
specs=("scifact=$W/dev/dev.tsv")
for c in scifact cranfield cisi med cacm lisa; do
  qrels="$D/$c/qrels/train.tsv"; [ "$c" = scifact ] && qrels="$W/dev/dev.tsv"
  [ "$c" != scifact ] && specs+=("$c=$qrels")
  $HOST eval --index "$W/idx/$c" --queries "$D/$c/queries.jsonl" --qrels "$qrels" --device cpu --top 100 --fusion rrf \
    --run "$W/dev/$c-bm25.run" --dense-run "$W/dev/$c-dense.run" --hybrid-run "$W/dev/$c-hybrid.run" --overwrite --json > "$W/dev/$c.json"
done
WA=$(cd "$W" && pwd)
cd eval/hybrid && python3 choose_fusion.py "$WA/dev" "${specs[@]}"
