#!/usr/bin/env python3
"""Interpolation curves of several cross-encoder runs over several dev sets, and their mean.

    python3 eval/passages/weights_by_set.py OUT "first select1" scifact=DEV_QRELS cranfield=QRELS ...

OUT holds NAME-hybrid.run and NAME-SETTING.run per dev set (eval/passages/select-dev.sh). For each setting and weight w
in 0, 0.05, ..., 1 it prints nDCG@10 of (1 - w) * minmax(hybrid) + w * minmax(cross-encoder) per dev set (the rule of
eval/hybrid/tune_reranker.py, whose functions it uses) and the mean over the sets; w = 1 is the cross-encoder alone.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hybrid"))
from tune_reranker import interpolated_ndcg10, read_qrels, read_run  # noqa: E402


def main(out, settings, specs):
    weights = [step / 20 for step in range(21)]
    sets = [spec.split("=", 1) for spec in specs]
    for setting in settings.split():
        curves = {}
        for name, q in sets:
            qrels, first, ce = read_qrels(q), read_run(f"{out}/{name}-hybrid.run"), read_run(f"{out}/{name}-{setting}.run")
            curves[name] = [interpolated_ndcg10(qrels, first, ce, w) for w in weights]
        print(f"== {setting}: nDCG@10 per dev set ({', '.join(name for name, _ in sets)}) and mean")
        for i, w in enumerate(weights):
            values = [curves[name][i] for name, _ in sets]
            print(f"w={w:.2f} " + " ".join(f"{v:.4f}" for v in values) + f"  mean {sum(values) / len(values):.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
