"""Form letters as people send them (issue 24): a generated corpus with greetings, personal
sentences, signature blocks, width and punctuation changes, typos, dropped and swapped
sentences, 常体, paraphrases, a shared boilerplate paragraph and identical short comments
(bench/letters.py). `python -m bench.grouping --corpus letters` measures the same at 10,000
and 100,000 comments."""

import pytest

from app.public_comment.grouping import (
    PARAPHRASE_MIN_WORDS,
    Reason,
    comparable_sentences,
    group,
    key_phrases,
    pair_scores,
    tokens,
    topics,
)
from bench.letters import generate


@pytest.fixture(scope="module")
def corpus():
    return generate(3000, seed=24)


@pytest.fixture(scope="module")
def grouped(corpus):
    return group(corpus.texts)


def test_precision_and_recall_on_form_letters(corpus, grouped):
    kinds = set(corpus.kind)
    assert kinds == {"campaign", "paraphrase", "short", "independent"}
    keep = [i for i, para in enumerate(corpus.paraphrased) if not para]
    precision, recall = pair_scores(
        [corpus.truth[i] for i in keep], [grouped.labels[i] for i in keep]
    )
    assert precision >= 0.99 and recall >= 0.98, (precision, recall)
    # With the paraphrased letters, which the city counts as the campaign's too.
    precision, recall = pair_scores(corpus.truth, grouped.labels)
    assert precision >= 0.99 and recall >= 0.90, (precision, recall)


def test_every_grouped_text_says_why(corpus, grouped):
    for members in grouped.groups().values():
        reasons = [grouped.reasons[i] for i in members]
        assert reasons.count(None) == 1  # the anchor
        for reason in reasons:
            if reason is None:
                continue
            assert reason.kind in ("identical", "sentences", "paraphrase")
            if reason.kind == "sentences":
                assert reason.confidence >= 0.5 and reason.matched
            if reason.kind == "paraphrase":
                # Below any sentence match, with the shared content words to show.
                assert reason.confidence < 0.5 and len(reason.matched) >= PARAPHRASE_MIN_WORDS
    in_groups = {i for m in grouped.groups().values() for i in m}
    assert all(grouped.reasons[i] is None for i in range(len(corpus.texts)) if i not in in_groups)
    # Paraphrases are joined, and the short comments grouped as identical.
    kinds = {grouped.reasons[i].kind for i in in_groups if grouped.reasons[i]}
    assert kinds == {"identical", "sentences", "paraphrase"}
    shorts = [i for i, kind in enumerate(corpus.kind) if kind == "short"]
    assert all(grouped.reasons[i] is None or grouped.reasons[i].kind == "identical" for i in shorts)


TEMPLATE_A = (
    "市民文化ホールの建て替え計画について、意見を申し上げます。"
    "ホールは開設から五十年にわたり、地域の文化活動の発表の場として利用されてきました。"
    "住民説明会を夜間や休日に開き、丁寧に説明してください。"
    "以上の理由から、市民文化ホールの建て替え計画に反対します。"
)
TEMPLATE_B = (
    "中央図書館の民営化について、私たちの考えをお伝えします。"
    "司書の専門性が失われれば、調べものの相談ができなくなります。"
    "民営化の前に、利用者アンケートを実施してください。"
)
SHARED = (
    "私たち市民の会は、市政への市民参加を広げる活動を続けています。"
    "寄せられた意見はすべて公開し、一つひとつに市の考え方を示してください。"
    "パブリックコメントの結果を、議会にもきちんと報告してください。"
)


def test_two_campaigns_sharing_a_paragraph_stay_two_groups():
    texts = []
    for n in range(6):
        greeting = "いつもお世話になっております。" if n % 2 else ""
        texts.append(greeting + TEMPLATE_A + SHARED + f"\n\n住所：熊本市東区{n}丁目\n氏名：山田{n}")
        texts.append(SHARED + TEMPLATE_B + f"\n東区在住 佐藤{n}（{30 + n}歳・会社員）")
    # A letter that dropped a sentence of campaign B is still B's.
    texts.append(SHARED + TEMPLATE_B.split("。", 1)[1])
    labels = group(texts).labels
    a, b = set(labels[0:12:2]), set(labels[1:12:2])
    assert len(a) == 1 and len(b) == 1 and a != b
    assert labels[12] in b


def test_greetings_signatures_and_contact_lines_are_left_out_of_the_comparison():
    letter = (
        "いつもお世話になっております。\n"
        "公園を増やしてください。子どもの遊び場が足りません。\n"
        "よろしくお願いいたします。\n\n"
        "〒860-0001 熊本市中央区千葉城町1-1\n"
        "氏名：山田花子（45歳・会社員）\n"
        "TEL 096-123-4567\nE-mail: hanako@example.jp\n"
        "東区在住 山田花子"
    )
    kept = [raw for raw, _key in comparable_sentences(letter)]
    assert kept == ["公園を増やしてください", "子どもの遊び場が足りません"]
    # 敬体 and 常体 compare alike; so do full-width and half-width forms.
    polite = comparable_sentences("説明会を開くよう求めます。")[0][1]
    plain = comparable_sentences("説明会を開くよう求める．")[0][1]
    assert polite == plain
    assert comparable_sentences("ＡＢＣ１２３です")[0][1] == comparable_sentences("ABC123だ")[0][1]


def test_identical_short_comments_group_as_identical():
    texts = ["反対です。", "反対です！", "反対です", "賛成です。", "バス停を増やしてほしい。"]
    result = group(texts)
    assert result.labels[0] == result.labels[1] == result.labels[2] != result.labels[3]
    assert result.reasons[0] is None
    assert result.reasons[1] == Reason("identical", 1.0)
    assert result.reasons[3] is None and result.reasons[4] is None


FIXTURE = [
    "市民文化ホールの建て替えに反対です。住民説明会を夜間に開いてください。",
    "市民文化ホールの建て替え計画は、住民説明会で説明するべきです。",
    "住民説明会の日程を増やし、市民文化ホールの将来を話し合ってほしい。",
    "バス路線の廃止で、高齢者が通院できなくなります。",
    "バス路線の本数を減らさないでください。高齢者の通院の足です。",
    "高齢者の通院に使うバス路線を残してください。",
    "今日は良い天気ですね。",
]


def test_topic_labels_are_whole_words_of_their_members():
    found = topics(FIXTURE, clusters=2)
    assert found.terms and all(found.terms)
    for number, terms in enumerate(found.terms):
        members = [FIXTURE[i] for i, label in enumerate(found.labels) if label == number]
        assert len(members) >= 2
        for term in terms:
            # The term starts and ends on the tokenizer's word boundaries in a member.
            assert any(_on_word_boundaries(term, text) for text in members), term
    hall = found.labels[0]
    assert hall != -1 and found.labels[1] == found.labels[2] == hall
    bus = found.labels[3]
    assert bus not in (-1, hall) and found.labels[4] == found.labels[5] == bus
    assert "市民文化ホール" in found.terms[hall] or "住民説明会" in found.terms[hall]
    # A comment that shares no key phrase with any topic is in none.
    assert found.labels[6] == -1


def _on_word_boundaries(term: str, text: str) -> bool:
    surfaces = [t.surface for t in tokens(text)]
    starts = {sum(len(s) for s in surfaces[:i]) for i in range(len(surfaces) + 1)}
    joined = "".join(surfaces)
    position = joined.find(term)
    while position != -1:
        if position in starts and position + len(term) in starts:
            return True
        position = joined.find(term, position + 1)
    return False


def test_key_phrases_join_nouns_into_compounds_and_leave_out_numbers():
    phrases = key_phrases("市民文化ホールの建て替えについて、住民説明会を三回開いてください。")
    assert "市民文化ホール" in phrases and "住民説明会" in phrases and "建て替え" in phrases
    assert not any("三" in p for p in phrases)


def test_topics_of_too_few_texts_form_none():
    assert topics([]).labels == [] and topics(["公園"]).labels == [-1]


def test_two_texts_that_share_every_phrase_form_no_topic():
    """With two or three texts a phrase in all of them sets none apart (its weight is zero):
    no topic, and no error (a case whose comments outside the groups are two)."""
    from app.public_comment.grouping import topics

    found = topics(["市民文化ホールの改修に賛成です。", "市民文化ホールの改修に反対です。"])
    assert found.labels == [-1, -1] and found.terms == []
