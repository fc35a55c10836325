"""A group's page in a real browser (issue 24), on a phone (390 px) and a desktop (1280 px), in
Japanese and English: each member says why it belongs (matched sentences, or a paraphrase with
its confidence and shared words, marked lower confidence), staff confirm one paraphrase and
undo another with buttons named by the comment; axe-core finds no violation before and after,
and no page scrolls sideways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.public_comment import services
from app.public_comment.models import Comment, CommentGroup
from tests.e2e.conftest import check_a11y, login, visit
from tests.public_comment.fixtures import post_comment
from tests.public_comment.test_grouping_decisions import (
    BUS,
    CAMPAIGN,
    PARAPHRASE,
    VARIANT,
    StandIn,
    _campaign_rules,
)

WIDTHS = (390, 1280)
SECOND_PARAPHRASE = PARAPHRASE.replace("うれしい", "助かります")


def _rules(text):
    if text == SECOND_PARAPHRASE:
        return _campaign_rules()(PARAPHRASE)
    return _campaign_rules()(text)


@pytest.fixture
def grouped(app, client, make_case, monkeypatch, no_rate_limit):
    """A campaign with a copy, a variant and two paraphrases, and a group of two others."""
    case_id = make_case()
    bodies = [CAMPAIGN, CAMPAIGN, VARIANT, PARAPHRASE, SECOND_PARAPHRASE, BUS, BUS]
    for n, body in enumerate(bodies):
        post_comment(client, case_id, {"name": f"市民{n}", "body": body}, token=f"e{n}")
    monkeypatch.setattr(services, "group", StandIn(_rules))
    with app.app_context():
        services.group_comments(case_id)
        codes = db.session.scalars(
            sa.select(Comment.receipt_code)
            .where(Comment.case_id == case_id)
            .order_by(Comment.receipt_number)
        ).all()
        group_id = db.session.scalar(
            sa.select(CommentGroup.id).order_by(CommentGroup.size.desc()).limit(1)
        )
    return case_id, group_id, codes


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_see_why_members_belong_and_confirm_or_undo_a_paraphrase(
    page, grouped, make_user, width
):
    case_id, group_id, codes = grouped
    staff = make_user("staff", "kikaku")
    page.set_viewport_size({"width": width, "height": 900})
    login(page, staff.email)
    group_page = f"/staff/public-comments/groups/{group_id}"
    for language in ("ja", "en"):
        visit(page, f"/staff/public-comments/{case_id}/groups", language)
        no_sideways_scroll(page, width)
        visit(page, group_page, language)
        no_sideways_scroll(page, width)
    # English now (the last visit): the reasons, in lists under each member's heading.
    members = page.locator("ol.group-members > li")
    expect(members).to_have_count(5)
    expect(page.get_by_role("heading", level=3)).to_have_count(5)
    expect(page.locator(".matched-sentences li")).to_have_count(3)
    expect(page.locator(".badge.lower-confidence")).to_have_count(2)
    expect(members.filter(has_text=codes[3])).to_contain_text("Similarity to the campaign: 42%")
    # Confirm the first paraphrase, by its button's accessible name.
    page.get_by_role("button", name=f"Confirm it belongs {codes[3]}").click()
    expect(page.locator(".flash.success")).to_contain_text(codes[3])
    expect(members.filter(has_text=codes[3])).to_contain_text("Confirmed as part of this group by")
    expect(page.locator(".badge.lower-confidence")).to_have_count(1)
    check_a11y(page)
    no_sideways_scroll(page, width)
    # Undo the second: it leaves the group.
    page.get_by_role("button", name=f"Undo: not part of this campaign {codes[4]}").click()
    expect(page.locator(".flash.success")).to_contain_text(codes[4])
    expect(members).to_have_count(4)
    expect(page.locator(".badge.lower-confidence")).to_have_count(0)
    check_a11y(page)
    visit(page, group_page, "ja")
    no_sideways_scroll(page, width)
    expect(page.locator("main")).to_contain_text("このグループの意見として確定しました。")
