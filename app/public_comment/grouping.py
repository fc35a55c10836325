"""Grouping form letters (organised campaigns) and labelling the other comments by topic.

Why sentences, not whole texts. A campaign letter is a template that each sender dresses in
their own way: a greeting before it, a sentence about themselves, a signature block with
their address, age and occupation, a sentence dropped or two swapped, a typo, full-width
digits. Whole-text similarity (3-gram Jaccard) falls with every added character, so a short
template with a long greeting and signature looks unlike itself (issue 24: 79 % recall).
What stays is that the letter *contains* the template's sentences. So:

1. Each letter is cut into sentences after normalisation (NFKC folds width; punctuation and
   white space are dropped; polite and plain endings, です/だ/である and ます/る, are folded to
   one form). Greetings (いつもお世話になっております…), sign-offs, contact lines (住所・氏名・
   年齢・職業, 〒, phone numbers, e-mail) and a trailing signature block are recognised and
   left out of the comparison; the comment itself is not changed.
2. A rare form of a sentence (a typo, a lost character) joins the common form it is close
   to: MinHash over character 3-grams of the unique sentences, banded (LSH), estimated
   Jaccard at least SENTENCE_SIMILARITY and at most SENTENCE_EDIT_GRAMS differing 3-grams.
   Only rare forms join, only common forms are joined, never in chains: two campaigns'
   sentences that differ in one word (another facility's name, 二年/三年) stay apart
   however many typos lie between them. Numpy over all sentences at once.
3. A sentence that occurs in two or more letters is *shared*; a sentence only one writer
   wrote (a personal sentence, an independent comment) is just an extra sentence and costs
   nothing.
4. Templates are found greedily: the letters' sets of shared sentences, most frequent first;
   a set becomes a template unless it is mostly (PART_OF) inside one found before (a letter
   that dropped sentences, or added one shared sentence, is not a new campaign; two
   sentences run together by a lost 「。」 are read as the two). A template needs two
   sentences, MIN_TEMPLATE_CHARS of text and two letters that have exactly that set: one
   writer's mix of stock sentences (reasons offered by a campaign's site) is no campaign.
5. Boilerplate (a citizens' group's paragraph carried by several campaigns, a stock
   sentence) counts in part: after a first assignment by length, each sentence of a
   template weighs its length times the share of its letters that are that template's. A
   letter must also contain half of a template's *distinctive* sentences (OWNED of the
   letters that have them are the template's). Two campaigns sharing a paragraph stay two.
6. A letter joins the template of which it contains the largest weighted share, if that
   share reaches `threshold` (default 0.5: half of the campaign's text, so a dropped
   sentence, a swap or an unmatched typo never splits a campaign), and if most of its own
   shared sentences are the template's. Sentence order does not matter. That share is the
   Reason's confidence and the template's sentences found are shown.
7. Paraphrase, the second signal: letters still outside any campaign are tokenised with a
   Japanese morphological analyser (MeCab through fugashi, with the UniDic dictionary that
   ships in the unidic-lite package, so it runs offline), and compared by content-word
   lemmas (nouns, verbs, adjectives) with the templates of campaigns of PARAPHRASE_CAMPAIGN
   letters or more, weighted by how few of them use a word. Rewording keeps the facility,
   the plan, the concerns and the proposals, which are the rare words. A letter joins when
   it has PARAPHRASE_THRESHOLD of a campaign's weighted words, sixteen words at least, and
   more than of any other campaign; if it kept a distinctive sentence of one campaign, that
   one is checked alone. A leftover mostly made of campaigns' sentences is not reworded and
   is not weighed (OWN_WORDING). Letters reworded alike form small templates of their own
   (offshoots); an offshoot is recognised by the campaign sentences its letters kept, or by
   its words when it is a twentieth of the campaign's size, and its letters are weighed like
   leftovers. A paraphrase has kind "paraphrase", the shared words as `matched` and a
   confidence scaled below `threshold`, so it always ranks below a sentence match for staff
   to confirm or undo. Only the leftovers are tokenised, which keeps the time down.
8. Texts that are identical after normalisation (「反対です。」 sent 300 times) and in no
   campaign form a group of their own, kind "identical".

Linking letters to a template (an anchor), never to each other, means no chain of
near-misses can glue two campaigns together, and the work stays linear in the number of
comments.

Topics: the comments outside groups are clustered by their key phrases (content words and
the compounds they form, 住民説明会, from the same tokenizer, so a label never cuts inside a
word), TF-IDF and spherical k-means with a fixed seed. A topic is only formed by members
that share one of its label phrases; the others get the label -1 (in no topic).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache

import fugashi
import numpy as np

SHINGLE = 3
NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: sentences at Jaccard 0.7 share a band with probability > 0.98
_PRIME = np.uint64((1 << 61) - 1)
_MASK = np.uint64(0xFFFFFFFF)

DEFAULT_THRESHOLD = 0.5  # share of a campaign's (weighted) sentences a letter must contain
SENTENCE_SIMILARITY = 0.6  # estimated 3-gram Jaccard of two forms of one sentence, and
SENTENCE_EDIT_GRAMS = 10  # at most this many 3-grams differ: a typo changes about six, but
# another facility's name in the same sentence frame changes fifteen or more
TYPO_LETTERS = 3  # a form written by this few letters may be a typo of a common one
TYPO_DOMINANCE = 20  # or one written twenty times less often
FUZZY_MIN_CHARS = 8  # shorter sentences only match exactly: one typo is too much of them
MIN_TEMPLATE_CHARS = 30  # less shared text than this is not a campaign (「以上です」 is not)
MIN_TEMPLATE_LETTERS = 2  # nor a set of sentences that only one letter has
MIN_TEMPLATE_SENTENCES = 2  # nor is one sentence that two writers happen to share
DISTINCTIVE_SHARE = 0.5  # of a template's distinctive sentences, a member has at least half
CANDIDATE_POSTINGS = 32  # sentences in more templates than this propose no candidates
OWN_SHARE = 0.5  # and most of the letter's shared sentences are the campaign's
PART_OF = 0.8  # a set of shared sentences this much inside a template is part of it,
PART_OF_BUT_ONE = 0.6  # or this much with one sentence more (see _part_of)
OWNED = 0.8  # a sentence this much the template's own (by its letters) is distinctive
PARAPHRASE_THRESHOLD = 0.4  # weighted share of a campaign's content words in a reworded letter
PARAPHRASE_LEAD = 0.02  # over the next campaign: a paraphrase must point to one campaign
OFFSHOOT_WORDS = 0.6  # an offshoot found by its words alone has this share of them
OFFSHOOT_BY_WORDS = 20  # and is at most a twentieth of its campaign (a campaign of its own
# on the same facility and plan can be a tenth of the other, and its words are as close)
OWN_WORDING = 0.5  # a paraphrase has at least this share of its text outside campaigns'
# sentences
PARAPHRASE_CAMPAIGN = 5  # letters a campaign has at least to take paraphrases
OFFSHOOT = 5  # an offshoot is at most a fifth of its campaign
PARAPHRASE_MIN_WORDS = 16  # shared content words at the least: a letter on the same
# facility in its own words shares up to a dozen (its name, 駐車場, 利用, 高齢者), a reworded
# template twenty or more


_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """NFKC, lower case, without white space, punctuation or symbols (what is left are
    letters and digits: str.isalnum, as \\w without the underscore)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


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


# --- Sentences -------------------------------------------------------------------------------

# Contact details anywhere in a letter; removed before cutting sentences, because an e-mail
# address or a phone number would be cut at its dots and hyphens.
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|〒\s*\d{3}-?\d{4}"  # postcode
    r"|\(?0\d{1,4}\)?[-\s]\d{1,4}[-\s]\d{3,4}"  # phone (its label goes with the fields)
    r"|[(（]\s*\d{1,3}\s*歳[^)）\n]{0,20}[)）]",  # (45歳・会社員)
    re.IGNORECASE,
)
# A labelled field of a signature: to the end of its line or to the next bracketed label.
_FIELD = re.compile(
    r"[【\[]?\s*(?:ご?住所|お?名前|氏名|年齢|ご?職業|電話番号|電話|tel|fax|e-?mail|メール"
    r"|メールアドレス|連絡先|所属)\s*(?:[】\]]|[:：])[^【\[\n]*",
    re.IGNORECASE,
)
_MAY_HAVE_CONTACT = re.compile(
    r"[@〒【]|\d[-\s]\d|歳|住所|名前|氏名|年齢|職業|電話|tel|fax|mail|メール|連絡先|所属",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[。.!?\n]+")
# Greetings and sign-offs (on normalised text). A longer sentence that contains one of
# these words is the writer's own and stays.
_GREETING = re.compile(
    "お世話になっております|お世話になります|お世話様|はじめまして|初めまして|失礼いたします"
    "|失礼します|ご清栄|ご健勝|拝啓|敬具|草々|時下|よろしくお願い|ありがとうございます"
    "|お疲れ様|意見をお送りします|意見を送ります|以上です|以上になります"
)
_GREETING_MAX = 40
_SIGNATURE_LINE_MAX = 40
# 敬体 and 常体 endings folded to one form, longest first (on normalised sentences).
_ENDINGS = [
    ("ではないでしょうか", "ではないか"),
    ("ではないだろうか", "ではないか"),
    ("でございます", ""),
    ("であります", ""),
    ("でしょうか", "か"),
    ("だろうか", "か"),
    ("いたします", "する"),
    ("ております", "ている"),
    ("ています", "ている"),
    ("でした", "だった"),
    ("ました", "た"),
    ("ません", "ない"),
    ("します", "する"),
    ("である", ""),
    ("ください", "ほしい"),
    ("です", ""),
    ("ます", ""),
    ("だ", ""),
    ("る", ""),
    ("う", ""),
]


_ENDING = re.compile("(?:" + "|".join(polite for polite, _plain in _ENDINGS) + ")$")
_PLAIN = dict(_ENDINGS)


def _fold_ending(sentence: str) -> str:
    # One search for all endings; the alternation tries the longest first, as listed.
    found = _ENDING.search(sentence)
    if found:
        sentence = sentence[: found.start()] + _PLAIN[found.group()]
    # The plain form of a verb ends in る/う where the polite one had ます: drop both.
    return sentence[:-1] if sentence.endswith(("る", "う")) and len(sentence) > 2 else sentence


def comparable_sentences(text: str) -> list[tuple[str, str]]:
    """The sentences of a letter that are compared, as (as written, comparison key) pairs:
    without greetings, sign-offs, contact lines and a trailing signature block."""
    return _comparable(unicodedata.normalize("NFKC", text))


def _comparable(folded: str) -> list[tuple[str, str]]:
    # Most letters have no contact details: look before running the patterns over them.
    if _MAY_HAVE_CONTACT.search(folded):
        folded = _CONTACT.sub("\n", folded)
        folded = _FIELD.sub("\n", folded)
    lines = [line.strip() for line in folded.split("\n")]
    # A signature block: short lines at the end without a full stop (a name, 「東区在住」),
    # below the letter's first line (a one-line comment without a full stop is no signature).
    while lines and not lines[-1]:
        lines.pop()
    while sum(1 for line in lines if line) > 1 and (not lines[-1] or _is_signature_line(lines[-1])):
        lines.pop()
    result = []
    for line in lines:
        for piece in _SENTENCE_END.split(line):
            key = _NOT_WORD.sub("", piece.lower())  # normalise(), the text being NFKC already
            if not key or (len(key) <= _GREETING_MAX and _GREETING.search(key)):
                continue
            result.append((piece.strip(), _fold_ending(key)))
    return result


def _is_signature_line(line: str) -> bool:
    return len(line) <= _SIGNATURE_LINE_MAX and not re.search(r"[。.!?]$", line)


# --- MinHash over short strings --------------------------------------------------------------


def _minhash(strings: Sequence[str], seed: int = 1) -> np.ndarray:
    """MinHash signatures of the strings' character 3-grams (each string at least SHINGLE
    long), one row per string, computed over all strings at once."""
    lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
    codes = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    grams = np.zeros(len(codes) - SHINGLE + 1, dtype=np.uint64)
    for offset in range(SHINGLE):
        grams = grams * np.uint64(1_000_003) + codes[offset : len(codes) - SHINGLE + 1 + offset]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    # Keep the grams that lie inside one string: a string of n characters has n - 2.
    counts = lengths - SHINGLE + 1
    owner_start = np.repeat(starts, counts)
    position = owner_start + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    grams = grams[position] & _MASK
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 31) - 1, size=NUM_PERM, dtype=np.uint64)
    b = rng.integers(0, (1 << 31) - 1, size=NUM_PERM, dtype=np.uint64)
    result = np.empty((len(strings), NUM_PERM), dtype=np.uint32)
    for k in range(NUM_PERM):
        permuted = ((a[k] * grams + b[k]) % _PRIME) & _MASK
        result[:, k] = np.minimum.reduceat(permuted, offsets)
    return result


def signatures(texts: Sequence[str], seed: int = 1) -> np.ndarray:
    """MinHash signatures of whole normalised texts, one row per text (padded to SHINGLE)."""
    return _minhash([t.ljust(SHINGLE, "\0") for t in texts], seed)


def _sentence_classes(keys: list[str], frequency: np.ndarray, threshold: float) -> np.ndarray:
    """A class per unique sentence key: a rare form of a sentence (a typo, a dropped
    character) joins the common form it is close to. Never transitively: a form joins a
    common form only, and only one far more frequent than itself (by TYPO_DOMINANCE, or
    written by at most TYPO_LETTERS letters), so two campaigns' sentences that differ in a
    word (二年/三年, another facility's name) are not glued together by a chain of typos."""
    classes = np.arange(len(keys))
    fuzzy = np.array([i for i, k in enumerate(keys) if len(k) >= FUZZY_MIN_CHARS], dtype=np.int64)
    if len(fuzzy) < 2:
        return classes
    signature = _minhash([keys[i] for i in fuzzy])
    grams = np.array([len(keys[i]) - SHINGLE + 1 for i in fuzzy], dtype=np.float64)
    often = frequency[fuzzy].astype(np.float64)
    # Rank: more letters first, then the earlier sentence; a form may join a higher rank.
    rank = np.lexsort((-np.arange(len(fuzzy)), often))
    order_of = np.empty(len(fuzzy), dtype=np.int64)
    order_of[rank] = np.arange(len(fuzzy))
    rows = NUM_PERM // BANDS
    links_a, links_b = [], []
    for band in range(BANDS):
        # The band's rows hashed to one 64-bit key (collisions are negligible and only cost
        # a comparison), so buckets can be sorted with the most common sentence first.
        band_keys = np.zeros(len(fuzzy), dtype=np.uint64)
        for row in range(band * rows, (band + 1) * rows):
            band_keys = band_keys * np.uint64(0x9E3779B97F4A7C15) + signature[:, row]
        order = np.lexsort((-order_of, band_keys))
        same = band_keys[order[1:]] == band_keys[order[:-1]]
        if not same.any():
            continue
        # Each sentence against its neighbour in the bucket and the bucket's most common:
        # linear work, and the rare forms of a sentence reach its common form.
        first = np.maximum.accumulate(np.where(np.r_[True, ~same], np.arange(len(order)), 0))
        for left in (order[:-1], order[first[1:]]):
            right = order[1:]
            keep = same & (left != right)
            left, right = left[keep], right[keep]
            estimate = (signature[left] == signature[right]).mean(axis=1)
            # Differing grams from Jaccard and sizes: |A ∪ B| - |A ∩ B| = (a + b)(1 - J)/(1 + J).
            differ = (grams[left] + grams[right]) * (1 - estimate) / (1 + estimate)
            close = (estimate >= threshold) & (differ <= SENTENCE_EDIT_GRAMS)
            left, right = left[close], right[close]
            # Orient each link from the common form (a) to the rare one (b).
            swap = order_of[left] < order_of[right]
            a = np.where(swap, right, left)
            b = np.where(swap, left, right)
            rare = often[b] <= np.maximum(TYPO_LETTERS, often[a] / TYPO_DOMINANCE)
            links_a.append(a[rare])
            links_b.append(b[rare])
    a, b = np.concatenate(links_a or [[]]), np.concatenate(links_b or [[]])
    if not len(a):
        return classes
    a, b = a.astype(np.int64), b.astype(np.int64)
    # Each rare form takes its most common close form ...
    best = np.lexsort((order_of[a], b))
    last = np.r_[b[best][1:] != b[best][:-1], True]
    parent = np.arange(len(fuzzy))
    parent[b[best][last]] = a[best][last]
    # ... if that one is a common form itself (no chains).
    parent = np.where(parent[parent] == parent, parent, np.arange(len(fuzzy)))
    classes[fuzzy] = fuzzy[parent]
    return classes


# --- Grouping --------------------------------------------------------------------------------


@dataclass
class _Letter:
    raw: list[str]  # comparable sentences as written
    classes: list[int]  # their sentence classes, in order
    copies: int  # how many input texts have this normalised text


def group(
    texts: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    paraphrase: bool = True,
    paraphrase_threshold: float = PARAPHRASE_THRESHOLD,
) -> Grouping:
    """Group the letters of each campaign, paraphrases with them (unless `paraphrase` is
    off), and identical texts; see the module's docstring. `threshold` is the share of a
    campaign's weighted sentences a letter must contain. Labels are the smallest index of
    each group's members; a text in no group has its own index as label."""
    folded = [unicodedata.normalize("NFKC", t) for t in texts]
    normalised = [_NOT_WORD.sub("", f.lower()) for f in folded]  # normalise(), NFKC done
    unique: dict[str, int] = {}
    first_of = [unique.setdefault(n, len(unique)) for n in normalised]
    distinct_index: list[int] = [0] * len(unique)
    for index in reversed(range(len(texts))):
        distinct_index[first_of[index]] = index
    copies = Counter(first_of)
    split = [_comparable(folded[i]) for i in distinct_index]
    key_ids: dict[str, int] = {}
    for sentences in split:
        for _raw, key in sentences:
            key_ids.setdefault(key, len(key_ids))
    keys = list(key_ids)
    written = _written(split, key_ids, copies)
    # Two sentences run together by a lost 「。」 are read as the two common ones they are.
    split = [_unrun(sentences, key_ids, written) for sentences in split]
    written = _written(split, key_ids, copies)
    class_of = _sentence_classes(keys, written, SENTENCE_SIMILARITY)
    letters = []
    for d, sentences in enumerate(split):
        seen: dict[int, str] = {}
        for raw, key in sentences:
            seen.setdefault(int(class_of[key_ids[key]]), raw)
        letters.append(_Letter(list(seen.values()), list(seen), copies[d]))
    length = np.zeros(len(keys), dtype=np.float64)
    for key, i in key_ids.items():
        length[class_of[i]] = max(length[class_of[i]], len(key))
    frequency: Counter[int] = Counter()
    for letter in letters:
        frequency.update(dict.fromkeys(letter.classes, letter.copies))
    shared = [frozenset(c for c in letter.classes if frequency[c] >= 2) for letter in letters]

    templates = _find_templates(shared, letters, length)
    member_of, confidence = _assign(shared, letters, templates, length, threshold)

    # A template whose campaign has a single letter is no group.
    size = Counter()
    for d, t in enumerate(member_of):
        if t >= 0:
            size[t] += letters[d].copies
    for d, t in enumerate(member_of):
        if t >= 0 and size[t] < 2:
            member_of[d] = -1

    kinds = ["sentences" if t >= 0 else "" for t in member_of]
    words: list[tuple[str, ...]] = [() for _ in letters]
    if paraphrase:
        _paraphrases(
            letters,
            templates,
            member_of,
            size,
            length,
            confidence,
            kinds,
            words,
            paraphrase_threshold,
            threshold,
        )

    return _result(
        texts, first_of, distinct_index, letters, templates, member_of, confidence, kinds, words
    )


@dataclass
class _Template:
    classes: frozenset[int]  # the shared sentence classes of the letter it was found in
    origin: int  # that letter (a distinct text)
    weight: dict[int, float] = field(default_factory=dict)  # per class, once shares are known
    distinctive: frozenset[int] = frozenset()
    exclusive: frozenset[int] = frozenset()


def _find_templates(
    shared: list[frozenset[int]], letters: list[_Letter], length: np.ndarray
) -> list[_Template]:
    """Sets of shared sentences, most frequent first, become templates unless mostly inside
    one found before (a letter that dropped sentences, or added a shared personal one)."""
    count: Counter[frozenset[int]] = Counter()
    origin: dict[frozenset[int], int] = {}
    for d, classes in enumerate(shared):
        if classes:
            count[classes] += letters[d].copies
            origin.setdefault(classes, d)
    total = {s: float(sum(length[c] for c in s)) for s in count}
    templates: list[_Template] = []
    postings: dict[int, list[int]] = {}
    for classes in sorted(count, key=lambda s: (-count[s], -total[s], origin[s])):
        if total[classes] < MIN_TEMPLATE_CHARS or len(classes) < MIN_TEMPLATE_SENTENCES:
            continue
        # A set of shared sentences only one letter has is that writer's mix of sentences
        # found elsewhere (stock reasons offered by a campaign's site), not a campaign.
        if count[classes] < MIN_TEMPLATE_LETTERS:
            continue
        overlap: Counter[int] = Counter()
        for c in classes:
            for t in postings.get(c, ()):
                overlap[t] += length[c]
        if any(
            _part_of(classes, templates[t].classes, inter / total[classes])
            for t, inter in overlap.items()
        ):
            continue
        for c in classes:
            postings.setdefault(c, []).append(len(templates))
        templates.append(_Template(classes, origin[classes]))
    return templates


def _written(
    split: list[list[tuple[str, str]]], key_ids: dict[str, int], copies: Counter[int]
) -> np.ndarray:
    """How many letters have each sentence key."""
    written = np.zeros(len(key_ids), dtype=np.int64)
    for d, sentences in enumerate(split):
        for key in {key for _raw, key in sentences}:
            written[key_ids[key]] += copies[d]
    return written


def _unrun(
    sentences: list[tuple[str, str]], key_ids: dict[str, int], written: np.ndarray
) -> list[tuple[str, str]]:
    """A rare sentence that is two common sentences end to end (the first one's ending
    unfolded) becomes those two; the text as written stays with both."""
    result = []
    for raw, key in sentences:
        parts = None
        if written[key_ids[key]] <= TYPO_LETTERS and len(key) >= 2 * FUZZY_MIN_CHARS:
            for cut in range(FUZZY_MIN_CHARS, len(key) - FUZZY_MIN_CHARS + 1):
                tail = key_ids.get(key[cut:])
                if tail is None or written[tail] <= TYPO_LETTERS:
                    continue
                head = key_ids.get(_fold_ending(key[:cut]))
                if head is not None and written[head] > TYPO_LETTERS:
                    parts = [(raw, _fold_ending(key[:cut])), (raw, key[cut:])]
                    break
        result.extend(parts or [(raw, key)])
    return result


def _part_of(classes: frozenset[int], template: frozenset[int], inside: float) -> bool:
    """Whether a set of shared sentences, `inside` of it (by length) in a template, is a
    letter of that template rather than a campaign of its own: mostly inside it, or largely
    inside it with one sentence more (a shared personal sentence, or two of the template's
    run together by a lost 「。」). A campaign that carries much of another's text but two
    sentences of its own or more is a campaign of its own."""
    return inside >= PART_OF or (inside >= PART_OF_BUT_ONE and len(classes - template) <= 1)


def _best_template(
    classes: frozenset[int],
    postings: dict[int, list[int]],
    templates: list[_Template],
    weight: list[dict[int, float]],
    totals: list[float],
    length: np.ndarray,
    threshold: float,
    distinctive: bool,
) -> tuple[int, float]:
    """The template of which the letter's shared sentences contain the largest weighted
    share, if it reaches threshold; (-1, 0.0) if none does."""
    # Candidates come through the letter's less common sentences: a stock sentence found in
    # hundreds of templates would make every letter weigh all of them.
    candidates: set[int] = set()
    for c in classes:
        found_in = postings.get(c, ())
        if len(found_in) <= CANDIDATE_POSTINGS:
            candidates.update(found_in)
    if not candidates:
        for c in classes:
            candidates.update(postings.get(c, ()))
    mine = float(sum(length[c] for c in classes)) or 1.0
    best, best_share = -1, 0.0
    for t in sorted(candidates):
        common = classes & templates[t].classes
        total = totals[t]
        share = sum(weight[t][c] for c in common) / total
        if share < threshold or sum(length[c] for c in common) < OWN_SHARE * mine:
            continue
        if distinctive and templates[t].distinctive:
            found = sum(length[c] for c in templates[t].distinctive & classes)
            needed = sum(length[c] for c in templates[t].distinctive)
            if found < DISTINCTIVE_SHARE * needed:
                continue
        # The largest share; among equal shares the template found first (the more
        # frequent), not one that a few letters' shared extras made larger.
        if share > best_share + 1e-9:
            best, best_share = t, share
    return best, best_share


def _assign(
    shared: list[frozenset[int]],
    letters: list[_Letter],
    templates: list[_Template],
    length: np.ndarray,
    threshold: float,
) -> tuple[list[int], list[float]]:
    """Each letter's template (or -1) and its share of it. First by the sentences' lengths,
    then again with each sentence weighted by the share of its letters that are the
    template's: a paragraph that several campaigns carry counts for each only in part, and a
    letter must contain half of what is the template's alone."""
    # A letter is judged by its set of shared sentences: judge each set once.
    distinct_sets = {s: None for s in shared if s}
    postings: dict[int, list[int]] = {}
    for t, template in enumerate(templates):
        for c in template.classes:
            postings.setdefault(c, []).append(t)
    by_length = [{c: float(length[c]) for c in t.classes} for t in templates]
    totals = [sum(w.values()) or 1.0 for w in by_length]
    first = {
        s: _best_template(s, postings, templates, by_length, totals, length, threshold, False)[0]
        for s in distinct_sets
    }
    occurrences: dict[int, Counter[int]] = {}
    for d, classes in enumerate(shared):
        t = first.get(classes, -1)
        if t < 0:
            continue
        for c in classes & templates[t].classes:
            occurrences.setdefault(c, Counter())[t] += letters[d].copies
    for t, template in enumerate(templates):
        for c in template.classes:
            seen = occurrences.get(c, Counter())
            share = seen[t] / sum(seen.values()) if seen[t] else 0.0
            template.weight[c] = float(length[c]) * share
        # Distinctive: owned by this template's letters (OWNED of the letters that have it
        # are this template's). Exclusive: distinctive and in no other template either.
        template.distinctive = frozenset(
            c for c in template.classes if template.weight[c] >= OWNED * length[c]
        )
        template.exclusive = frozenset(c for c in template.distinctive if len(postings[c]) == 1)
    by_share = [t.weight for t in templates]
    totals = [sum(w.values()) or 1.0 for w in by_share]
    final = {
        s: _best_template(s, postings, templates, by_share, totals, length, threshold, True)
        for s in distinct_sets
    }
    member_of = [final[s][0] if s else -1 for s in shared]
    confidence = [final[s][1] if s else 0.0 for s in shared]
    return member_of, confidence


# --- The tokenizer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    surface: str
    lemma: str  # dictionary form (UniDic lemma, without its English gloss); surface if unknown
    pos: str  # part of speech, UniDic's first level: 名詞, 動詞, 接尾辞…
    detail: str  # its second level: 普通名詞, 数詞, 非自立可能…


@cache
def _tagger() -> fugashi.Tagger:
    # One tagger per process: loading the dictionary costs more than tokenising a letter.
    return fugashi.Tagger()


def tokens(text: str) -> list[Token]:
    """Morphemes of a text (NFKC first, so width does not change the words)."""
    folded = unicodedata.normalize("NFKC", text).replace("\t", " ").replace("\n", " ")
    result = []
    # MeCab's own output (surface, pronunciation, reading, lemma, part of speech, ...) is
    # read rather than fugashi's node objects: building those costs three times as much.
    for line in _tagger().parse(folded).split("\n"):
        fields = line.split("\t")
        if len(fields) < 5:
            continue  # EOS
        surface, lemma, pos = fields[0], fields[3], fields[4].split("-")
        result.append(
            Token(surface, lemma.split("-")[0] or surface, pos[0], pos[1] if len(pos) > 1 else "")
        )
    return result


# Words too general to say what a letter is about.
_STOP = frozenset(
    [
        "する",
        "ある",
        "いる",
        "なる",
        "こと",
        "もの",
        "ため",
        "よう",
        "ところ",
        "とき",
        "方",
        "私",
        "これ",
        "それ",
        "思う",
        "考える",
        "欲しい",
        "下さる",
        "いただく",
        "頂く",
        "居る",
        "成る",
        "為る",
        "有る",
        "言う",
        "出来る",
        "事",
        "物",
        "為",
        "様",
        "所",
        "時",
        "今回",
        "皆様",
        "以上",
        "点",
        "中",
        "上",
        "等",
        "場合",
        "際",
        "前",
        "後",
        "ほか",
        "他",
    ]
)
_CONTENT = frozenset({"名詞", "動詞", "形容詞", "形状詞"})


def _content_words(text: str) -> set[str]:
    """Lemmas of the content words (nouns, verbs, adjectives), read straight from MeCab's
    output: this runs on every letter left over, so it builds no Token objects."""
    folded = unicodedata.normalize("NFKC", text).replace("\t", " ").replace("\n", " ")
    words = set()
    for line in _tagger().parse(folded).split("\n"):
        fields = line.split("\t")
        if len(fields) < 5:
            continue
        pos = fields[4].split("-")
        if pos[0] not in _CONTENT or (len(pos) > 1 and pos[1] in ("数詞", "非自立可能")):
            continue
        lemma = fields[3].split("-")[0] or fields[0]
        if lemma in _STOP or (len(lemma) == 1 and "\u3040" <= lemma <= "\u309f"):
            continue
        words.add(lemma)
    return words


def _paraphrases(
    letters: list[_Letter],
    templates: list[_Template],
    member_of: list[int],
    size: Counter[int],
    length: np.ndarray,
    confidence: list[float],
    kinds: list[str],
    words: list[tuple[str, ...]],
    threshold: float,
    ceiling: float,
) -> None:
    """Join reworded letters to their campaign by shared content words (see the module's
    docstring); fills member_of, confidence, kinds and words in place."""
    campaigns = [t for t in range(len(templates)) if size[t] >= 2]
    if not campaigns:
        return
    vocabulary: dict[int, set[str]] = {}
    for t in campaigns:
        origin = letters[templates[t].origin]
        text = "。".join(
            raw
            for raw, c in zip(origin.raw, origin.classes, strict=True)
            if c in templates[t].classes
        )
        vocabulary[t] = _content_words(text)

    # Sentence hints: a reworded letter often keeps a sentence or two of its template
    # unchanged, and a sentence only that campaign has and owns (an exclusive one) points to
    # it. Not a merely distinctive one: a campaign of its own on the same facility and plan
    # opens and closes with the larger one's (distinctive) sentences.
    owner = {c: t for t in campaigns for c in templates[t].exclusive}

    def hint(d: int) -> int:
        found: Counter[int] = Counter()
        for c in letters[d].classes:
            t = owner.get(c, -1)
            if t >= 0 and t != member_of[d]:
                found[t] += length[c]
        return found.most_common(1)[0][0] if found else -1

    members: dict[int, list[int]] = {}
    for d, t in enumerate(member_of):
        if t >= 0:
            members.setdefault(t, []).append(d)
    # Families. Letters reworded alike (a second wording that circulates) share sentences
    # among themselves and form a small template of their own, an offshoot. Larger
    # campaigns first, a template is an offshoot of a campaign OFFSHOOT times its size or
    # larger when a third of its letters keep a sentence of that campaign. Its letters are
    # then weighed one by one like leftovers.
    family: dict[int, int] = {}
    heads: list[int] = []
    scorers: dict[int, _WordScorer] = {}
    for t in sorted(campaigns, key=lambda t: (-size[t], t)):
        # Heads come largest first, so the larger ones are a prefix of them.
        larger = [h for h in heads if size[h] >= max(OFFSHOOT * size[t], PARAPHRASE_CAMPAIGN)]
        hints = Counter(family.get(hint(d), -1) for d in members.get(t, ()))
        hints.pop(-1, None)
        head, count = hints.most_common(1)[0] if hints else (-1, 0)
        if head in larger and count >= max(2, len(members.get(t, ())) / 3):
            family[t] = head
            continue
        # By words only when far smaller and far closer than a campaign of its own would
        # be: two campaigns on one facility share many words.
        if len(larger) not in scorers:
            scorers[len(larger)] = _WordScorer(vocabulary, larger, OFFSHOOT_WORDS)
        match = scorers[len(larger)].closest(vocabulary[t]) if larger else None
        if match is not None and size[match[1]] >= OFFSHOOT_BY_WORDS * size[t]:
            family[t] = match[1]
        else:
            family[t] = t
            heads.append(t)
    # Only campaigns of some size take paraphrases: two or three letters that share their
    # sentences are too little to say which words are a campaign's.
    campaign_sentences = {
        c for t in heads if size[t] >= PARAPHRASE_CAMPAIGN for c in templates[t].classes
    }
    scorer = _WordScorer(
        vocabulary, sorted(h for h in heads if size[h] >= PARAPHRASE_CAMPAIGN), threshold
    )
    for d, letter in enumerate(letters):
        own = member_of[d]
        # Leftovers, and the letters of a family's smaller templates (reworded ones).
        if own >= 0 and family.get(own, own) == own:
            continue
        if sum(len(r) for r in letter.raw) < MIN_TEMPLATE_CHARS:
            continue
        # A reworded letter is mostly in its writer's own words. A leftover made mostly of
        # campaigns' sentences (stock reasons mixed anew) is no paraphrase of any of them.
        if own < 0:
            whole = sum(length[c] for c in letter.classes) or 1.0
            theirs = sum(length[c] for c in letter.classes if c in campaign_sentences)
            if theirs > (1 - OWN_WORDING) * whole:
                continue
        mine = _content_words("。".join(letter.raw))
        pointed = family.get(hint(d), -1) if own < 0 else family[own]
        # With a sentence pointing to the campaign, its words need no lead over the others.
        match = scorer.against(mine, pointed) if pointed >= 0 else scorer.closest(mine)
        if match is None:
            continue
        best, t, common = match
        member_of[d] = t
        kinds[d] = "paraphrase"
        # Scaled below the sentence threshold: a paraphrase always ranks below a sentence match.
        confidence[d] = best * ceiling * 0.99
        words[d] = common


class _WordScorer:
    """Finds the campaign (of `among`) whose content words a letter has, enough of them,
    weighted by how few of the campaigns use each word."""

    def __init__(self, vocabulary: dict[int, set[str]], among: list[int], threshold: float):
        self.vocabulary = vocabulary
        self.threshold = threshold
        used = Counter(w for t in among for w in vocabulary[t])
        # log((M + 1) / n): M campaigns, n of them use the word.
        self.idf = {w: math.log((len(among) + 1) / n) for w, n in used.items()}
        self.total = {t: sum(self.idf[w] for w in vocabulary[t]) or 1.0 for t in among}
        self.postings: dict[str, list[int]] = {}
        for t in among:
            for w in vocabulary[t]:
                self.postings.setdefault(w, []).append(t)

    def _found(self, mine: set[str], t: int, best: float) -> tuple[float, int, tuple[str, ...]]:
        common = mine & self.vocabulary[t]
        return best, t, tuple(sorted(common, key=lambda w: (-self.idf.get(w, 0.0), w)))

    def against(self, mine: set[str], t: int) -> tuple[float, int, tuple[str, ...]] | None:
        if t not in self.total:
            return None
        common = mine & self.vocabulary[t]
        best = sum(self.idf[w] for w in common) / self.total[t]
        if best < self.threshold or len(common) < PARAPHRASE_MIN_WORDS:
            return None
        return self._found(mine, t, best)

    def closest(self, mine: set[str]) -> tuple[float, int, tuple[str, ...]] | None:
        score: Counter[int] = Counter()
        for w in mine:
            for t in self.postings.get(w, ()):
                score[t] += self.idf[w]
        if not score:
            return None
        ranked = sorted(((s / self.total[t], t) for t, s in score.items()), reverse=True)
        best, t = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        if best - second < PARAPHRASE_LEAD:
            return None
        return self.against(mine, t)


def _result(
    texts: Sequence[str],
    first_of: list[int],
    distinct_index: list[int],
    letters: list[_Letter],
    templates: list[_Template],
    member_of: list[int],
    confidence: list[float],
    kinds: list[str],
    words: list[tuple[str, ...]],
) -> Grouping:
    """Labels (a group's smallest index; a text in no group its own) and reasons."""
    first_index: dict[int, int] = {}
    for d, t in enumerate(member_of):
        if t >= 0:
            first_index[t] = min(first_index.get(t, len(texts)), distinct_index[d])
    labels = [
        first_index[member_of[d]] if member_of[d] >= 0 else distinct_index[d] for d in first_of
    ]
    # The anchor is the letter the template was found in: it has all the template's sentences.
    anchor: dict[int, int] = {}
    sentences: dict[int, list[tuple[str, int]]] = {}
    for t in first_index:
        origin = templates[t].origin
        anchor[t] = origin if member_of[origin] == t else first_of[first_index[t]]
        sentences[t] = [
            (raw, c)
            for raw, c in zip(letters[origin].raw, letters[origin].classes, strict=True)
            if c in templates[t].classes
        ]
    reasons: list[Reason | None] = []
    for i, d in enumerate(first_of):
        t = member_of[d]
        if t < 0:
            identical = i != distinct_index[d]
            reasons.append(Reason("identical", 1.0) if identical else None)
        elif d == anchor[t]:
            reasons.append(None if i == distinct_index[d] else Reason("identical", 1.0))
        elif kinds[d] == "paraphrase":
            reasons.append(Reason("paraphrase", round(confidence[d], 3), words[d]))
        else:
            present = set(letters[d].classes)
            found = tuple(raw for raw, c in sentences[t] if c in present)
            reasons.append(Reason("sentences", round(confidence[d], 3), found))
    return Grouping(labels=labels, reasons=reasons)


def pair_scores(truth: Sequence[int], predicted: Sequence[int]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping against known groups, from the contingency
    counts (no pair is enumerated, so it works on 100,000 comments)."""

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
    labels: list[int]  # topic per input text: an index into terms, or -1 (in no topic)
    terms: list[list[str]]  # key phrases per topic, strongest first


_PHRASE_PARTS = frozenset({"名詞", "接頭辞", "接尾辞"})


def key_phrases(text: str) -> list[str]:
    """Content nouns of a text and the compounds they form (市民 + 文化 + ホール →
    市民文化ホール), from the tokenizer's morphemes, so a phrase never cuts inside a word.
    Numbers break a compound and are left out (三十年 says nothing of the topic)."""
    phrases: list[str] = []
    run: list[Token] = []

    def close() -> None:
        while run and run[-1].pos == "接頭辞":
            run.pop()
        while run and run[0].pos == "接尾辞":
            run.pop(0)
        nouns = [t for t in run if t.pos == "名詞"]
        if len(run) >= 2 and nouns:
            phrases.append("".join(t.surface for t in run))
        for noun in nouns:
            if len(noun.surface) >= 2 and noun.lemma not in _STOP:
                phrases.append(noun.surface)
        run.clear()

    for token in tokens(text):
        usable = token.pos in _PHRASE_PARTS and token.detail not in ("数詞", "非自立可能")
        if usable and not (token.pos == "名詞" and token.lemma in _STOP):
            run.append(token)
        else:
            close()
    close()
    return phrases


def topics(
    texts: Sequence[str], clusters: int | None = None, seed: int = 1, max_terms: int = 3000
) -> Topics:
    """Cluster texts by topic: TF-IDF over key phrases, spherical k-means (k-means++ start,
    fixed seed, so the same comments give the same topics). A topic's terms are its
    strongest phrases that two or more of its members use; a member that uses none of them
    shares nothing with the topic and gets the label -1, and a topic left with fewer than two
    members is not formed (its members get -1 too). Labels index `terms`; -1 is in no topic
    (a caller leaves those comments outside every topic)."""
    size = len(texts)
    phrases_per_text = [Counter(key_phrases(t)) for t in texts]
    if size < 2:
        return Topics(labels=[-1] * size, terms=[])
    frequency = Counter(p for phrases in phrases_per_text for p in phrases)
    vocabulary = [p for p, df in frequency.most_common() if 2 <= df <= max(2, size // 2)]
    vocabulary = vocabulary[:max_terms]
    if not vocabulary:
        return Topics(labels=[-1] * size, terms=[])
    index = {p: i for i, p in enumerate(vocabulary)}
    matrix = np.zeros((size, len(vocabulary)), dtype=np.float32)
    for row, phrases in enumerate(phrases_per_text):
        for phrase, count in phrases.items():
            column = index.get(phrase)
            if column is not None:
                matrix[row, column] = 1 + np.log(count)
    idf = np.log(size / np.array([frequency[p] for p in vocabulary], dtype=np.float32))
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    k = clusters or int(min(12, max(2, round((size / 40) ** 0.5 * 2))))
    k = min(k, size)
    rng = np.random.default_rng(seed)
    has_terms = norms[:, 0] > 0
    if not has_terms.any():
        # Every shared phrase is in every text (two or three texts): nothing sets one apart.
        return Topics(labels=[-1] * size, terms=[])
    centres = [matrix[rng.choice(np.flatnonzero(has_terms))]]
    for _ in range(1, k):  # k-means++: far points are likelier starts
        distance = 1 - np.max(matrix @ np.array(centres).T, axis=1)
        # A text with no shared phrase is far from everything and says nothing: no start.
        distance = np.where(has_terms, np.clip(distance, 0, None), 0)
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
    result = [-1] * size
    terms: list[list[str]] = []
    for cluster in range(k):
        members = [i for i in np.flatnonzero(labels == cluster) if norms[i, 0] > 0]
        used = Counter(p for i in members for p in phrases_per_text[i])
        weights = centre_matrix[cluster]
        ranked = [vocabulary[i] for i in np.argsort(-weights)[:30] if weights[i] > 0]
        # Phrases two members at least share, strongest first; a word that is part of a
        # compound also chosen gives way to the compound (学校給食センター, not センター).
        shared = [phrase for phrase in ranked if used[phrase] >= 2][:8]
        chosen = [p for p in shared if not any(p != q and p in q for q in shared)][:4]
        sharing = [i for i in members if any(p in phrases_per_text[i] for p in chosen)]
        if len(sharing) < 2:
            continue
        for i in sharing:
            result[i] = len(terms)
        terms.append(chosen)
    return Topics(labels=result, terms=terms)
