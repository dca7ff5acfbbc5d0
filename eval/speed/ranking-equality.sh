#!/usr/bin/env bash
# Issue 15, goal 1: does a precision rank like fp32? For each collection, `search-host eval` with the default
# reranker (hybrid first stage, top 100) once per precision, --score-mode replace so one run gives both the
# cross-encoder alone ("reranked") and the default pipeline ("interpolated", the model's stored weight) from
# the same scores; then |delta nDCG@10| against fp32 for both.
#
#   eval/speed/ranking-equality.sh OUT_DIR [PRECISION...]      (default precisions: fp32 int8)
#
# Environment: DATASETS (default /work/shared/datasets), SCIFACT_IDX, CLASSIC_IDX (index folders with vectors,
# read only), COLLECTIONS (default "scifact cisi med cacm"), SCIFACT_QUERIES (seeded subset size; 0 = all 300),
# SEED (default 15), NICE (default 10). Reads the indexes, never writes into them. Also writes each run's hybrid
# candidates (C.P.hybrid.run) and cross-encoder scores (C.P.ce.run) for eval/hybrid/tune_reranker.py and trec-eval.
set -euo pipefail
out=${1:?usage: ranking-equality.sh OUT_DIR [PRECISION...]}
shift
precisions=("$@")
[ $# -eq 0 ] && precisions=(fp32 int8)
here=$(cd "$(dirname "$0")/../.." && pwd)
datasets=${DATASETS:-/work/shared/datasets}
scifact_idx=${SCIFACT_IDX:-/work/cache/dense-work/hybrid/idx/scifact}
classic_idx=${CLASSIC_IDX:-/work/cache/dense-work/hybrid-classic/idx}
collections=${COLLECTIONS:-scifact cisi med cacm}
subset=${SCIFACT_QUERIES:-60}
seed=${SEED:-15}
mkdir -p "$out"
. "$here/eval/programs.sh" && programs "$out" host
host=(dotnet "$out/host/search-host.dll")

for c in $collections; do
  if [ "$c" = scifact ]; then idx=$scifact_idx; else idx=$classic_idx/$c; fi
  qrels=$datasets/$c/qrels/test.tsv
  if [ "$c" = scifact ] && [ "$subset" -gt 0 ]; then
    # A seeded subset of the judged test queries (the header line stays).
    python3 - "$qrels" "$subset" "$seed" > "$out/$c.qrels.tsv" <<'PY'
import random, sys
lines = open(sys.argv[1]).read().splitlines()
header, rows = lines[0], lines[1:]
ids = sorted({r.split('\t')[0] for r in rows})
keep = set(random.Random(int(sys.argv[3])).sample(ids, int(sys.argv[2])))
print(header)
for r in rows:
    if r.split('\t')[0] in keep: print(r)
PY
    qrels=$out/$c.qrels.tsv
  fi
  for p in "${precisions[@]}"; do
    echo "[$(date -u +%H:%M:%S)] $c $p" >&2
    start=$(date +%s)
    nice -n "${NICE:-10}" "${host[@]}" eval --index "$idx" --queries "$datasets/$c/queries.jsonl" --qrels "$qrels" \
      --reranker "$here/models/default-reranker" --candidates 100 --precision "$p" --score-mode replace --json \
      --hybrid-run "$out/$c.$p.hybrid.run" --reranked-run "$out/$c.$p.ce.run" --overwrite \
      > "$out/$c.$p.json" 2> "$out/$c.$p.log"
    echo "$(( $(date +%s) - start ))" > "$out/$c.$p.seconds"
  done
done

python3 - "$out" "$collections" "${precisions[@]}" <<'PY'
import json, sys, os
out, collections, precisions = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
print("| collection | queries | precision | engine | nDCG@10 CE alone | delta vs fp32 | nDCG@10 default pipeline | delta vs fp32 | eval seconds |")
print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
worst = 0.0
for c in collections:
    ref = json.load(open(f"{out}/{c}.fp32.json")) if os.path.exists(f"{out}/{c}.fp32.json") else None
    for p in precisions:
        r = json.load(open(f"{out}/{c}.{p}.json"))
        ce, ip = r["reranked"]["ndcg@10"], r["interpolated"]["ndcg@10"]
        d1 = ce - ref["reranked"]["ndcg@10"] if ref else float("nan")
        d2 = ip - ref["interpolated"]["ndcg@10"] if ref else float("nan")
        if p != "fp32": worst = max(worst, abs(d1), abs(d2))
        secs = open(f"{out}/{c}.{p}.seconds").read().strip()
        print(f"| {c} | {r['queries']} | {p} | {r.get('engine','?')} | {ce:.5f} | {d1:+.5f} | {ip:.5f} | {d2:+.5f} | {secs} |")
print()
print(f"Largest |delta nDCG@10| against fp32: {worst:.5f} (goal <= 0.002: {'met' if worst <= 0.002 else 'MISSED'}).")
PY
