"""Staff decisions about comment groups (issue 24): a merge, a split ("not part of this
campaign") and a confirmed paraphrase are kept, applied after every grouping run and audited;
each member's reason is stored and shown on the group's page.

The tests that need reasons replace the grouping algorithm with a stand-in that returns them
(the algorithm is tested in test_grouping.py and bench/); the others run the real one, whose
reasons may be absent, and check reason text only where a reason was stored."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.extensions import db
from app.public_comment import services
from app.public_comment.grouping import Grouping, Reason
from app.public_comment.models import (
    Comment,
    CommentCase,
    CommentCluster,
    CommentGroup,
    GroupingAction,
    GroupingEdit,
)
from app.public_comment.services import apply_grouping_decisions, group_comments
from tests.conftest import count_statements, csrf_from, submit
from tests.public_comment.fixtures import post_comment

CAMPAIGN = "公園を充実させてほしい。子どもが安心して遊べる場所が少ないからです。図書館も必要です。"
VARIANT = CAMPAIGN.replace("少ない", "すくない")
PARAPHRASE = "子どもたちが安全に遊べる公園をもっと整えてください。図書館もあるとうれしいです。"
BUS = "バス停を増やしてください。夜も走らせて。"
OTHER = "図書館の開館時間を延ばしてほしい。"


def _case(client, make_case, bodies):
    case_id = make_case()
    for n, body in enumerate(bodies):
        post_comment(client, case_id, {"name": f"市民{n}", "body": body}, token=f"t{n}")
    return case_id


def _ids(app, case_id):
    """Comment ids and receipt codes in receipt order."""
    with app.app_context():
        return db.session.execute(
            sa.select(Comment.id, Comment.receipt_code)
            .where(Comment.case_id == case_id)
            .order_by(Comment.receipt_number)
        ).all()


def _groups(app, case_id):
    """The case's groups as sets of comment ids, largest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Comment.group_id, Comment.id).where(
                Comment.case_id == case_id, Comment.group_id.is_not(None)
            )
        ).all()
    members: dict[int, set[int]] = {}
    for group_id, comment_id in rows:
        members.setdefault(group_id, set()).add(comment_id)
    return sorted(members.values(), key=len, reverse=True)


def _group_of(app, comment_id):
    with app.app_context():
        return db.session.get(Comment, comment_id).group_id


def _run(client, case_id):
    """Group the case from the staff page, as staff do (small cases run at once)."""
    url = f"/staff/public-comments/{case_id}/groups"
    response = submit(client, url, {}, page=url)
    assert response.status_code == 302


def _act(client, group_id, field, comment_id, **kwargs):
    """Press a member's button on the group's page (confirm-comment_id or split-comment_id)."""
    url = f"/staff/public-comments/groups/{group_id}"
    token = csrf_from(client.get(url).text)
    return client.post(url, data={"campaign-csrf_token": token, field: comment_id}, **kwargs)


def _regroup_entries(app):
    with app.app_context():
        return db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "public_comment.regroup")
            .order_by(AuditEntry.id)
        ).all()


class StandIn:
    """A grouping algorithm that labels texts by a rule and gives the reasons the contract
    names, so that the pages and decisions are tested whatever the real algorithm finds."""

    def __init__(self, rules):
        self.rules = rules  # text -> (label key, Reason | None)

    def __call__(self, texts, threshold=0.75):
        keys: dict[object, int] = {}
        labels, reasons = [], []
        for index, text in enumerate(texts):
            key, reason = self.rules(text)
            label = keys.setdefault(key if key is not None else ("alone", index), len(keys))
            labels.append(label)
            reasons.append(reason)
        # The first text of each label is the anchor: no reason.
        seen: set[int] = set()
        for index, label in enumerate(labels):
            if label not in seen:
                seen.add(label)
                reasons[index] = None
        return Grouping(labels=labels, reasons=reasons)


SENTENCES = ("公園を充実させてほしい。", "子どもが安心して遊べる場所が", "図書館も必要です。")
WORDS = ("公園", "子ども", "遊べる", "図書館")


def _campaign_rules(paraphrase_joins=True):
    def rules(text):
        if text == CAMPAIGN:
            return "park", Reason("identical", 1.0)
        if text == VARIANT:
            return "park", Reason("sentences", 0.8, (*SENTENCES, "もう一文。", "最後の一文。"))
        if text == PARAPHRASE:
            if paraphrase_joins:
                return "park", Reason("paraphrase", 0.42, WORDS)
            return None, None
        if text == BUS:
            return "bus", Reason("identical", 1.0)
        return None, None

    return rules


# Decisions kept across runs ---------------------------------------------------------------


def test_a_staff_merge_survives_regrouping_and_each_run_names_it_in_the_audit_log(
    app, client, make_case, login_as, no_rate_limit
):
    # Identical copies: grouped by any version of the algorithm.
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, CAMPAIGN, BUS, BUS, OTHER])
    ids = _ids(app, case_id)
    park = {ids[0].id, ids[1].id, ids[2].id}
    bus = {ids[3].id, ids[4].id}
    staff = login_as("staff", "kikaku")
    _run(client, case_id)
    assert _groups(app, case_id) == [park, bus]
    big, small = _group_of(app, ids[0].id), _group_of(app, ids[3].id)
    url = f"/staff/public-comments/groups/{big}"
    submit(client, url, {"merge-group_id": small}, page=url)
    assert _groups(app, case_id) == [park | bus]
    page = client.get(url + "?lang=en").text
    assert page.count(f"Merged into this group by {staff.display_name} on") == 2
    with app.app_context():
        moved = db.session.scalars(sa.select(Comment).where(Comment.id.in_(bus))).all()
        assert [c.group_reason for c in moved] == [None, None]  # the merge is their reason
    _run(client, case_id)
    _run(client, case_id)
    # The run alone would part them again; the staff's merge keeps them one group, twice.
    assert _groups(app, case_id) == [park | bus]
    entries = _regroup_entries(app)
    assert len(entries) == 3  # one per run: before the merge, and two after
    assert "no staff decisions to apply" in entries[0].summary
    for entry in entries[1:]:
        assert entry.actor_id == staff.id and entry.object_id == str(case_id)
        bus_codes = sorted(code for i, code in ids if i in bus)
        assert f"merged with {ids[0].receipt_code} by {staff.display_name}" in entry.summary
        assert "2 changed the run's groups" in entry.summary
        (decision,) = entry.after["decisions"]
        assert decision["decision"] == "merge" and decision["by"] == staff.id
        assert sorted(decision["comments"]) == bus_codes
        assert sorted(decision["changed_the_run"]) == bus_codes


def test_a_staff_split_survives_regrouping(app, client, make_case, login_as, no_rate_limit):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, CAMPAIGN, CAMPAIGN, OTHER])
    ids = _ids(app, case_id)
    staff = login_as("staff", "kikaku")
    _run(client, case_id)
    group_id = _group_of(app, ids[0].id)
    taken = ids[3]
    response = _act(client, group_id, "split-comment_id", taken.id)
    assert response.status_code == 302
    assert _group_of(app, taken.id) is None
    with app.app_context():
        edit = db.session.scalar(sa.select(GroupingEdit))
        # Split from the group's representative: later runs keep the two apart.
        assert (edit.action, edit.comment_id) == (GroupingAction.SPLIT, taken.id)
        assert edit.with_comment_id == db.session.get(CommentGroup, group_id).representative_id
        split = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "public_comment.split")
        )
        assert split.summary.startswith(f"{taken.receipt_code} taken out of group")
    _run(client, case_id)
    _run(client, case_id)
    # The same text as the others, yet it does not rejoin them.
    assert _groups(app, case_id) == [{ids[0].id, ids[1].id, ids[2].id}]
    assert _group_of(app, taken.id) is None
    last = _regroup_entries(app)[-1]
    assert f"{taken.receipt_code} (split from" in last.summary
    assert f"by {staff.display_name})" in last.summary
    assert last.after["decisions"][0]["changed_the_run"] == [taken.receipt_code]


def test_the_representative_taken_out_stays_out_and_the_rest_stay_together(
    app, client, make_case, login_as, no_rate_limit
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, CAMPAIGN, OTHER])
    ids = _ids(app, case_id)
    login_as("staff", "kikaku")
    _run(client, case_id)
    group_id = _group_of(app, ids[0].id)
    with app.app_context():
        representative = db.session.get(CommentGroup, group_id).representative_id
    _act(client, group_id, "split-comment_id", representative)
    rest = {i for i, _code in ids[:3]} - {representative}
    assert _groups(app, case_id) == [rest]
    _run(client, case_id)
    assert _groups(app, case_id) == [rest]


def test_a_later_decision_on_the_same_comment_wins(app, client, make_case, login_as, no_rate_limit):
    """Merged with a group, then taken out of it: out, after any number of runs."""
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, BUS, BUS, OTHER])
    ids = _ids(app, case_id)
    login_as("staff", "kikaku")
    _run(client, case_id)
    big, small = _group_of(app, ids[0].id), _group_of(app, ids[2].id)
    submit(
        client,
        f"/staff/public-comments/groups/{big}",
        {"merge-group_id": small},
        page=f"/staff/public-comments/groups/{big}",
    )
    _act(client, big, "split-comment_id", ids[3].id)
    _run(client, case_id)
    assert _groups(app, case_id) == [{ids[0].id, ids[1].id, ids[2].id}]


def test_apply_grouping_decisions_joins_and_a_split_wins_over_a_join():
    def decision(n, action, comment, with_comment):
        return SimpleNamespace(
            id=n, action=action, comment_id=comment, with_comment_id=with_comment
        )

    ids = [10, 11, 12, 13, 14, 15]
    run = [0, 0, 0, 1, 1, 2]  # 10-12 a campaign, 13-14 another, 15 alone
    labels, applied = apply_grouping_decisions(
        ids,
        run,
        [
            decision(1, GroupingAction.MERGE, 13, 10),  # joins 13's group with 10's
            decision(2, GroupingAction.SPLIT, 14, 10),  # …but 14 was split from 10
            decision(3, GroupingAction.CONFIRM, 15, 11),  # a paraphrase kept with 11
            decision(4, GroupingAction.SPLIT, 12, 99),  # not in this run: skipped
        ],
    )
    groups = Grouping(labels=labels).groups()
    assert sorted(sorted(ids[i] for i in m) for m in groups.values()) == [[10, 11, 12, 13, 15]]
    assert [(a.decision.id, a.changed_the_run) for a in applied] == [
        (1, True),
        (2, False),  # the run had 14 apart from 10 already
        (3, True),
    ]


# Paraphrases: confirm or undo -------------------------------------------------------------


def test_a_paraphrase_is_shown_with_its_confidence_and_staff_confirm_it(
    app, client, make_case, login_as, monkeypatch, no_rate_limit
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, VARIANT, PARAPHRASE, OTHER])
    ids = _ids(app, case_id)
    paraphrase = ids[3]
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules()))
    staff = login_as("staff", "kikaku")
    _run(client, case_id)
    group_id = _group_of(app, ids[0].id)
    assert _group_of(app, paraphrase.id) == group_id
    with app.app_context():
        assert db.session.get(Comment, paraphrase.id).group_reason == {
            "kind": "paraphrase",
            "confidence": 0.42,
            "matched": list(WORDS),
        }
    listing = client.get(f"/staff/public-comments/{case_id}/groups?lang=en").text
    assert "Paraphrases to check" in listing
    page = client.get(f"/staff/public-comments/groups/{group_id}?lang=en").text
    assert "Paraphrase: lower confidence" in page and "Similarity to the campaign: 42%" in page
    assert 'class="group-member lower-confidence"' in page
    for word in WORDS:
        assert f"<li>{word}</li>" in page
    # Buttons name the comment they act on.
    assert f'Confirm it belongs<span class="visually-hidden"> {paraphrase.receipt_code}' in page
    assert (
        f'Undo: not part of this campaign<span class="visually-hidden"> {paraphrase.receipt_code}'
        in page
    )
    response = _act(client, group_id, "confirm-comment_id", paraphrase.id, follow_redirects=True)
    assert f"{paraphrase.receipt_code} is confirmed as part of the group." in response.text
    page = client.get(f"/staff/public-comments/groups/{group_id}?lang=en").text
    assert f"Confirmed as part of this group by {staff.display_name} on" in page
    members = page.split('<ol class="group-members"')[1]
    assert "Confirm it belongs" not in members and "lower-confidence" not in members
    assert "A paraphrase of the campaign. Similarity to the campaign: 42%" in members
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "public_comment.confirm")
        )
        assert entry.actor_id == staff.id
        assert entry.summary == f"{paraphrase.receipt_code} confirmed as part of group {group_id}"
        assert services.paraphrases_to_check(case_id) == {}
    # A later run that no longer finds the paraphrase keeps it: staff confirmed it.
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules(paraphrase_joins=False)))
    _run(client, case_id)
    assert _groups(app, case_id) == [{i for i, _code in ids[:4]}]
    last = _regroup_entries(app)[-1]
    assert f"{paraphrase.receipt_code} (confirmed with" in last.summary
    assert last.after["decisions"][0]["changed_the_run"] == [paraphrase.receipt_code]


def test_staff_undo_a_paraphrase_and_it_stays_out(
    app, client, make_case, login_as, monkeypatch, no_rate_limit
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, PARAPHRASE, OTHER])
    ids = _ids(app, case_id)
    paraphrase = ids[2]
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules()))
    login_as("staff", "kikaku")
    _run(client, case_id)
    group_id = _group_of(app, ids[0].id)
    with app.app_context():
        assert services.paraphrases_to_check(case_id) == {group_id: 1}
    response = _act(client, group_id, "split-comment_id", paraphrase.id)
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.get(Comment, paraphrase.id)
        assert comment.group_id is None and comment.group_reason is None
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "public_comment.split")
        )
        assert "(paraphrase undone)" in entry.summary
    _run(client, case_id)  # the stand-in finds the paraphrase again
    assert _group_of(app, paraphrase.id) is None
    assert _groups(app, case_id) == [{ids[0].id, ids[1].id}]


# The page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_group_page_shows_why_each_member_belongs(
    app, client, make_case, login_as, monkeypatch, no_rate_limit, language
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, VARIANT, PARAPHRASE])
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules()))
    login_as("staff", "kikaku")
    _run(client, case_id)
    group_id = _group_of(app, _ids(app, case_id)[0].id)
    page = client.get(f"/staff/public-comments/groups/{group_id}?lang={language}").text
    texts = {
        "en": [
            "The text the grouping compared the other members with.",
            "The campaign's text itself, apart from spacing",
            "Contains 5 of the campaign's sentences (80% of them):",
            "and 2 more sentences of the campaign.",
            "Paraphrase: lower confidence",
            "Similarity to the campaign: 42%",
            "Words it shares with the campaign:",
            "A paraphrase is found with lower confidence: confirm it, or take it out",
        ],
        "ja": [
            "グループの他の意見を比べる基準にした文面です。",
            "もとの文面と同じです。",
            "もとの文面の文のうち5文(80%)を含みます:",
            "ほか2文",
            "言い換え:確度低",
            "もとの文面との類似度:42%",
        ],
    }[language]
    for text in texts:
        assert text in page, text
    # The matched sentences, three of them, in a list.
    for sentence in SENTENCES:
        assert f"<li>{sentence}</li>" in page
    assert "<li>もう一文。</li>" not in page
    assert page.count('<h3 class="member-heading">') == 4


def test_the_page_shows_reasons_the_real_algorithm_gives_when_it_gives_them(
    app, client, make_case, login_as, no_rate_limit
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, VARIANT, OTHER])
    login_as("staff", "kikaku")
    _run(client, case_id)
    ids = _ids(app, case_id)
    group_id = _group_of(app, ids[0].id)
    page = client.get(f"/staff/public-comments/groups/{group_id}?lang=en").text
    with app.app_context():
        reasons = db.session.scalars(
            sa.select(Comment.group_reason).where(Comment.group_id == group_id)
        ).all()
    shown = {
        "identical": "The campaign's text itself",
        "sentences": "of the campaign's sentences",
        "paraphrase": "Paraphrase: lower confidence",
        "anchor": "The text the grouping compared the other members with.",
    }
    kinds = {reason["kind"] for reason in reasons if reason}
    assert ("A paraphrase is found with lower confidence" in page) == ("paraphrase" in kinds)
    for reason in reasons:
        if reason is None:
            assert "Nearly the same wording as the rest of the group." in page
        else:
            assert shown[reason["kind"]] in page


def test_the_group_pages_cost_a_fixed_number_of_statements(
    app, client, make_case, login_as, monkeypatch, no_rate_limit
):
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules()))
    login_as("staff", "kikaku")
    counts = []
    for copies in (2, 7):
        bodies = [CAMPAIGN] * copies + [VARIANT] * copies + [PARAPHRASE, BUS, BUS, OTHER]
        case_id = _case(client, make_case, bodies)
        _run(client, case_id)
        ids = _ids(app, case_id)
        group_id = _group_of(app, ids[0].id)
        _act(client, group_id, "confirm-comment_id", ids[2 * copies].id)
        submit(
            client,
            f"/staff/public-comments/groups/{group_id}",
            {"merge-group_id": _group_of(app, ids[-2].id)},
            page=f"/staff/public-comments/groups/{group_id}",
        )
        pages = (
            f"/staff/public-comments/groups/{group_id}",
            f"/staff/public-comments/{case_id}/groups",
        )
        client.get(pages[0])  # warm: the first request loads the catalogue
        row = []
        for url in pages:
            with app.app_context(), count_statements() as statements:
                assert client.get(url).status_code == 200
            row.append(len(statements))
        counts.append(row)
    assert counts[0] == counts[1], counts


# Who may act, and bad input ---------------------------------------------------------------


def test_only_the_cases_staff_see_and_change_groups(
    app, client, make_case, login_as, auth, monkeypatch, no_rate_limit
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, PARAPHRASE])
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules()))
    with app.app_context():
        group_comments(case_id)
    ids = _ids(app, case_id)
    group_id = _group_of(app, ids[0].id)
    url = f"/staff/public-comments/groups/{group_id}"
    # Not logged in: to the login page, nothing changed.
    response = client.post(url, data={"confirm-comment_id": ids[2].id})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(url).status_code == 302
    login_as("citizen")
    assert client.get(url).status_code == 403
    assert client.post(url, data={"split-comment_id": ids[2].id}).status_code in (400, 403)
    auth.logout()
    login_as("staff", "somu")  # another division
    assert client.get(url).status_code == 403
    token = csrf_from(client.get("/").text)
    response = client.post(url, data={"campaign-csrf_token": token, "split-comment_id": ids[2].id})
    assert response.status_code == 403
    assert client.get(f"/staff/public-comments/{case_id}/groups").status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(GroupingEdit.id))) == 0
    assert _group_of(app, ids[2].id) == group_id


def test_bad_or_stale_input_changes_nothing(
    app, client, make_case, login_as, monkeypatch, no_rate_limit
):
    case_id = _case(client, make_case, [CAMPAIGN, CAMPAIGN, PARAPHRASE, OTHER])
    monkeypatch.setattr(services, "group", StandIn(_campaign_rules()))
    login_as("staff", "kikaku")
    _run(client, case_id)
    ids = _ids(app, case_id)
    group_id = _group_of(app, ids[0].id)
    url = f"/staff/public-comments/groups/{group_id}"
    # Without the form's token: nothing happens.
    client.post(url, data={"confirm-comment_id": ids[2].id})
    # A comment outside the group, an id that is no number, none at all.
    assert _act(client, group_id, "confirm-comment_id", ids[3].id).status_code == 400
    assert _act(client, group_id, "split-comment_id", "x").status_code == 400
    assert _act(client, group_id, "confirm-comment_id", "").status_code == 400
    # The representative is not confirmed against itself.
    with app.app_context():
        representative = db.session.get(CommentGroup, group_id).representative_id
    response = _act(client, group_id, "confirm-comment_id", representative, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(GroupingEdit.id))) == 0


def test_a_comment_in_no_topic_keeps_no_cluster(app, client, make_case, monkeypatch, no_rate_limit):
    from app.public_comment.grouping import Topics

    case_id = _case(client, make_case, [OTHER, BUS, "街灯を増やしてほしい。"])
    monkeypatch.setattr(
        services, "topics", lambda texts: Topics(labels=[0, 0, -1], terms=[["図書館"]])
    )
    with app.app_context():
        group_comments(case_id)
        clusters = dict(
            db.session.execute(
                sa.select(Comment.receipt_number, Comment.cluster_id).where(
                    Comment.case_id == case_id
                )
            ).all()
        )
        assert db.session.scalar(sa.select(CommentCluster.size)) == 2
    assert sorted(clusters.values(), key=lambda v: v is None)[-1] is None
    assert sum(1 for v in clusters.values() if v is not None) == 2


def test_the_demo_case_shows_its_campaign_grouped_with_reasons(app, client, plan, login_as):
    """The demo's closed case received a campaign (letters with greetings, signatures, a
    dropped sentence, two reworded letters) and comments of their own: loading it groups them,
    and the division's staff see on the group page why each letter belongs."""
    from app.public_comment.demo import campaign_letters, load_demo

    with app.app_context():
        load_demo()
        case_id = db.session.scalar(
            sa.select(CommentCase.id).where(
                CommentCase.title == "審議会等の設置及び運営に関する指針の改正案"
            )
        )
        sizes = db.session.scalars(
            sa.select(CommentGroup.size)
            .where(CommentGroup.case_id == case_id)
            .order_by(CommentGroup.size.desc())
        ).all()
        reasons = db.session.scalars(
            sa.select(Comment.group_reason).where(
                Comment.case_id == case_id, Comment.group_reason.is_not(None)
            )
        ).all()
        largest = db.session.scalar(
            sa.select(CommentGroup.id)
            .where(CommentGroup.case_id == case_id)
            .order_by(CommentGroup.size.desc())
            .limit(1)
        )
    # The campaign's fourteen letters and two reworded ones; 「改正案に賛成です。」 twice.
    assert len(campaign_letters()) == 21 and sizes == [16, 2]
    reasons = [r for r in reasons if r]  # a comment in no group keeps a JSON null
    kinds = sorted(r["kind"] for r in reasons)
    assert kinds.count("paraphrase") == 2 and "sentences" in kinds and "identical" in kinds
    matched = [s for r in reasons if r["kind"] == "sentences" for s in r["matched"]]
    assert matched and not any("氏名" in s or "電話" in s for s in matched)

    login_as("staff", "gyosei-keiei")
    page = client.get(f"/staff/public-comments/groups/{largest}?lang=ja")
    assert page.status_code == 200
    assert "言い換え" in page.text and "もとの文面の文のうち" in page.text
