"""Grouping of identical and near-identical comments, on a generated corpus with known
campaigns (the benchmark `python -m bench.grouping` runs the same at 100,000 comments)."""

from app.public_comment.grouping import group, normalise, pair_scores
from bench.corpus import generate


def test_normalisation_folds_width_case_space_and_punctuation():
    assert normalise("ＡＢＣ　１２３、公園を！") == normalise("abc 123 公園を") == "abc123公園を"


def test_exact_and_near_duplicates_are_grouped_and_others_are_not():
    texts = [
        "公園を充実させてほしい。子どもが安心して遊べる場所が少ないからです。図書館も必要です。",
        "公園を充実させてほしい。 子どもが安心して遊べる場所が少ないからです。 図書館も必要です。",
        "公園を充実させてほしい。子どもが安心して遊べる場所がすくないからです。図書館も必要です。",
        "バス路線の見直しを求めます。高齢の親が通院に困っているからです。",
    ]
    labels = group(texts).labels
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]


def test_precision_and_recall_on_a_small_generated_corpus():
    texts, truth = generate(2000, campaigns=4, seed=11)
    precision, recall = pair_scores(truth, group(texts).labels)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_pair_scores_against_hand_counts():
    # truth: {0,1,2} {3}; predicted: {0,1} {2,3}: pairs found 2, correct 1, real 3.
    precision, recall = pair_scores([0, 0, 0, 1], [5, 5, 6, 6])
    assert (precision, recall) == (0.5, 1 / 3)
