#!/usr/bin/env python3
"""Split a BEIR train qrels file into train and dev parts by query (seeded, deterministic).

The default reranker is trained on several collections pooled together, so validation needs an
explicit dev file of one index (rerank-train --dev-qrels). This script holds out a fraction of
SciFact's *train* queries for it; test queries are never touched.

    python3 eval/default-reranker/split_dev.py ../shared/datasets/scifact/qrels/train.tsv OUT_DIR

writes OUT_DIR/train.tsv and OUT_DIR/dev.tsv (same header, lines in input order).
"""
import random
import sys


def main(qrels_path: str, out_dir: str, fraction: float = 0.1, seed: int = 42) -> None:
    with open(qrels_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header, rows = lines[0], [l for l in lines[1:] if l.strip()]
    ids = sorted({r.split("\t")[0] for r in rows})
    dev = set(random.Random(seed).sample(ids, round(len(ids) * fraction)))
    for name, keep in (("train.tsv", lambda q: q not in dev), ("dev.tsv", lambda q: q in dev)):
        with open(f"{out_dir}/{name}", "w", encoding="utf-8", newline="\n") as out:
            out.write(header + "\n")
            out.writelines(r + "\n" for r in rows if keep(r.split("\t")[0]))
    print(f"{len(ids) - len(dev)} train and {len(dev)} dev queries (seed {seed}, fraction {fraction})", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
