#!/usr/bin/env python3
"""Write the interpolated ranking of a first-stage run and a cross-encoder run as a TREC run file.

    python3 eval/hybrid/interpolate_run.py FIRST_STAGE.run CROSS_ENCODER.run WEIGHT OUT.run

The score is (1 - w) * minmax(first stage) + w * minmax(cross-encoder) per query over the first stage's
candidates (ScoreCombiner's rule, as eval/hybrid/tune_reranker.py computes it), so `search-host trec-eval`
can test the pipeline against its first stage (paired randomization test) from one `--score-mode replace` run.
"""
import sys

from tune_reranker import minmax, read_run


def main(first_path, ce_path, weight, out_path):
    w = float(weight)
    first, ce = read_run(first_path), read_run(ce_path)
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        for q in sorted(first):
            f, c = minmax(first[q]), minmax({d: ce[q][d] for d in first[q]})
            final = {d: (1 - w) * f[d] + w * c[d] for d in first[q]}
            ranked = sorted(sorted(final, reverse=True), key=lambda d: -final[d])
            for rank, d in enumerate(ranked, 1):
                out.write(f"{q} Q0 {d} {rank} {final[d]:.9f} interpolated\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])
