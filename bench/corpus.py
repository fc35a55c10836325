"""A generator of public-comment corpora with known campaigns, for the grouping benchmark and
tests: templates sent many times with small edits (typos, full-width/half-width variants,
added or removed sentences, reordered paragraphs), mixed with independent comments."""

from __future__ import annotations

import random

TOPICS = [
    "公園",
    "バス路線",
    "図書館",
    "子育て支援",
    "防災",
    "ごみ収集",
    "道路",
    "学校",
    "高齢者福祉",
    "商店街",
    "自転車道",
    "文化ホール",
    "河川敷",
    "観光",
    "農地",
    "公民館",
]
OPINIONS = [
    "を充実させてほしい",
    "の見直しを求めます",
    "に反対です",
    "の予算を増やすべきです",
    "について説明会を開いてください",
    "の計画を延期してください",
    "を早く整備してほしい",
]
REASONS = [
    "子どもが安心して遊べる場所が少ないからです",
    "高齢の親が通院に困っているからです",
    "地域の住民の声が反映されていないと感じます",
    "災害時の避難が心配です",
    "若い世代が住み続けられるまちにしたいからです",
    "財政負担が大きすぎると考えます",
    "近隣の市ではすでに実施されています",
    "夜間の安全が確保されていません",
]


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(TOPICS)}{rng.choice(OPINIONS)}。{rng.choice(REASONS)}。"


def _template(rng: random.Random) -> list[str]:
    return [_sentence(rng) for _ in range(rng.randint(3, 6))]


FULL = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)


def _variant(paragraphs: list[str], rng: random.Random) -> str:
    parts = list(paragraphs)
    edit = rng.random()
    if edit < 0.2 and len(parts) > 3:
        parts.pop(rng.randrange(len(parts)))  # a sentence removed
    elif edit < 0.4:
        parts.insert(rng.randrange(len(parts) + 1), "私も同じ意見です。")  # a sentence added
    elif edit < 0.55:
        rng.shuffle(parts)  # paragraphs reordered
    text = "\n".join(parts)
    if rng.random() < 0.3:  # a typo
        position = rng.randrange(len(text))
        text = text[:position] + rng.choice("あいうえおかきくけこ") + text[position + 1 :]
    if rng.random() < 0.3:
        text = text.translate(FULL)  # full-width letters and digits
    if rng.random() < 0.3:
        text = text.replace("。", "。 ")  # stray spaces
    return text


def generate(
    size: int, campaigns: int = 5, campaign_share: float = 0.8, seed: int = 7
) -> tuple[list[str], list[int]]:
    """(texts, truth): truth labels campaign members with their template; independent comments
    each have their own label."""
    rng = random.Random(seed)
    templates = [_template(rng) for _ in range(campaigns)]
    weights = [rng.random() + 0.2 for _ in templates]
    texts: list[str] = []
    truth: list[int] = []
    for index in range(size):
        if rng.random() < campaign_share:
            which = rng.choices(range(campaigns), weights)[0]
            texts.append(_variant(templates[which], rng))
            truth.append(which)
        else:
            texts.append("".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
            truth.append(campaigns + index)
    return texts, truth
