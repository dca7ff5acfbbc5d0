#!/usr/bin/env bash
# Issue 9 probe on SciFact: fine-tune the bundled bi-encoder on SciFact's train split minus the 81 dev queries of
# eval/default-reranker/split_dev.py (seed 42, fraction 0.1), re-index with it, and compare dense and hybrid nDCG@10
# on those 81 dev queries (never the test split) with the bundled vectors, no reranker. All steps are in dev.sh.
#
#   eval/embedder-finetune/scifact-dev.sh BASE_INDEX OUT [STAGES]
#   e.g. eval/embedder-finetune/scifact-dev.sh /work/cache/s4/hp/idx/scifact .work/embft
#
# BASE_INDEX: SciFact indexed with the defaults (`search-host index --corpus scifact/corpus.jsonl --index DIR`:
# bundled vectors, MaxP passages 128/64); only read. STAGES: see dev.sh (default "split train index eval").
set -euo pipefail
exec "$(dirname "$0")/dev.sh" scifact "$1" "$2" 0.1 "${3:-split train index eval}"
