#!/usr/bin/env python3
"""Tune the cross-encoder's interpolation weight over a first stage, on dev runs only.

    python3 eval/hybrid/tune_reranker.py QRELS FIRST_STAGE.run CROSS_ENCODER.run

FIRST_STAGE.run holds the candidates with their first-stage scores (e.g. `eval --hybrid-run` at
depth --candidates), CROSS_ENCODER.run the same candidates with cross-encoder scores
(`eval --score-mode replace --reranked-run`). For each weight w in 0, 0.05, ..., 1 the score is
(1 - w) * minmax(first stage) + w * minmax(cross-encoder) per query (ScoreCombiner's rule), ranked
with ties by document id descending (trec_eval's rule), and nDCG@10 (trec_eval's ndcg_cut.10: linear
gains, log2(rank + 1), ideal from all judgments) is averaged over every judged query. Prints the grid
and the best weight (ties go to the smaller weight: the first stage is the safer default).
"""
import math
import sys
from collections import defaultdict


def read_run(path):
    run = defaultdict(dict)
    for line in open(path, encoding="utf-8"):
        q, _, d, _, s, _ = line.split()
        run[q][d] = float(s)
    return run


def read_qrels(path):
    qrels = defaultdict(dict)
    for line in open(path, encoding="utf-8"):
        cols = line.split()
        if cols[0] == "query-id":
            continue
        q, d, r = (cols[0], cols[1], cols[2]) if len(cols) == 3 else (cols[0], cols[2], cols[3])
        qrels[q][d] = int(r)
    return qrels


def ndcg10(ranked, judged):
    dcg = sum(max(judged.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def minmax(scores):
    lo, hi = min(scores.values()), max(scores.values())
    return {d: (s - lo) / (hi - lo) if hi > lo else 0.0 for d, s in scores.items()}


def interpolated_ndcg10(qrels, first, ce, w):
    """Mean nDCG@10 over the judged queries of (1 - w) * minmax(first) + w * minmax(ce) per query."""
    total = 0.0
    for q, judged in qrels.items():
        if q not in first:
            continue
        f, c = minmax(first[q]), minmax({d: ce[q][d] for d in first[q]})
        final = {d: (1 - w) * f[d] + w * c[d] for d in first[q]}
        # Score descending, then document id descending (the sort is stable: sort by id first).
        ranked = sorted(sorted(final, reverse=True), key=lambda d: -final[d])
        total += ndcg10(ranked, judged)
    return total / len(qrels)


def main(qrels_path, first_path, ce_path):
    qrels, first, ce = read_qrels(qrels_path), read_run(first_path), read_run(ce_path)
    grid = []
    for step in range(21):
        w = step / 20
        grid.append((w, interpolated_ndcg10(qrels, first, ce, w)))
        print(f"w={w:.2f} nDCG@10={grid[-1][1]:.4f}")
    best = max(grid, key=lambda p: (round(p[1], 12), -p[0]))
    print(f"best w={best[0]:.2f} nDCG@10={best[1]:.4f} over {len(qrels)} dev queries")


if __name__ == "__main__":
    main(*sys.argv[1:4])
