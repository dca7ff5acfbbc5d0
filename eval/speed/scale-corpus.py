#!/usr/bin/env python3
"""Synthetic BEIR-style corpus for the cost-against-size benchmark (issue 15, goal 4).

    scale-corpus.py N OUT.jsonl [SEED] [DATASETS]

Reads every DATASETS/*/corpus.jsonl in place (default /work/shared/datasets; never copied) and pools their
sentences (text split after '.', '!' or '?' followed by a space) and their non-empty titles. Document i of the
output (id "s<i>") copies the shape of a real non-empty document drawn uniformly at random: its title is a random real
title if the drawn document has one (else empty), and its text has as many sentences as the drawn document's,
each drawn uniformly from the pool. So document lengths follow the pooled corpora's length distribution and
term frequencies follow their sentence-level frequencies; the vocabulary is the pooled corpora's (it does not
grow with N as a real collection's would). Seeded (random.Random(SEED)), so the first M documents of an
N-document corpus are the M-document corpus.
"""
import glob
import json
import os
import random
import re
import sys


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    datasets = sys.argv[4] if len(sys.argv) > 4 else "/work/shared/datasets"
    split = re.compile(r"(?<=[.!?])\s+")
    shapes, sentences, titles = [], [], []
    for path in sorted(glob.glob(os.path.join(datasets, "*", "corpus.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                doc = json.loads(line)
                title = (doc.get("title") or "").strip()
                parts = [s for s in split.split((doc.get("text") or "").strip()) if s]
                if title or parts:  # a real document with neither is not a shape to copy
                    shapes.append((bool(title), len(parts)))
                sentences.extend(parts)
                if title:
                    titles.append(title)
    if not shapes or not sentences:
        sys.exit(f"scale-corpus.py: no documents under {datasets}/*/corpus.jsonl")
    rng = random.Random(seed)
    tmp = out + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        for i in range(n):
            has_title, count = shapes[rng.randrange(len(shapes))]
            title = titles[rng.randrange(len(titles))] if has_title else ""
            text = " ".join(sentences[rng.randrange(len(sentences))] for _ in range(count))
            f.write(json.dumps({"_id": f"s{i}", "title": title, "text": text}, ensure_ascii=False))
            f.write("\n")
    os.replace(tmp, out)
    print(f"{out}: {n} documents from {len(shapes)} real documents, {len(sentences)} sentences, {len(titles)} titles", file=sys.stderr)


if __name__ == "__main__":
    main()
