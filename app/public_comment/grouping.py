"""Grouping identical and near-identical comments (organised campaigns).

Japanese has no spaces between words, so similarity is measured on character 3-grams of a
normalised text (NFKC folds full-width and half-width forms; case, white space and punctuation
are dropped). Exact duplicates share a normalised text. Near-duplicates are found with MinHash
signatures and locality-sensitive hashing (bands of rows): texts sharing any band are
candidates, and a candidate joins a group when its estimated Jaccard similarity to the group's
first member reaches the threshold. Linking each candidate to the bucket's first member (not to
every other member) keeps the work linear in the number of comments even when a campaign sends
tens of thousands of copies. Signatures are computed with numpy over all texts at once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

SHINGLE = 3
NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: texts at Jaccard 0.7 share a band with probability > 0.98
_PRIME = np.uint64((1 << 61) - 1)
_MASK = np.uint64(0xFFFFFFFF)


def normalise(text: str) -> str:
    """NFKC, lower case, without white space, punctuation or symbols."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


@dataclass(frozen=True)
class Reason:
    """Why a text belongs to its group, for staff to see and judge."""

    # "identical" (same text after normalisation), "sentences" (contains the campaign's
    # sentences) or "paraphrase" (reworded: a weaker signal that staff confirm or undo).
    kind: str
    # 1.0 for identical; the share of the campaign's sentences found, or the paraphrase score.
    confidence: float
    # The campaign's sentences found in the text, or the content words shared with it.
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grouping:
    labels: list[int]  # group label per input text; singletons have their own label
    # Per input text: why it joined its group; None for singletons and for a group's anchor.
    reasons: list[Reason | None] = field(default_factory=list)

    def groups(self, min_size: int = 2) -> dict[int, list[int]]:
        members: dict[int, list[int]] = {}
        for index, label in enumerate(self.labels):
            members.setdefault(label, []).append(index)
        return {label: m for label, m in members.items() if len(m) >= min_size}


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _shingle_hashes(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < SHINGLE:
        codes = np.concatenate([codes, np.zeros(SHINGLE - len(codes), dtype=np.uint64)])
    # A polynomial hash of each run of SHINGLE code points, as 32-bit values.
    value = np.zeros(len(codes) - SHINGLE + 1, dtype=np.uint64)
    for offset in range(SHINGLE):
        value = value * np.uint64(1_000_003) + codes[offset : len(codes) - SHINGLE + 1 + offset]
    return np.unique(value & _MASK)


def signatures(texts: Sequence[str], seed: int = 1) -> np.ndarray:
    """MinHash signatures, one row per text (NUM_PERM columns of uint32)."""
    shingles = [_shingle_hashes(t) for t in texts]
    lengths = np.array([len(s) for s in shingles])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.concatenate(shingles) if shingles else np.zeros(0, dtype=np.uint64)
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 31) - 1, size=NUM_PERM, dtype=np.uint64)
    b = rng.integers(0, (1 << 31) - 1, size=NUM_PERM, dtype=np.uint64)
    result = np.empty((len(texts), NUM_PERM), dtype=np.uint32)
    for k in range(NUM_PERM):
        permuted = ((a[k] * flat + b[k]) % _PRIME) & _MASK
        result[:, k] = np.minimum.reduceat(permuted, offsets) if len(flat) else 0
    return result


def group(texts: Sequence[str], threshold: float = 0.75) -> Grouping:
    """Label each text with its group: exact duplicates after normalisation, and near
    duplicates whose estimated Jaccard similarity on character 3-grams reaches threshold."""
    normalised = [normalise(t) for t in texts]
    unique: dict[str, int] = {}
    first_of = [unique.setdefault(n, len(unique)) for n in normalised]
    distinct = list(unique)
    finder = _UnionFind(len(distinct))
    if len(distinct) > 1:
        signature = signatures(distinct)
        rows = NUM_PERM // BANDS
        for band in range(BANDS):
            block = np.ascontiguousarray(signature[:, band * rows : (band + 1) * rows])
            keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
            ends = np.r_[starts[1:], len(order)]
            for start, end in zip(starts, ends, strict=True):
                if end - start < 2:
                    continue
                bucket = order[start:end]
                # Each member against the bucket's first, and against its neighbour in the
                # bucket: linear work, and a chain of close variants still joins up.
                to_anchor = (signature[bucket[1:]] == signature[bucket[0]]).mean(axis=1)
                to_previous = (signature[bucket[1:]] == signature[bucket[:-1]]).mean(axis=1)
                for index in np.flatnonzero(to_anchor >= threshold):
                    finder.union(int(bucket[0]), int(bucket[index + 1]))
                for index in np.flatnonzero(to_previous >= threshold):
                    finder.union(int(bucket[index]), int(bucket[index + 1]))
    return Grouping(labels=[finder.find(index) for index in first_of])


def pair_scores(truth: Sequence[int], predicted: Sequence[int]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping against known groups, from the contingency
    counts (no pair is enumerated, so it works on 100,000 comments)."""
    from collections import Counter

    def pairs(counts: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(Counter(zip(truth, predicted, strict=True)))
    found = pairs(Counter(predicted))
    real = pairs(Counter(truth))
    precision = both / found if found else 1.0
    recall = both / real if real else 1.0
    return precision, recall


def diff_segments(representative: str, text: str) -> list[tuple[str, str]]:
    """How `text` differs from the group's representative, character by character, as
    (kind, text) pairs with kind "same", "added" or "removed", for <ins>/<del> markup."""
    from difflib import SequenceMatcher

    segments: list[tuple[str, str]] = []
    matcher = SequenceMatcher(None, representative, text, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("same", text[b1:b2]))
        if tag in ("delete", "replace"):
            segments.append(("removed", representative[a1:a2]))
        if tag in ("insert", "replace"):
            segments.append(("added", text[b1:b2]))
    return segments


@dataclass(frozen=True)
class Topics:
    labels: list[int]  # cluster per input text
    terms: list[list[str]]  # characteristic terms per cluster


def _is_content(gram: str) -> bool:
    """Japanese-aware without a dictionary: character n-grams made only of hiragana are
    mostly particles and inflections (です, ます, ので), so only n-grams with a kanji,
    katakana, Latin letter or digit count as terms."""
    return any(not ("\u3040" <= ch <= "\u309f") for ch in gram)


def topics(
    texts: Sequence[str], clusters: int | None = None, seed: int = 1, max_terms: int = 3000
) -> Topics:
    """Cluster texts by topic: TF-IDF over content character 2- and 3-grams, spherical k-means
    (k-means++ start, fixed seed, so the same comments give the same topics)."""
    from collections import Counter

    normalised = [normalise(t) for t in texts]
    grams_per_text = [
        Counter(
            g
            for n in (2, 3)
            for g in (text[i : i + n] for i in range(len(text) - n + 1))
            if _is_content(g)
        )
        for text in normalised
    ]
    size = len(texts)
    if size < 2:
        return Topics(labels=[0] * size, terms=[[]] if size else [])
    frequency = Counter(g for grams in grams_per_text for g in grams)
    vocabulary = [g for g, df in frequency.most_common() if 2 <= df <= max(2, size // 2)]
    vocabulary = vocabulary[:max_terms]
    index = {g: i for i, g in enumerate(vocabulary)}
    matrix = np.zeros((size, len(vocabulary)), dtype=np.float32)
    for row, grams in enumerate(grams_per_text):
        for gram, count in grams.items():
            column = index.get(gram)
            if column is not None:
                matrix[row, column] = 1 + np.log(count)
    idf = np.log(size / np.array([frequency[g] for g in vocabulary], dtype=np.float32))
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    k = clusters or int(min(12, max(2, round((size / 40) ** 0.5 * 2))))
    k = min(k, size)
    rng = np.random.default_rng(seed)
    centres = [matrix[rng.integers(size)]]
    for _ in range(1, k):  # k-means++: far points are likelier starts
        distance = 1 - np.max(matrix @ np.array(centres).T, axis=1)
        distance = np.clip(distance, 0, None)
        total = distance.sum()
        pick = rng.choice(size, p=distance / total) if total > 0 else rng.integers(size)
        centres.append(matrix[pick])
    centre_matrix = np.array(centres)
    labels = np.zeros(size, dtype=int)
    for _ in range(15):
        labels = np.argmax(matrix @ centre_matrix.T, axis=1)
        for cluster in range(k):
            members = matrix[labels == cluster]
            if len(members):
                centre = members.sum(axis=0)
                centre_matrix[cluster] = centre / (np.linalg.norm(centre) or 1)
    terms = []
    for cluster in range(k):
        weights = centre_matrix[cluster]
        best = [vocabulary[i] for i in np.argsort(-weights)[:15] if weights[i] > 0]
        sample = [normalised[i] for i in np.flatnonzero(labels == cluster)[:200]]
        terms.append(_phrases(best, sample)[:4])
    return Topics(labels=[int(label) for label in labels], terms=terms)


def _phrases(grams: list[str], sample: list[str]) -> list[str]:
    """Join overlapping n-grams into phrases (災害時 + 害時の → 災害時の), strongest first;
    a join is kept only if the phrase occurs in one of the cluster's texts."""

    def real(text: str) -> bool:
        return any(text in member for member in sample)

    phrases: list[str] = []
    pool = list(grams)
    while pool:
        phrase = pool.pop(0)
        grown = True
        while grown:
            grown = False
            for gram in list(pool):
                if phrase.endswith(gram[:-1]) and real(phrase + gram[-1]):
                    phrase += gram[-1]
                elif phrase.startswith(gram[1:]) and real(gram[0] + phrase):
                    phrase = gram[0] + phrase
                elif gram not in phrase:
                    continue
                pool.remove(gram)
                grown = True
        if not any(phrase in other for other in phrases):
            phrases.append(phrase)
    return phrases
