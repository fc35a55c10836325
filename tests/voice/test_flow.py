"""The issue's whole path through the web client, as the people involved use it: a resident
sends a voice on the form → 広聴課 routes it to 企画課 → 企画課 drafts the answer and sends it
for approval → 広聴課 approves → the answer mail is in the outbox → 広聴課 publishes its summary
→ /voice/ shows it → the reflection is updated later and the published voice shows it. And a
telephone call entered by staff through the same path, answered by post with the printed
letter."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date, time, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.mail import OutboxMessage, build_email
from app.extensions import db
from tests.conftest import csrf_from
from tests.voice.conftest import SENDER, department_id, voice_form

TODAY = date(2026, 6, 1)
ANSWER = "ご意見ありがとうございます。〇〇公園に照明を2基増設します。"


class _Hidden(HTMLParser):
    """The hidden inputs of a page's last form, as a browser posts them back."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.values = {}
        named = dict(attrs)
        if tag == "input" and named.get("type") == "hidden" and named.get("name"):
            self.values[named["name"] or ""] = named.get("value") or ""


def hidden_fields(html: str) -> dict[str, str]:
    parser = _Hidden()
    parser.feed(html)
    return parser.values


def post_form(client: Any, page: str, url: str, prefix: str = "", **fields: Any) -> Any:
    """Open the page, then post one of its forms with the page's token, as a browser does."""
    shown = client.get(page)
    assert shown.status_code == 200, page
    name = (lambda key: f"{prefix}-{key}") if prefix else (lambda key: key)
    data = {name(key): value for key, value in fields.items()}
    data[name("csrf_token")] = csrf_from(shown.text)
    return client.post(url, data=data)


@pytest.fixture
def today(frozen: Any) -> Any:
    frozen.set_jst(TODAY, time(10, 0))
    return frozen


def answer_id_on(client: Any, voice_id: int) -> int:
    page = client.get(f"/staff/voice/{voice_id}").text
    found = re.search(r'action="/staff/voice/answers/(\d+)/approve"', page)
    assert found, "no answer waiting for approval"
    return int(found.group(1))


def route_draft_approve(
    app: Any, client: Any, auth: Any, kocho: Any, kikaku: Any, voice_id: int
) -> None:
    """広聴課 routes to 企画課, 企画課 drafts and submits, 広聴課 approves: each in their own
    session, through their pages."""
    staff_page = f"/staff/voice/{voice_id}"
    with app.app_context():
        division = department_id("kikaku")
    auth.login(kocho.email)
    assert "公園" in client.get("/staff/voice/").text  # in 広聴課's inbox
    response = post_form(
        client,
        staff_page,
        f"{staff_page}/route",
        "route",
        department_ids=[division],
        lead_id=division,
        note="公園の所管です",
    )
    assert response.status_code == 302
    auth.logout()

    auth.login(kikaku.email)
    assert client.get(staff_page).status_code == 200
    response = post_form(
        client,
        f"{staff_page}/answer",
        f"{staff_page}/answer",
        body=ANSWER,
        response_kind="done",
        reflection="planned",
        submit_for_approval="1",
    )
    assert response.status_code == 302
    auth.logout()

    auth.login(kocho.email)
    answer_id = answer_id_on(client, voice_id)
    response = post_form(
        client,
        staff_page,
        f"/staff/voice/answers/{answer_id}/approve",
        "approve",
        note="",
    )
    assert response.status_code == 302
    assert '<dd id="status">Closed with a response</dd>' in client.get(f"{staff_page}?lang=en").text


def publish_and_show(client: Any, voice_id: int, title: str) -> None:
    staff_page = f"/staff/voice/{voice_id}"
    publish_page = f"{staff_page}/publish"
    assert ANSWER in client.get(publish_page).text  # the city's view, prefilled
    response = post_form(
        client,
        publish_page,
        publish_page,
        public_title=title,
        public_summary="公園の照明を増やしてほしいという要望です。",
        public_view=ANSWER,
    )
    assert response.status_code == 302


def test_a_residents_voice_from_the_form_to_its_reflection(
    app, client, auth, plan, make_user, today
):
    kocho = make_user("staff", "kocho")
    kikaku = make_user("staff", "kikaku")

    # The resident sends the form, confirms, and gets a receipt.
    form = client.get("/voice/send")
    assert form.status_code == 200
    checked = client.post(
        "/voice/send", data={**hidden_fields(form.text), **voice_form(), "action": "confirm"}
    )
    assert checked.status_code == 200
    sent = client.post("/voice/send", data={**hidden_fields(checked.text), "action": "submit"})
    assert sent.status_code == 302
    voice_id = int(re.search(r"/voice/receipt/(\d+)", sent.headers["Location"]).group(1))

    route_draft_approve(app, client, auth, kocho, kikaku, voice_id)

    # The answer mail is in the outbox, to the sender, readable by a mail program.
    with app.app_context():
        mails = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == SENDER["email"])
            .order_by(OutboxMessage.id)
        ).all()
        answer_mail = [m for m in mails if ANSWER in m.body]
        assert len(answer_mail) == 1
        parsed = email.message_from_bytes(
            build_email(answer_mail[0]).as_bytes(), policy=email.policy.default
        )
    assert parsed.defects == []
    assert parsed["To"] == SENDER["email"]
    assert ANSWER in parsed.get_body(("plain",)).get_content()

    # 広聴課 publishes its summary; the public list and page show it, never the sender.
    publish_and_show(client, voice_id, "公園の照明の増設について")
    auth.logout()
    listing = client.get("/voice/")
    assert listing.status_code == 200
    assert "公園の照明の増設について" in listing.text
    published = client.get(f"/voice/{voice_id}")
    assert published.status_code == 200
    for marker in (SENDER["name"], SENDER["email"], SENDER["school_district"]):
        assert marker not in listing.text and marker not in published.text

    # Six weeks later the lights are up: the division records it, the public page shows it.
    today.set_jst(TODAY + timedelta(days=42), time(10, 0))
    auth.login(kikaku.email)
    staff_page = f"/staff/voice/{voice_id}"
    response = post_form(
        client,
        staff_page,
        f"{staff_page}/follow-up",
        "follow_up",
        noted_on=(TODAY + timedelta(days=40)).isoformat(),
        reflection="reflected",
        note="照明2基の設置が完了しました。",
    )
    assert response.status_code == 302
    auth.logout()
    published = client.get(f"/voice/{voice_id}")
    assert "照明2基の設置が完了しました。" in published.text


def test_a_telephone_call_entered_by_staff_answered_by_post(
    app, client, auth, plan, make_user, today
):
    kocho = make_user("staff", "kocho")
    kikaku = make_user("staff", "kikaku")
    auth.login(kocho.email)
    entry = {
        "channel": "phone",
        "received_on": (TODAY - timedelta(days=1)).isoformat(),
        "kind": "request",
        "title": "公園の照明について（電話）",
        "body": "夜の公園が暗いので照明を増やしてほしい。",
        "reply_by": "post",
        "name": "電話花子",
        "postal_code": "860-0000",
        "postal_address": "熊本市中央区手取本町1-1",
        "consent_to_publish": "y",
    }
    page = client.get("/staff/voice/new")
    response = client.post(
        "/staff/voice/new",
        data={**hidden_fields(page.text), **entry, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 302
    voice_id = int(re.search(r"/staff/voice/(\d+)$", response.headers["Location"]).group(1))
    shown = client.get(f"/staff/voice/{voice_id}").text
    assert "電話" in shown and "電話花子" in shown
    auth.logout()

    route_draft_approve(app, client, auth, kocho, kikaku, voice_id)

    # No e-mail to send: the letter page prints the answer for the post.
    with app.app_context():
        mailed = sa.select(sa.func.count()).where(OutboxMessage.body.contains(ANSWER))
        assert db.session.scalar(mailed) == 0
    letter = client.get(f"/staff/voice/{voice_id}/letter?lang=ja")
    assert letter.status_code == 200
    assert letter.headers["Cache-Control"] == "no-store"
    assert ANSWER in letter.text
    assert "熊本市中央区手取本町1-1" in letter.text and "電話花子 様" in letter.text
    assert "令和8年(2026年)6月1日" in letter.text  # the date in the city's format
    assert "企画課" in letter.text

    publish_and_show(client, voice_id, "公園の照明について")
    auth.logout()
    assert "公園の照明について" in client.get("/voice/").text
