#!/usr/bin/env bash
# Checks that `search-host eval` prints what trec_eval 10.0 computes from the run file it wrote,
# on the test split of every collection in ../shared/datasets (BM25), plus one reranked run.
#
#   eval/trec-eval/check.sh /path/to/trec_eval [work-dir]
#
# trec_eval: build it from usnistgov/trec_eval (`make`). Prints one table row per run:
# ours vs `trec_eval -c` (nDCG@10, MAP, P@10, Recall@100) and `trec_eval -c -M 10 -m recip_rank` (MRR@10).
set -euo pipefail
cd "$(dirname "$0")/../.."
TREC_EVAL=${1:?usage: check.sh /path/to/trec_eval [work-dir]}
WORK=${2:-.work/trec-eval}
DATA=${SEARCHRERANK_DATASETS:-../shared/datasets}
mkdir -p "$WORK"
dotnet build src/Search.Host -c Release -v q -nologo >/dev/null
HOST="dotnet src/Search.Host/bin/Release/net10.0/search-host.dll"

compare() { # name qrels run json-file ranking
  local name=$1 qrels=$2 run=$3 json=$4 ranking=$5
  # BEIR's qrels TSV (header, 3 columns) as trec_eval's qrels (qid 0 docid rel).
  awk -F'\t' 'NR > 1 || $1 != "query-id" { print $1, 0, $2, $3 }' "$qrels" > "$WORK/qrels.trec"
  qrels="$WORK/qrels.trec"
  python3 - "$name" "$json" "$ranking" <(
    "$TREC_EVAL" -c -m ndcg_cut.10 -m map -m P.10 -m recall.100 "$qrels" "$run"
    "$TREC_EVAL" -c -M 10 -m recip_rank "$qrels" "$run") <<'PY'
import json, sys
name, json_file, ranking, te = sys.argv[1:5]
ours = json.load(open(json_file))[ranking]
theirs = {l.split()[0]: float(l.split()[2]) for l in open(te) if l.strip()}
pairs = [("ndcg@10", "ndcg_cut_10"), ("map", "map"), ("p@10", "P_10"), ("recall@100", "recall_100"), ("mrr@10", "recip_rank")]
cells, ok = [], True
for o, t in pairs:
    a, b = round(ours[o] + 1e-12, 4), theirs[t]
    ok &= abs(a - b) < 5e-5
    cells.append(f"{a:.4f} / {b:.4f}")
print(f"| {name} | " + " | ".join(cells) + f" | {'equal' if ok else 'DIFFERENT'} |")
PY
}

echo "| run | nDCG@10 ours / trec_eval | MAP | P@10 | Recall@100 | MRR@10 (-M 10 recip_rank) | |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for c in scifact cacm cisi cranfield lisa med; do
  idx="$WORK/idx-$c"
  extra=()
  [ "$c" = cranfield ] && extra=(--skip-empty)
  [ -f "$idx/searchrerank-index.json" ] || $HOST index --corpus "$DATA/$c/corpus.jsonl" --index "$idx" "${extra[@]}" >/dev/null 2>&1
  $HOST eval --index "$idx" --queries "$DATA/$c/queries.jsonl" --qrels "$DATA/$c/qrels/test.tsv" \
    --run "$WORK/$c.bm25.run" --overwrite --json > "$WORK/$c.bm25.json" 2>/dev/null
  compare "$c BM25" "$DATA/$c/qrels/test.tsv" "$WORK/$c.bm25.run" "$WORK/$c.bm25.json" bm25
done
# One reranked run: med with the default reranker over the default first stage's top 100 (hybrid:
# the index holds document vectors, which `index` computes by default), and BM25 at the same depth.
$HOST eval --index "$WORK/idx-med" --queries "$DATA/med/queries.jsonl" --qrels "$DATA/med/qrels/test.tsv" \
  --reranker models/default-reranker --candidates 100 --score-mode replace \
  --run "$WORK/med.bm25-100.run" --reranked-run "$WORK/med.rerank.run" --overwrite --json > "$WORK/med.rerank.json" 2>/dev/null
compare "med BM25 top 100" "$DATA/med/qrels/test.tsv" "$WORK/med.bm25-100.run" "$WORK/med.rerank.json" bm25
compare "med reranked (hybrid top 100)" "$DATA/med/qrels/test.tsv" "$WORK/med.rerank.run" "$WORK/med.rerank.json" reranked
