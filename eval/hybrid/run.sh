#!/usr/bin/env bash
# Hybrid first stage on the public collections: index each collection once (BM25 + document vectors
# from the bundled all-MiniLM-L6-v2), then evaluate BM25, dense and hybrid (RRF, k = 60, over BM25 top
# 100 and dense top 100) on its test split. Prints one table row per collection and writes the raw
# eval JSON and the indexing lines (with embedding docs/s) under WORK. The datasets are read in place,
# never copied. About 15-25 minutes on 2 idle CPU cores, most of it embedding SciFact and LISA, with
# whole-document vectors (measured before passages); the default passages (128 words, stride 64) embed
# about 2.2x the tokens on SciFact (estimated from word counts at 1.5 tokens per word).
#
#   eval/hybrid/run.sh [DATASETS] [WORK]     (defaults: ../shared/datasets, .work/hybrid)
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-../shared/datasets}
W=${2:-.work/hybrid}
COLLECTIONS=${COLLECTIONS:-"scifact cranfield cisi med cacm lisa"}
mkdir -p "$W"
. eval/programs.sh && programs "$W" host
HOST="dotnet $W/host/search-host.dll"

for c in $COLLECTIONS; do
  skip=""; [ "$c" = cranfield ] && skip="--skip-empty"   # cranfield has a document without title or text
  if [ ! -f "$W/idx/$c/searchrerank-index.json" ]; then
    /usr/bin/time -f "%e s wall" $HOST index --corpus "$D/$c/corpus.jsonl" --index "$W/idx/$c" $skip --overwrite > "$W/index-$c.txt" 2>&1
  fi
  $HOST eval --index "$W/idx/$c" --queries "$D/$c/queries.jsonl" --qrels "$D/$c/qrels/test.tsv" --device cpu --json \
    --run "$W/$c-bm25.run" --dense-run "$W/$c-dense.run" --hybrid-run "$W/$c-hybrid.run" > "$W/eval-$c.json"
done

python3 - "$W" $COLLECTIONS <<'PY'
import json, re, sys
w, cols = sys.argv[1], sys.argv[2:]
print("| collection | docs | test queries | BM25 | dense | hybrid | hybrid - BM25 | embed docs/s | ms/query bm25 / dense / hybrid |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for c in cols:
    e = json.load(open(f"{w}/eval-{c}.json"))
    idx = open(f"{w}/index-{c}.txt").read()
    m = re.search(r"Embedded (\d+) documents .* in ([\d.]+) s \(([\d.]+) docs/s\)", idx)
    docs, rate = (m.group(1), m.group(3)) if m else ("?", "?")
    n = lambda k: e[k]["ndcg@10"]
    t = e["ms_per_query"]
    print(f"| {c} | {docs} | {e['queries']} | {n('bm25'):.4f} | {n('dense'):.4f} | {n('hybrid'):.4f} | {n('hybrid') - n('bm25'):+.4f} | {rate} | "
          f"{t['bm25']:.1f} / {t['dense']:.1f} / {t['hybrid']:.1f} |")
PY
