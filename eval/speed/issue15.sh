#!/usr/bin/env bash
# Issue 15 in one command (outside CI): every speed goal measured from a clean clone, each section's verdict line in
# one report. Goal 1: the default CPU path and int8/bf16 against ONNX Runtime fp32 (rerank-bench engines, with score
# agreement) and whether each precision ranks like fp32 (eval/speed/ranking-equality.sh: nDCG@10 of the cross-encoder
# alone and of the default pipeline per precision). Goal 2: the dense embedder's engines (rerank-bench embedder).
# Goal 3: the CUDA path, only where `nvidia-smi` sees a GPU: 200 SciFact pairs scored with --device cuda and --device cpu.
# Goal 4: cost against corpus size (eval/speed/scale.sh). Goal 5: the training update against the same-run matmul
# ceiling (rerank-bench training). About 70-90 minutes on 2 idle cores with the defaults, most of it scale.sh's
# 1M-document build and the SciFact index; SIZES="10000 100000" and SCIFACT_QUERIES=50 make it about 35.
#
#   eval/speed/issue15.sh [OUT_DIR]       (default .work/issue15; writes OUT_DIR/report.md)
#
# Environment: DATASETS (the BEIR folders scifact, cisi, med and cacm; default ../shared/datasets beside the clone),
# COLLECTIONS (those of ranking equality, default "scifact cisi med cacm"; without IDX only these are indexed), IDX (indexes with vectors per collection, e.g. the WORK/idx of
# eval/hybrid/run.sh; default: built under OUT_DIR/hybrid/idx), SCIFACT_QUERIES (seeded subset for ranking equality,
# 0 = all 300; default 0), SIZES (scale.sh's corpus sizes), ROUNDS (benchmark rounds, default 5), SKIP (sections to
# leave out, any of: engines equality embedder gpu scale training).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
usage="usage: eval/speed/issue15.sh [OUT_DIR]   (environment: DATASETS, COLLECTIONS, IDX, SCIFACT_QUERIES, SIZES, ROUNDS, SKIP; see the header of this script and docs/BENCHMARKS.md)"
case "${1:-}" in -h|--help) echo "$usage"; exit 0 ;; -*) echo "issue15.sh: unknown option $1. $usage" >&2; exit 2 ;; esac
[ $# -le 1 ] || { echo "issue15.sh: one OUT_DIR at most. $usage" >&2; exit 2; }
target=${1:-$here/.work/issue15}
if [ -e "$target" ] && [ ! -d "$target" ]; then echo "issue15.sh: OUT_DIR $target is a file; choose a folder." >&2; exit 2; fi
out=$(mkdir -p "$target" && cd "$target" && pwd)
datasets=${DATASETS:-$here/../shared/datasets}
if [ ! -f "$datasets/scifact/corpus.jsonl" ]; then
  echo "issue15.sh: no datasets at $datasets (expected BEIR folders scifact, cisi, med, cacm there): set DATASETS=/path/to/datasets." >&2
  exit 2
fi
datasets=$(cd "$datasets" && pwd)
collections=${COLLECTIONS:-scifact cisi med cacm}
for c in $collections; do
  [ -f "$datasets/$c/corpus.jsonl" ] || { echo "issue15.sh: COLLECTIONS names $c, and $datasets/$c/corpus.jsonl does not exist." >&2; exit 2; }
done
for s in ${SKIP:-}; do
  case "$s" in engines|equality|embedder|gpu|scale|training) ;;
    *) echo "issue15.sh: SKIP names '$s'; the sections are engines equality embedder gpu scale training (separated by spaces)." >&2; exit 2 ;; esac
done
rounds=${ROUNDS:-5}
skip=" ${SKIP:-} "
report=$out/report.md
log() { echo "[$(date -u +%H:%M:%S)] $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2; }
wanted() { [[ "$skip" != *" $1 "* ]]; }
# Ctrl-C, or SIGTERM to this script alone, stops the step that runs and every process under it (the .NET programs exit
# 130 with nothing half-written), then this script, with 130. Steps run in the background (step) so that the trap runs
# at once instead of after the step.
descendants() { local c; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$c"; echo "$c"; done; }
exec 3>&2  # the script's own stderr, for the trap (it runs inside the step's redirections)
stop() { trap '' INT TERM; log "interrupted: stopping the running step" 2>&3; kill -TERM $(descendants $$) 2>/dev/null || true; wait || true; exit 130; }
trap stop INT TERM
# A failed step ends the script (set -e): say which log holds why, with its last lines.
failed() {
  local rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || {
    local newest; newest=$(ls -t "$out"/*.log "$out"/*/*.txt 2>/dev/null | head -1 || true)
    echo "issue15.sh: a step failed (exit $rc)${newest:+; the end of $newest:}" >&2
    [ -z "$newest" ] || tail -5 "$newest" >&2
  }
}
trap failed EXIT
step() { "$@" & wait $!; }

cd "$here"
dotnet build SearchRerank.sln -c Release -v q -nologo >/dev/null
dotnet build benchmarks/Rerank.Benchmarks -c Release -v q -nologo >/dev/null
bench=(dotnet "$here/benchmarks/Rerank.Benchmarks/bin/Release/net10.0/rerank-bench.dll" --scifact "$datasets/scifact")
{
  echo "# Issue 15, measured $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)"
  echo
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores; load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} > "$report"

if wanted engines; then
  log "goal 1: engines"
  step "${bench[@]}" --sections engines --batches 16 --rounds "$rounds" --queries 10 --engines-bf16 --out "$out/engines.md" > "$out/engines.log" 2>&1
  cat "$out/engines.md" >> "$report"; echo >> "$report"
fi
if wanted equality; then
  idx=${IDX:-}
  if [ -z "$idx" ]; then
    log "goal 1: indexes for ranking equality ($collections, default settings)"
    COLLECTIONS="$collections" step "$here/eval/hybrid/run.sh" "$datasets" "$out/hybrid" > "$out/hybrid.log" 2>&1
    idx=$out/hybrid/idx
  fi
  log "goal 1: ranking equality fp32 / int8 / bf16"
  { echo "## Goal 1: ranking equality (eval/speed/ranking-equality.sh, default reranker over the hybrid top 100)"; echo; } >> "$report"
  SCIFACT_IDX=$idx/scifact CLASSIC_IDX=$idx DATASETS=$datasets COLLECTIONS=$collections SCIFACT_QUERIES=${SCIFACT_QUERIES:-0} NICE=0 \
    step "$here/eval/speed/ranking-equality.sh" "$out/equality" fp32 int8 bf16 > "$out/equality.md" 2> "$out/equality.log"
  cat "$out/equality.md" >> "$report"; echo >> "$report"
fi
if wanted embedder; then
  log "goal 2: embedder"
  step "${bench[@]}" --sections embedder --rounds "$rounds" --out "$out/embedder.md" > "$out/embedder.log" 2>&1
  cat "$out/embedder.md" >> "$report"; echo >> "$report"
fi
if wanted gpu; then
  { echo "## Goal 3: CUDA (the same pairs scored on cuda and on the CPU, limit 1e-4)"; echo; } >> "$report"
  cuda_lib=$here/src/Search.Host/bin/Release/net10.0/runtimes/linux-x64/native/libtorch_cuda.so
  if command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1 && [ ! -e "$cuda_lib" ]; then
    nvidia-smi -L >> "$report"
    echo "Not run: a GPU is here, but this build carries the CPU libtorch (no $cuda_lib). Replace libtorch-cpu-linux-x64 with libtorch-cuda-12.8-linux-x64 (same version) as README's \"GPU\" section says, rebuild and run this again. The CUDA path stays unverified." >> "$report"
  elif command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1; then
    log "goal 3: scores on cuda vs cpu"
    nvidia-smi -L >> "$report"
    # 200 SciFact pairs: each of the first 100 test judgments (query, judged document) and (query, the next document).
    python3 - "$datasets/scifact" > "$out/pairs.jsonl" <<'PY'
import json, sys
d = sys.argv[1]
queries = {q["_id"]: q["text"] for q in map(json.loads, open(f"{d}/queries.jsonl"))}
docs = [json.loads(line) for line in open(f"{d}/corpus.jsonl")]
text = {x["_id"]: (x.get("title", "") + " " + x["text"]).strip() for x in docs}
ids = [x["_id"] for x in docs]
rows = [r.split("\t") for r in open(f"{d}/qrels/test.tsv").read().splitlines()[1:101]]
for q, doc, _ in rows:
    for other in (doc, ids[(ids.index(doc) + 1) % len(ids)]):
        print(json.dumps({"query": queries[q], "document": text[other]}))
PY
    host=(dotnet "$here/src/Search.Host/bin/Release/net10.0/search-host.dll" score --reranker "$here/models/default-reranker" --pairs "$out/pairs.jsonl" --precision fp32)
    if step "${host[@]}" --device cpu > "$out/scores-cpu.txt" 2> "$out/cuda.log" && step "${host[@]}" --device cuda > "$out/scores-cuda.txt" 2>> "$out/cuda.log"; then
      python3 - "$out/scores-cpu.txt" "$out/scores-cuda.txt" >> "$report" <<'PY'
import sys
a = [float(x) for x in open(sys.argv[1])]
b = [float(x) for x in open(sys.argv[2])]
diff = max(abs(x - y) for x, y in zip(a, b))
print(f"{len(a)} pairs, max |cuda - cpu| = {diff:.2e}: {'within' if len(a) == len(b) and diff <= 1e-4 else 'NOT within'} 1e-4")
PY
    else
      echo "FAILED: \`search-host score --device cuda\` did not run; its messages: $(tail -5 "$out/cuda.log" | tr '\n' ' ')" >> "$report"
    fi
  else
    echo "Not run: no GPU here (\`nvidia-smi\` finds none). The CUDA path stays unverified on this machine." >> "$report"
  fi
  echo >> "$report"
fi
if wanted scale; then
  log "goal 4: cost against corpus size"
  step "$here/eval/speed/scale.sh" "$out/scale" > "$out/scale.log" 2>&1
  cat "$out/scale/report.md" >> "$report"; echo >> "$report"
fi
if wanted training; then
  log "goal 5: training throughput"
  step "${bench[@]}" --sections training --rounds "$rounds" --out "$out/training.md" > "$out/training.log" 2>&1
  cat "$out/training.md" >> "$report"; echo >> "$report"
fi
echo "Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$report"
log "wrote $report"
grep -E '^\*\*Goal|^Largest \|delta|^Not run|pairs, max|^FAILED' "$report" || true
