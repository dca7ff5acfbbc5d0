#!/usr/bin/env bash
# Rebuilds models/default-reranker from the public collections' train splits (never their test
# queries): index each collection, hold out 10% of SciFact's train queries as dev, mine hard
# negatives from each index, train one model on the pooled groups, evaluate it on every test
# split, convert it to float16. About 40 minutes of training and 35 of evaluation on 2 CPU cores.
#
#   eval/default-reranker/build.sh [DATASETS] [WORK]     (defaults: ../shared/datasets, .work/default-reranker)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-../shared/datasets}
W=${2:-.work/default-reranker}
mkdir -p "$W"
dotnet build SearchRerank.sln -c Release -v quiet -nologo
HOST="dotnet src/Search.Host/bin/Release/net10.0/search-host.dll"
TRAIN="dotnet src/Rerank.Training/bin/Release/net10.0/rerank-train.dll"
COLLECTIONS="scifact cranfield cisi med cacm lisa"

for c in $COLLECTIONS; do
  skip=""; [ "$c" = cranfield ] && skip="--skip-empty"   # cranfield has documents without title or text
  [ -d "$W/idx/$c" ] || $HOST index --corpus "$D/$c/corpus.jsonl" --index "$W/idx/$c" $skip
done

python3 eval/default-reranker/split_dev.py "$D/scifact/qrels/train.tsv" "$W"    # $W/train.tsv, $W/dev.tsv
for c in $COLLECTIONS; do
  qrels="$D/$c/qrels/train.tsv"; [ "$c" = scifact ] && qrels="$W/train.tsv"
  missing=""; [ "$c" = cranfield ] && missing="--skip-missing-documents"
  $TRAIN --index "$W/idx/$c" --queries "$D/$c/queries.jsonl" --qrels "$qrels" --write-mined "$W/$c.jsonl" --mine-only $missing
done

mined=""; for c in $COLLECTIONS; do mined="$mined --mined $W/$c.jsonl"; done
$TRAIN --base minilm --keep-trained --index "$W/idx/scifact" $mined --queries "$D/scifact/queries.jsonl" --dev-qrels "$W/dev.tsv" \
  --max-dev-queries 81 --eval-every 150 --output "$W/model" --epochs 1 --seed 42 --device cpu

for c in $COLLECTIONS; do
  $HOST eval --index "$W/idx/$c" --queries "$D/$c/queries.jsonl" --qrels "$D/$c/qrels/test.tsv" \
    --reranker "$W/model" --score-mode replace --candidates 100 --device cpu --json > "$W/eval-$c.json"
done
rm -rf models/default-reranker
$HOST model convert-fp16 --input "$W/model" --output models/default-reranker
