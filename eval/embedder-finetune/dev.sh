#!/usr/bin/env bash
# Issue 9 probe: does fine-tuning the bundled bi-encoder (all-MiniLM-L6-v2) on a collection's train split help the
# dense and hybrid first stages? Holds out FRACTION of the train queries (eval/default-reranker/split_dev.py, seed 42;
# default 0.1: SciFact's 81), trains on the rest, evaluates on the held-out queries only (never the test split), no reranker.
#
#   eval/embedder-finetune/dev.sh COLLECTION BASE_INDEX OUT [FRACTION] [STAGES]
#   e.g. eval/embedder-finetune/dev.sh cranfield /work/cache/s4/hp/idx/cranfield .work/embft-cranfield 0.2
#
# BASE_INDEX: the collection indexed with the defaults (bundled vectors, MaxP passages 128/64); only read (negatives are
# mined from its BM25 ranks 10-100; its bundled vectors are the baseline). OUT gets: train.tsv/dev.tsv, the
# fine-tuned embedder (embedder/), its index (idx-ft/, the same passage defaults), runs, JSON and p-values.
# STAGES (default "split train index eval"): run a subset to resume.
# Builds search-host and rerank-bench and runs copies of them under OUT (eval/programs.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
collection=$1; base=$2; out=$3; fraction=${4:-0.1}; stages=${5:-split train index eval}
datasets=${DATASETS:-../shared/datasets}
threads=${THREADS:-2}
index_args=""; [ "$collection" = cranfield ] && index_args="--skip-empty"   # as eval/hybrid/run.sh: two empty documents
mkdir -p "$out"
. eval/programs.sh && programs "$out" host bench
host="dotnet $out/host/search-host.dll"
bench="dotnet $out/bench/rerank-bench.dll"
stamp() { echo "$(date -u +%H:%M:%S) $1: $(uptime)" >> "$out/times.log"; }

if [[ $stages == *split* ]]; then
  python3 -c "import sys; sys.path.insert(0, 'eval/default-reranker'); import split_dev; split_dev.main(sys.argv[1], sys.argv[2], fraction=float(sys.argv[3]))" \
    "$datasets/$collection/qrels/train.tsv" "$out" "$fraction"
fi
if [[ $stages == *train* ]]; then
  stamp "train start"
  $bench --sections embedder-finetune --threads "$threads" --index "$base" --ft-queries "$datasets/$collection/queries.jsonl" \
    --ft-qrels "$out/train.tsv" --ft-output "$out/embedder" ${FT_ARGS:-} --out "$out/finetune.md" 2> "$out/finetune.err"
  stamp "train end"
fi
if [[ $stages == *index* ]]; then
  stamp "index start"
  $host index --corpus "$datasets/$collection/corpus.jsonl" --index "$out/idx-ft" --embedder "$out/embedder" --threads "$threads" $index_args \
    > "$out/index.out" 2> "$out/index.err"
  stamp "index end"
fi
if [[ $stages == *eval* ]]; then
  for arm in bundled ft; do
    idx=$base; [ $arm = ft ] && idx=$out/idx-ft
    stamp "eval $arm start"
    $host eval --index "$idx" --queries "$datasets/$collection/queries.jsonl" --qrels "$out/dev.tsv" --device cpu --threads "$threads" \
      --no-rerank --json --overwrite --run "$out/$arm.bm25.run" --dense-run "$out/$arm.dense.run" --hybrid-run "$out/$arm.hybrid.run" \
      > "$out/$arm.json" 2> "$out/$arm.err"
    stamp "eval $arm end"
  done
  for stage in dense hybrid; do
    echo "== $stage: bundled vs fine-tuned (p: paired randomization test against bundled)"
    $host trec-eval --qrels "$out/dev.tsv" "$out/bundled.$stage.run" "$out/ft.$stage.run" | tee "$out/$stage.trec-eval.txt"
  done
fi
