"""Benchmark: precision, recall, time and memory of comment grouping on a generated corpus.

.venv/bin/python -m bench.grouping --size 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from app.public_comment.grouping import group, pair_scores, topics
from bench.corpus import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--threshold", type=float, default=0.75)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts, truth = generate(args.size, seed=args.seed)
    started = time.perf_counter()
    grouping = group(texts, threshold=args.threshold)
    seconds = time.perf_counter() - started
    precision, recall = pair_scores(truth, grouping.labels)
    grouped = {i for members in grouping.groups().values() for i in members}
    rest = [text for i, text in enumerate(texts) if i not in grouped]
    started = time.perf_counter()
    found = topics(rest)
    topic_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "comments": args.size,
                "threshold": args.threshold,
                "seconds": round(seconds, 2),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "peak_memory_mb": round(peak_mb),
                "groups": len(grouping.groups()),
                "outside_groups": len(rest),
                "topic_seconds": round(topic_seconds, 2),
                "topics": [" / ".join(terms) for terms in found.terms],
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
