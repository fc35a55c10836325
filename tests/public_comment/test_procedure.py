"""The whole procedure through the web client, and its rules."""

import re
from datetime import date, time

import sqlalchemy as sa

from app.core.audit import AuditEntry
from app.core.mail import OutboxMessage
from app.extensions import db
from app.public_comment.models import CaseStatus, Comment, CommentCase, OpinionSummary
from tests.conftest import submit
from tests.public_comment.fixtures import COMMENT, post_comment


def _status(app, case_id):
    with app.app_context():
        return db.session.get(CommentCase, case_id).status


def test_whole_procedure_draft_to_published(app, client, auth, make_user, plan, frozen):
    division = make_user("staff", "kikaku")
    kocho = make_user("staff", "kocho")
    frozen.set_jst(date(2024, 9, 1), time(10, 0))

    # The division drafts a case.
    auth.login(division.email)
    # The form offers only valid departments and initiatives: read their ids from it.
    page = client.get("/staff/public-comments/new").text
    department = re.search(r'name="department_id"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    initiative = re.search(r'<option selected value="(\d+)">8\.', page) or re.search(
        r'value="(\d+)"[^>]*>8\. ', page
    )
    response = submit(
        client,
        "/staff/public-comments/new",
        {
            "title": "熊本市参画推進計画(案)",
            "title_en": "Participation plan",
            "summary": "計画の概要",
            "purpose": "目的",
            "legal_basis": "条例",
            "department_id": department,
            "initiative_id": initiative.group(1),
            "ward_id": "0",
            "opens_on": "2024-10-01",
            "opens_time": "09:00",
            "closes_on": "2024-10-31",
            "closes_time": "23:59",
            "short_period_reason": "",
            "who_may_comment": "市民",
            "channels": ["web", "post"],
            "postal_address": "熊本市",
            "fax": "",
            "email": "",
        },
    )
    assert response.status_code == 302, response.text
    case_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    staff_page = f"/staff/public-comments/{case_id}"
    submit(
        client,
        f"{staff_page}/sections",
        {"section-heading": "第1章 趣旨", "section-body": "本文です。"},
        page=staff_page,
    )
    submit(client, f"{staff_page}/submit", {}, page=staff_page)
    assert _status(app, case_id) == CaseStatus.IN_REVIEW
    # The public cannot see it yet.
    auth.logout()
    assert client.get(f"/public-comments/{case_id}").status_code == 404

    # 広聴課 returns it once, then approves it.
    auth.login(kocho.email)
    assert "熊本市参画推進計画(案)" in client.get("/staff/public-comments/").text
    submit(
        client,
        f"{staff_page}/review",
        {"review-note": "資料の日付を直してください", "decision": "return"},
        page=staff_page,
    )
    assert _status(app, case_id) == CaseStatus.DRAFT
    auth.logout()
    auth.login(division.email)
    submit(client, f"{staff_page}/submit", {}, page=staff_page)
    auth.logout()
    auth.login(kocho.email)
    submit(
        client, f"{staff_page}/review", {"review-note": "", "decision": "approve"}, page=staff_page
    )
    assert _status(app, case_id) == CaseStatus.APPROVED
    assert "資料の日付を直してください" in client.get(staff_page).text  # history kept
    auth.logout()

    # Before opening: visible, but no comments yet.
    assert client.get(f"/public-comments/{case_id}").status_code == 200
    assert client.get(f"/public-comments/{case_id}/comment").status_code == 403

    # Open: two web comments and one by post.
    frozen.set_jst(date(2024, 10, 5), time(12, 0))
    first = post_comment(client, case_id)
    assert first.status_code == 302
    post_comment(
        client,
        case_id,
        {
            "name": "佐藤 花子",
            "email": "",
            "phone": "090-0000-0000",
            "body": "説明会を増やしてほしい。",
        },
    )
    auth.login(division.email)
    response = submit(
        client,
        f"{staff_page}/comments/new",
        {
            "channel": "post",
            "received_on": "2024-10-04",
            "late_reason": "",
            "submitter_category": "business",
            "name": "株式会社テスト",
            "address": "熊本市北区",
            "email": "",
            "phone": "096-000-0000",
            "organisation": "株式会社テスト",
            "representative": "代表 一郎",
            "section_id": "0",
            "body": "郵送の意見です。",
        },
        page=f"{staff_page}/comments/new",
    )
    assert response.status_code == 302, response.text
    auth.logout()

    # Closed: summaries cover every comment; results approved and published.
    frozen.set_jst(date(2024, 11, 5), time(10, 0))
    auth.login(division.email)
    with app.app_context():
        ids = db.session.scalars(
            sa.select(Comment.id).where(Comment.case_id == case_id).order_by(Comment.receipt_number)
        ).all()
        from app.core.dispositions import Disposition

        revised = db.session.scalar(sa.select(Disposition.id).where(Disposition.code == "revised"))
    summary_url = f"{staff_page}/summaries/new"
    submit(
        client,
        summary_url,
        {
            "summary": "参加の機会を増やすべき",
            "city_view": "反映します",
            "disposition_id": revised,
            "section_id": "0",
            "comment_ids": [str(i) for i in ids[:2]],
        },
    )
    response = submit(
        client,
        f"{staff_page}/results",
        {"results-changes": "第2章を修正", "results-decision_date": "2024-11-20"},
        page=staff_page,
    )
    assert response.status_code == 400  # one comment is not yet answered
    assert "1 comments are neither answered" in response.text or "1件" in response.text
    submit(
        client,
        f"/staff/public-comments/comments/{ids[2]}",
        {"scope-reason": "案と関係のない要望のため"},
        page=f"/staff/public-comments/comments/{ids[2]}",
    )
    response = submit(
        client,
        f"{staff_page}/results",
        {"results-changes": "第2章を修正", "results-decision_date": "2024-11-20"},
        page=staff_page,
    )
    assert response.status_code == 302
    assert _status(app, case_id) == CaseStatus.RESULTS_REVIEW
    auth.logout()
    auth.login(kocho.email)
    submit(
        client, f"{staff_page}/review", {"review-note": "", "decision": "approve"}, page=staff_page
    )
    assert _status(app, case_id) == CaseStatus.PUBLISHED
    auth.logout()

    results = client.get(f"/public-comments/{case_id}/results?lang=ja").text
    assert "参加の機会を増やすべき" in results and "反映します" in results
    assert "第2章を修正" in results
    assert "公募委員の割合を増やしてください。" in results
    assert "山田" not in results and "taro@example.jp" not in results
    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEntry.action)))
        assert {
            "public_comment.create",
            "public_comment.submitted",
            "public_comment.approved",
            "public_comment.returned",
            "public_comment.results_approved",
        } <= actions
        assert db.session.scalar(sa.select(sa.func.count(OpinionSummary.id))) == 1
        # The web submitter who gave an address got the receipt, then the notice of the results.
        assert (
            db.session.scalar(
                sa.select(sa.func.count(OutboxMessage.id)).where(
                    OutboxMessage.recipient == "taro@example.jp"
                )
            )
            == 2
        )


def test_short_period_needs_a_reason(app, client, login_as, frozen):
    login_as("staff", "kikaku")
    page = client.get("/staff/public-comments/new").text
    department = re.search(r'name="department_id"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    initiative = re.search(r'value="(\d+)"[^>]*>8\. ', page).group(1)
    data = {
        "title": "短い期間",
        "summary": "概要",
        "department_id": department,
        "initiative_id": initiative,
        "ward_id": "0",
        "opens_on": "2024-10-01",
        "opens_time": "09:00",
        "closes_on": "2024-10-14",
        "closes_time": "23:59",
        "who_may_comment": "市民",
        "channels": ["web"],
        "short_period_reason": "",
    }
    response = submit(client, "/staff/public-comments/new?lang=en", data)
    assert response.status_code == 200
    assert "The period is 14 days." in response.text
    assert 'value="短い期間"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CommentCase.id))) == 0
    response = submit(
        client,
        "/staff/public-comments/new",
        {**data, "short_period_reason": "国の法改正の施行日に間に合わせるため"},
    )
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with app.app_context():
        db.session.get(CommentCase, case_id).status = CaseStatus.APPROVED
        db.session.commit()
    assert "国の法改正の施行日に間に合わせるため" in client.get(f"/public-comments/{case_id}").text


def test_another_division_cannot_open_the_case(app, client, login_as, make_case):
    case_id = make_case("draft", department="kikaku")
    login_as("staff", "somu")
    assert client.get(f"/staff/public-comments/{case_id}").status_code == 403
    assert "熊本市テスト計画" not in client.get("/staff/public-comments/").text


def test_only_kocho_reviews(app, client, login_as, make_case):
    case_id = make_case("in_review", department="kikaku")
    login_as("staff", "kikaku")
    response = submit(
        client,
        f"/staff/public-comments/{case_id}/review",
        {"review-note": "", "decision": "approve"},
        page=f"/staff/public-comments/{case_id}",
    )
    assert response.status_code == 403
    assert _status(app, case_id) == CaseStatus.IN_REVIEW


def test_form_errors_keep_what_was_typed(client, make_case):
    case_id = make_case()
    url = f"/public-comments/{case_id}/comment?lang=en"
    response = submit(
        client,
        url,
        {
            **COMMENT,
            "name": "",
            "email": "",
            "phone": "",
            "body": "x" * 4001,
            "action": "confirm",
            "submission_token": "t1",
        },
    )
    assert response.status_code == 200
    html = response.text
    assert "Please fill in “Name”." in html
    assert "Give an e-mail address or a phone number." in html
    assert "Please enter no more than 4000 characters (now 4001)." in html
    assert "熊本市中央区手取本町1-1" in html
    assert "x" * 4001 in html


def test_html_is_shown_as_text_and_control_characters_removed(app, client, make_case):
    case_id = make_case()
    response = post_comment(client, case_id, {"body": "<script>alert(1)</script>\x07意見"})
    receipt = client.get(response.headers["Location"]).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;意見" in receipt
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.body)) == "<script>alert(1)</script>意見"


def test_receipt_is_visible_only_to_the_submitter(app, client, make_case):
    case_id = make_case()
    response = post_comment(client, case_id)
    receipt_url = response.headers["Location"]
    page = client.get(receipt_url).text
    assert re.search(rf"PC{case_id}-00001", page)
    other = app.test_client()
    assert other.get(receipt_url).status_code == 404


def test_citizen_sees_own_comments(client, make_case, login_as):
    case_id = make_case()
    login_as("citizen")
    post_comment(client, case_id)
    assert f"PC{case_id}-00001" in client.get("/public-comments/mine").text


def test_paper_comment_after_the_period_needs_a_reason(app, client, login_as, make_case, frozen):
    case_id = make_case()
    frozen.set_jst(date(2024, 11, 3), time(9, 0))
    login_as("staff", "kikaku")
    url = f"/staff/public-comments/{case_id}/comments/new"
    data = {
        "channel": "post",
        "received_on": "2024-11-02",
        "late_reason": "",
        **{k: v for k, v in COMMENT.items() if k != "consent"},
    }
    response = submit(client, url + "?lang=en", data)
    assert "Record why it is accepted." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    response = submit(client, url, {**data, "late_reason": "消印が期間内のため"})
    assert response.status_code == 302
