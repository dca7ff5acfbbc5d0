#!/usr/bin/env python3
"""Choose the hybrid fusion on dev sets only: RRF (k = 60) against weighted min-max at each dense weight.

    python3 eval/hybrid/choose_fusion.py WORK NAME=QRELS [NAME=QRELS ...]

WORK/NAME-bm25.run, WORK/NAME-dense.run and WORK/NAME-hybrid.run are `search-host eval` runs of one
dev set (`--top 100 --run ... --dense-run ... --hybrid-run ... --fusion rrf`). Min-max fusion is computed
here as HybridSearcher does it: over the union of the BM25 and dense lists, each list's scores min-max
normalised (a document missing from a list gets 0 from it), (1 - w) * BM25 + w * dense. nDCG@10 is
trec_eval's ndcg_cut.10 with ties by document id descending. Prints a table per dev set and the mean
gain over BM25 of each choice; the best mean is the one to ship.
"""
import sys
from tune_reranker import read_run, read_qrels, ndcg10, minmax


def ranked(scores):
    return sorted(sorted(scores, reverse=True), key=lambda d: -scores[d])


def mean_ndcg(qrels, rank_query):
    return sum(ndcg10(rank_query(q), judged) for q, judged in qrels.items()) / len(qrels)


def top_is_one(scores):
    """Min-max normalised; a list whose scores are all equal maps to 1 (as Fusion.WeightedMinMax)."""
    if scores and max(scores.values()) == min(scores.values()):
        return {d: 1.0 for d in scores}
    return minmax(scores) if scores else {}


def minmax_fusion(bm25, dense, w):
    def rank(q):
        b, d = bm25.get(q, {}), dense.get(q, {})
        nb, nd = top_is_one(b), top_is_one(d)
        return ranked({x: (1 - w) * nb.get(x, 0.0) + w * nd.get(x, 0.0) for x in set(b) | set(d)})
    return rank


def main(work, specs):
    weights = [i / 20 for i in range(21)]
    gains = {"rrf": [], **{w: [] for w in weights}}
    print("| dev set | queries | BM25 | RRF (k = 60) | best min-max (dense weight) |")
    print("|---|---:|---:|---:|---:|")
    for spec in specs:
        name, qrels_path = spec.split("=", 1)
        qrels = read_qrels(qrels_path)
        bm25, dense, hybrid = (read_run(f"{work}/{name}-{s}.run") for s in ("bm25", "dense", "hybrid"))
        base = mean_ndcg(qrels, lambda q: ranked(bm25.get(q, {})))
        rrf = mean_ndcg(qrels, lambda q: ranked(hybrid.get(q, {})))
        gains["rrf"].append(rrf - base)
        by_weight = {w: mean_ndcg(qrels, minmax_fusion(bm25, dense, w)) for w in weights}
        for w, v in by_weight.items():
            gains[w].append(v - base)
        best = max(by_weight, key=by_weight.get)
        print(f"| {name} | {len(qrels)} | {base:.4f} | {rrf:.4f} | {by_weight[best]:.4f} ({best:.2f}) |")
    print()
    for key, values in sorted(gains.items(), key=lambda p: -sum(p[1])):
        label = "rrf" if key == "rrf" else f"min-max dense {key:.2f}"
        print(f"{label}: mean gain over BM25 {sum(values) / len(values):+.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
