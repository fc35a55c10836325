"""Benchmark: precision, recall, time and memory of comment grouping on a generated corpus.

.venv/bin/python -m bench.grouping --size 100000                  # form letters (issue 24)
.venv/bin/python -m bench.grouping --size 100000 --corpus simple  # the first corpus
.venv/bin/python -m bench.grouping --size 10000 --out bench/results/grouping-letters-10000.json

Precision and recall are pairwise (pair_scores). On the form-letter corpus they are given
over all comments, over the comments that are not paraphrases, and for the paraphrased
letters alone (the share of them in their campaign's group). Time and peak memory are of
the grouping (and of the topics of the comments left over) in this process; the machine's
load average is recorded because it is shared with other work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from collections import Counter
from datetime import date

from app.public_comment.grouping import DEFAULT_THRESHOLD, group, pair_scores, topics
from bench import corpus as simple_corpus
from bench import letters


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--corpus", choices=["letters", "simple"], default="letters")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", help="also write the result to this JSON file")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.corpus == "letters":
        made = letters.generate(args.size, seed=args.seed or 24)
        texts, truth, paraphrased = made.texts, made.truth, made.paraphrased
    else:
        texts, truth = simple_corpus.generate(args.size, seed=args.seed or 7)
        paraphrased = [False] * len(texts)
    generated = time.perf_counter() - started
    memory_before = _peak_mb()
    load_before = os.getloadavg()
    started = time.perf_counter()
    grouping = group(texts, threshold=args.threshold)
    seconds = time.perf_counter() - started
    grouping_peak = _peak_mb()
    precision, recall = pair_scores(truth, grouping.labels)
    keep = [i for i, para in enumerate(paraphrased) if not para]
    plain_precision, plain_recall = pair_scores(
        [truth[i] for i in keep], [grouping.labels[i] for i in keep]
    )
    # A paraphrased letter is found when it is in the group most of its campaign is in.
    majority = {}
    for t, members in _by_truth(truth, keep).items():
        majority[t] = Counter(grouping.labels[i] for i in members).most_common(1)[0][0]
    reworded = [i for i, para in enumerate(paraphrased) if para]
    found = sum(1 for i in reworded if grouping.labels[i] == majority.get(truth[i]))
    kinds = Counter(r.kind for r in grouping.reasons if r is not None)
    grouped = {i for members in grouping.groups().values() for i in members}
    rest = [text for i, text in enumerate(texts) if i not in grouped]
    started = time.perf_counter()
    found_topics = topics(rest)
    topic_seconds = time.perf_counter() - started
    result = {
        "corpus": args.corpus,
        "comments": args.size,
        "threshold": args.threshold,
        "seconds": round(seconds, 2),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "precision_without_paraphrases": round(plain_precision, 4),
        "recall_without_paraphrases": round(plain_recall, 4),
        "paraphrased_letters": len(reworded),
        "paraphrased_letters_in_their_campaign": round(found / len(reworded), 4)
        if reworded
        else None,
        "reasons": dict(sorted(kinds.items())),
        "peak_memory_mb": round(grouping_peak),
        "peak_memory_mb_before_grouping": round(memory_before),
        "groups": len(grouping.groups()),
        "outside_groups": len(rest),
        "topic_seconds": round(topic_seconds, 2),
        "peak_memory_mb_with_topics": round(_peak_mb()),
        "topics": [" / ".join(terms) for terms in found_topics.terms],
        "outside_topics": found_topics.labels.count(-1),
        "generation_seconds": round(generated, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "date": date.today().isoformat(),
        },
        "command": f"python -m bench.grouping --size {args.size} --corpus {args.corpus}",
    }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text + "\n")


def _by_truth(truth: list[int], among: list[int]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for i in among:
        members.setdefault(truth[i], []).append(i)
    return members


if __name__ == "__main__":
    main()
