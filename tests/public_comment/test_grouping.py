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


CAMPAIGN = "公園を充実させてほしい。子どもが安心して遊べる場所が少ないからです。図書館も必要です。"


def _campaign_case(client, make_case, copies=5):
    from tests.public_comment.fixtures import post_comment

    case_id = make_case()
    for n in range(copies):
        body = CAMPAIGN if n % 2 == 0 else CAMPAIGN.replace("少ない", "すくない")
        post_comment(client, case_id, {"name": f"市民{n}", "body": body}, token=f"c{n}")
    post_comment(
        client, case_id, {"name": "独立", "body": "バス路線の見直しを求めます。"}, token="other"
    )
    return case_id


def test_cli_groups_a_case_and_staff_answer_the_whole_group(
    app, client, make_case, frozen, runner, login_as, no_rate_limit
):
    import sqlalchemy as sa

    from app.core.dispositions import Disposition
    from app.extensions import db
    from app.public_comment.models import CommentGroup
    from app.public_comment.services import coverage
    from tests.conftest import submit

    case_id = _campaign_case(client, make_case)
    result = runner.invoke(args=["public-comments", "group", str(case_id)])
    assert result.exit_code == 0 and "1 groups" in result.output, result.output
    with app.app_context():
        group_id, size = db.session.execute(sa.select(CommentGroup.id, CommentGroup.size)).one()
        explained = db.session.scalar(
            sa.select(Disposition.id).where(Disposition.code == "explained")
        )
    assert size == 5
    frozen.set_jst(__import__("datetime").date(2024, 11, 5), __import__("datetime").time(9))
    login_as("staff", "kikaku")
    page = client.get(f"/staff/public-comments/groups/{group_id}?lang=en").text
    assert "<ins>" in page and "<del>" in page  # differences highlighted
    submit(
        client,
        f"/staff/public-comments/{case_id}/summaries/new",
        {
            "summary": "公園の充実",
            "city_view": "検討します",
            "disposition_id": explained,
            "section_id": "0",
        },
    )
    with app.app_context():
        from app.public_comment.models import OpinionSummary

        summary_id = db.session.scalar(sa.select(OpinionSummary.id))
        assert coverage(case_id).answered == 0
    response = submit(
        client, f"/staff/public-comments/groups/{group_id}", {"assign-summary_id": summary_id}
    )
    assert response.status_code == 302
    with app.app_context():
        cover = coverage(case_id)
        assert (cover.total, cover.answered, cover.open) == (6, 5, 1)


def test_a_campaign_is_published_once_with_its_size(
    app, client, make_case, frozen, login_as, no_rate_limit
):
    import sqlalchemy as sa

    from app.extensions import db
    from app.public_comment.models import CommentGroup
    from app.public_comment.services import group_comments
    from tests.conftest import submit
    from tests.public_comment.test_public_pages import _publish

    case_id = _campaign_case(client, make_case)
    with app.app_context():
        group_comments(case_id)
        group_id = db.session.scalar(sa.select(CommentGroup.id))
    login_as("staff", "kikaku")
    submit(client, f"/staff/public-comments/groups/{group_id}", {"campaign-note": ""})
    frozen.set_jst(__import__("datetime").date(2024, 11, 5), __import__("datetime").time(9))
    _publish(app, case_id)
    results = app.test_client().get(f"/public-comments/{case_id}/results?lang=en").text
    assert "5 comments of the same content" in results
    assert results.count("公園を充実させてほしい") == 1
    assert "バス路線の見直しを求めます。" in results
    # Grouping again keeps the staff's campaign label.
    with app.app_context():
        group_comments(case_id)
        assert db.session.scalar(sa.select(CommentGroup.is_campaign)) is True


def test_staff_page_groups_small_cases_and_sends_large_ones_to_the_cli(
    app, client, make_case, login_as, no_rate_limit
):
    from tests.conftest import submit

    case_id = _campaign_case(client, make_case)
    login_as("staff", "kikaku")
    url = f"/staff/public-comments/{case_id}/groups"
    submit(client, url, {}, page=url)
    assert "5 of 6 comments are in 1 groups" in client.get(url + "?lang=en").text
    app.config["GROUPING_SYNC_LIMIT"] = 3
    response = submit(client, url + "?lang=en", {}, page=url, follow_redirects=True)
    assert "has been queued" in response.text


def test_staff_split_and_merge_groups_and_see_counts_per_section(
    app, client, make_case, login_as, no_rate_limit
):
    import sqlalchemy as sa

    from app.extensions import db
    from app.public_comment.models import Comment, CommentGroup
    from app.public_comment.services import group_comments
    from tests.conftest import submit
    from tests.public_comment.fixtures import post_comment

    case_id = _campaign_case(client, make_case)
    for n in range(2):
        post_comment(
            client,
            case_id,
            {"name": f"別{n}", "body": "バス停を増やしてください。夜も走らせて。"},
            token=f"b{n}",
        )
    with app.app_context():
        group_comments(case_id)
        groups = db.session.execute(
            sa.select(CommentGroup.id, CommentGroup.size).order_by(CommentGroup.size.desc())
        ).all()
        member = db.session.scalar(
            sa.select(Comment.id)
            .where(Comment.group_id == groups[0][0])
            .order_by(Comment.receipt_number.desc())
        )
    assert [size for _id, size in groups] == [5, 2]
    login_as("staff", "kikaku")
    big, small = groups[0][0], groups[1][0]
    url = f"/staff/public-comments/groups/{big}"
    submit(client, url, {"campaign-note": "", "split-comment_id": member}, page=url)
    with app.app_context():
        assert db.session.get(CommentGroup, big).size == 4
        assert db.session.get(Comment, member).group_id is None
    submit(client, url, {"merge-group_id": small}, page=url)
    with app.app_context():
        assert db.session.get(CommentGroup, big).size == 6
        assert db.session.get(CommentGroup, small) is None
    page = client.get(f"/staff/public-comments/{case_id}/groups?lang=en").text
    assert "Comments per part of the draft" in page and "The draft as a whole" in page


def test_topics_gather_comments_on_the_same_subject():
    from app.public_comment.grouping import topics

    texts = [
        f"災害時の避難所が足りません。地区{n}の防災訓練を増やしてください。" for n in range(8)
    ] + [f"図書館の開館時間を延ばしてほしい。{n}階の自習室も広げてください。" for n in range(8)]
    found = topics(texts, clusters=2)
    assert len(set(found.labels[:8])) == 1 and len(set(found.labels[8:])) == 1
    assert found.labels[0] != found.labels[8]
    words = " ".join(" ".join(t) for t in found.terms)
    assert "避難所" in words and "図書館" in words


def test_large_cases_are_queued_and_the_job_reports_progress(
    app, client, make_case, login_as, runner, no_rate_limit
):
    import sqlalchemy as sa

    from app.extensions import db
    from app.public_comment.models import CommentCluster, CommentGroup, GroupingJob
    from tests.conftest import submit
    from tests.public_comment.fixtures import post_comment

    case_id = _campaign_case(client, make_case)
    others = [
        "図書館の開館時間を延ばしてほしい。",
        "図書館の自習室を広げてください。",
        "夜間の街灯を増やして安全にしてほしい。",
    ]
    for n, body in enumerate(others):
        post_comment(client, case_id, {"name": f"別{n}", "body": body}, token=f"l{n}")
    app.config["GROUPING_SYNC_LIMIT"] = 3
    login_as("staff", "kikaku")
    url = f"/staff/public-comments/{case_id}/groups"
    submit(client, url, {}, page=url)
    page = client.get(url + "?lang=en").text
    assert "queued" in page and 'http-equiv="refresh"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CommentGroup.id))) == 0
    result = runner.invoke(args=["public-comments", "work"])
    assert result.exit_code == 0 and "1 grouping jobs done" in result.output
    with app.app_context():
        job = db.session.scalar(sa.select(GroupingJob))
        assert (job.status.value, job.progress) == ("done", 100)
        assert db.session.scalar(sa.select(sa.func.count(CommentGroup.id))) >= 1
        assert db.session.scalar(sa.select(sa.func.count(CommentCluster.id))) >= 1
        cluster_id = db.session.scalar(sa.select(CommentCluster.id))
    page = client.get(url + "?lang=en").text
    assert "Topics of the other comments" in page and 'http-equiv="refresh"' not in page
    assert client.get(f"/staff/public-comments/clusters/{cluster_id}").status_code == 200


def test_a_grouping_run_keeps_staff_edits_and_says_so_in_the_audit_log(
    app, client, make_case, login_as, no_rate_limit
):
    """Staff take a comment out of a group and merge two groups; a new run would regroup them
    as before, but the staff's decisions are applied to its groups, and its audit entry names
    the comments, the decisions, who made them and which of them changed the run's groups.
    The decisions stay: a run after that applies them again and says so again."""
    import sqlalchemy as sa

    from app.core.audit import AuditEntry
    from app.extensions import db
    from app.public_comment.models import Comment, CommentGroup
    from app.public_comment.services import group_comments
    from tests.conftest import submit
    from tests.public_comment.fixtures import post_comment

    case_id = _campaign_case(client, make_case)
    for n in range(2):
        post_comment(
            client,
            case_id,
            {"name": f"別{n}", "body": "バス停を増やしてください。夜も走らせて。"},
            token=f"b{n}",
        )
    with app.app_context():
        group_comments(case_id)
        big, small = db.session.scalars(
            sa.select(CommentGroup.id).order_by(CommentGroup.size.desc())
        ).all()
        split_out = db.session.scalar(
            sa.select(Comment).where(Comment.group_id == big).order_by(Comment.id.desc())
        )
        split_code = split_out.receipt_code
        bus_codes = sorted(
            db.session.scalars(sa.select(Comment.receipt_code).where(Comment.group_id == small))
        )
    staff = login_as("staff", "kikaku")
    url = f"/staff/public-comments/groups/{big}"
    submit(client, url, {"campaign-note": "", "split-comment_id": split_out.id}, page=url)
    submit(client, url, {"merge-group_id": small}, page=url)
    url = f"/staff/public-comments/{case_id}/groups"
    submit(client, url, {}, page=url)  # the staff page runs small cases at once
    with app.app_context():
        sizes = db.session.scalars(sa.select(CommentGroup.size)).all()
        assert sizes == [6]  # the campaign's other four with the two merged; one out
        assert (
            db.session.scalar(sa.select(Comment.group_id).where(Comment.id == split_out.id)) is None
        )
        entry = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "public_comment.regroup")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.actor_id == staff.id and entry.object_id == str(case_id)
        assert "applied 3 staff decisions (3 changed the run's groups)" in entry.summary
        assert f"{split_code} (split from" in entry.summary
        for code in bus_codes:
            assert code in entry.summary
        assert "merged with" in entry.summary and f"by {staff.display_name})" in entry.summary
        split, merge = entry.after["decisions"]
        assert (split["decision"], split["comments"], split["by"]) == (
            "split",
            [split_code],
            staff.id,
        )
        assert (merge["decision"], sorted(merge["changed_the_run"])) == ("merge", bus_codes)
        group_comments(case_id)  # a run by the CLI: no actor, the same decisions applied
        runs = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "public_comment.regroup")
            .order_by(AuditEntry.id)
        ).all()
        assert len(runs) == 3 and runs[-1].actor_id is None
        assert runs[-1].after["decisions"] == entry.after["decisions"]
        assert db.session.scalars(sa.select(CommentGroup.size)).all() == [6]


def test_two_grouping_workers_at_once_run_each_job_once(
    app, client, make_case, another_app, no_rate_limit, capsys
):
    """Two `flask public-comments work` runs at once (cron on two hosts): the queued job is
    run by one of them, once."""
    import re

    import sqlalchemy as sa

    from app.extensions import db
    from app.public_comment.models import CommentGroup, GroupingJob, JobStatus
    from app.public_comment.services import request_grouping
    from tests.conftest import run_at_once, run_cli

    case_id = _campaign_case(client, make_case)
    with app.app_context():
        request_grouping(None, case_id)
    hosts = [another_app(dict(app.config)), another_app(dict(app.config))]
    capsys.readouterr()

    def host(number, go):
        go()
        run_cli(hosts[number], "public-comments", "work")

    run_at_once(2, host)
    done = re.findall(r"(\d+) grouping jobs done", capsys.readouterr().out)
    assert sorted(done) == ["0", "1"]
    with app.app_context():
        job = db.session.scalar(sa.select(GroupingJob))
        assert job.status is JobStatus.DONE and job.claimed_by
        assert db.session.scalar(sa.select(sa.func.count(CommentGroup.id))) == 1
