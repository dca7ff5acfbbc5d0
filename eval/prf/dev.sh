#!/usr/bin/env bash
# Pseudo-relevance feedback (RM3 for BM25, Rocchio for dense) in the hybrid first stage, on dev sets only: SciFact's dev
# split (81 train queries held out by eval/default-reranker/split_dev.py) and the train splits of the five classic
# collections, over indexes built by the current default (eval/hybrid/run.sh). Prints the grid and the leave-one-dev-set-out
# estimate (rerank-bench --sections prf).
#
#   eval/prf/dev.sh IDX OUT [DATASETS]    (IDX holds scifact, cranfield, cisi, med, cacm and lisa; DATASETS defaults to ../shared/datasets)
set -euo pipefail
cd "$(dirname "$0")/../.."
IDX=$(cd "$1" && pwd)
OUT=$2
D=$(cd "${3:-../shared/datasets}" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
python3 eval/default-reranker/split_dev.py "$D/scifact/qrels/train.tsv" "$OUT"
sets="scifact=$IDX/scifact=$D/scifact/queries.jsonl=$OUT/dev.tsv"
for c in cranfield cisi med cacm lisa; do sets="$sets;$c=$IDX/$c=$D/$c/queries.jsonl=$D/$c/qrels/train.tsv"; done
dotnet build benchmarks/Rerank.Benchmarks -c Release -v quiet -nologo
uptime
dotnet benchmarks/Rerank.Benchmarks/bin/Release/net10.0/rerank-bench.dll --sections prf --threads 1 --dev-sets "$sets" --out "$OUT/prf.md"
uptime
