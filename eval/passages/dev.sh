#!/usr/bin/env bash
# BERT-MaxP against whole documents (FirstP) for the default reranker over the default first stage
# (min-max hybrid top 100), on SciFact dev only (81 train queries held out by
# eval/default-reranker/split_dev.py). For each window/stride it writes the cross-encoder's scores
# (score mode replace) as a run; eval/hybrid/tune_reranker.py then tunes the interpolation weight
# on each and prints its best dev nDCG@10.
#
#   eval/passages/dev.sh INDEX DEV_QRELS OUT [WORDS/STRIDE ...]
#   e.g. eval/passages/dev.sh .work/hybrid/idx/scifact .work/scifact-dev.tsv .work/passages 64/32 96/48
#
# INDEX: SciFact indexed with vectors (eval/hybrid/run.sh); DEV_QRELS: the dev split's qrels.
# Slow: every window is a pair (about 6 per SciFact abstract at 64/32).
set -euo pipefail
cd "$(dirname "$0")/../.."
index=$1; dev=$2; out=$3; shift 3
configs=("${@:-64/32}")
datasets=${DATASETS:-../shared/datasets}
host=${SEARCH_HOST:-"dotnet src/Search.Host/bin/Release/net10.0/search-host.dll"}
mkdir -p "$out"
common=(--index "$index" --queries "$datasets/scifact/queries.jsonl" --qrels "$dev" --reranker models/default-reranker
  --score-mode replace --candidates 100 --device cpu --precision bf16 --threads 1 --overwrite --json)
if [ ! -f "$out/first.run" ]; then
  $host eval "${common[@]}" --passages first --hybrid-run "$out/hybrid.run" --reranked-run "$out/first.run" > "$out/first.json" 2> "$out/first.err"
fi
for config in "${configs[@]}"; do
  words=${config%/*}; stride=${config#*/}
  name="max-$words-$stride"
  uptime > "$out/$name.uptime"
  $host eval "${common[@]}" --passages max --passage-words "$words" --passage-stride "$stride" \
    --reranked-run "$out/$name.run" > "$out/$name.json" 2> "$out/$name.err"
  uptime >> "$out/$name.uptime"
done
for run in "$out"/first.run "$out"/max-*.run; do
  echo "== $(basename "$run" .run)"
  python3 eval/hybrid/tune_reranker.py "$dev" "$out/hybrid.run" "$run" | tail -2
done
