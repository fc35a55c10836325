"""The citizen's pages of 市民の声 through the web client: the form, its confirmation step and
the receipt; corrections and refusals that keep what was typed; the sender's own page; the
published list, a published voice and the reflected ones, showing only what was published."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.i18n import JST, format_date
from app.extensions import db
from app.voice import services
from app.voice.models import (
    Reflection,
    ResponseKind,
    Voice,
    VoiceFollowUp,
    VoiceKind,
)
from tests.conftest import count_statements, csrf_from
from tests.voice.conftest import SENDER, department_id, make_voice, voice_form, ward_id

SEND = "/voice/send"


class _Hidden(HTMLParser):
    """The hidden inputs of a page's last form, as a browser would post them back."""

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


def confirm(client: Any, lang: str = "ja", files: dict | None = None, **overrides: Any) -> Any:
    """Open the form, fill it in and ask for the confirmation page."""
    page = client.get(f"{SEND}?lang={lang}")
    assert page.status_code == 200
    data = {**hidden_fields(page.text), **voice_form(**overrides), "action": "confirm"}
    data.update(files or {})
    return client.post(SEND, data=data, content_type="multipart/form-data" if files else None)


def send(client: Any, **overrides: Any) -> Any:
    """Through the confirmation page to "send"; returns the send's response (a redirect)."""
    checked = confirm(client, **overrides)
    assert checked.status_code == 200, checked.text
    return client.post(SEND, data={**hidden_fields(checked.text), "action": "submit"})


def voice_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Voice.id)))


def publish_directly(app: Any, voice_id: int, **values: Any) -> None:
    """The published columns as the publication service leaves them (the list and detail pages
    only read them; test_privacy goes through the services themselves)."""
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        voice.public_title = values.pop("public_title", f"公開された声 {voice_id}")
        voice.public_summary = values.pop("public_summary", "市がまとめた要旨です。")
        voice.public_view = values.pop("public_view", "市の考え方です。")
        voice.published_at = values.pop("published_at", datetime.now(JST))
        voice.response_kind = values.pop("response_kind", ResponseKind.EXPLAINED)
        voice.answered_at = voice.published_at
        for name, value in values.items():
            setattr(voice, name, value)
        db.session.commit()


# Sending ------------------------------------------------------------------------------------


def test_form_confirmation_and_receipt(app, client, plan, frozen):
    form = client.get(SEND)
    assert form.status_code == 200
    assert "市民の声を届ける" in form.text
    # The statistical questions are marked as such, and an answer's need for a name is said.
    assert 'name="age_band"' in form.text and 'name="school_district"' in form.text

    checked = confirm(client)
    assert checked.status_code == 200
    assert "公園の照明を増やしてください" in checked.text
    assert SENDER["email"] in checked.text  # what was typed, to check before sending
    with app.app_context():
        assert voice_count() == 0  # nothing stored before "send"

    sent = client.post(SEND, data={**hidden_fields(checked.text), "action": "submit"})
    assert sent.status_code == 302
    match = re.search(r"/voice/receipt/(\d+)$", sent.headers["Location"])
    assert match

    receipt = client.get(sent.headers["Location"])
    assert receipt.status_code == 200
    assert receipt.headers["Cache-Control"] == "no-store"
    with app.app_context():
        voice = db.session.get(Voice, int(match[1]))
        assert voice.receipt_code == "V2024-00001"
        assert voice.kind == VoiceKind.REQUEST
        assert voice.name == SENDER["name"] and voice.school_district == SENDER["school_district"]
        assert voice.consent_to_publish is True
        due = format_date(voice.due_on)
        token = services.status_token(voice)
    assert "<strong>V2024-00001</strong>" in receipt.text
    assert due in receipt.text  # the answer's due date, as the city writes dates
    assert f"/voice/status/{token}" in receipt.text

    # The receipt is the sender's: another browser is not shown it.
    assert app.test_client().get(sent.headers["Location"]).status_code == 404

    status = app.test_client().get(f"/voice/status/{token}")
    assert status.status_code == 200
    assert status.headers["Cache-Control"] == "no-store"
    assert "V2024-00001" in status.text and due in status.text


def test_correct_brings_the_form_back_filled(app, client, plan):
    checked = confirm(client, title="歩道の段差について", body="段差で車いすが通れません。")
    assert checked.status_code == 200
    back = client.post(SEND, data={**hidden_fields(checked.text), "action": "edit"})
    assert back.status_code == 200
    assert 'value="歩道の段差について"' in back.text
    assert "段差で車いすが通れません。</textarea>" in back.text
    assert f'value="{SENDER["email"]}"' in back.text
    assert re.search(r'value="request"[^>]*checked|checked[^>]*value="request"', back.text)
    with app.app_context():
        assert voice_count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": ""}, "email", "メールアドレス"),
        ({"body": ""}, "body", ""),
        ({"body": "あ" * 4001}, "body", "4001"),
        ({"reply_by": "post", "postal_address": ""}, "postal_address", ""),
        ({"reply_by": "email", "name": ""}, "name", ""),
        ({"kind": ""}, "kind", ""),
    ],
)
def test_errors_are_shown_at_the_field_and_nothing_is_stored(
    app, client, plan, overrides, field, message
):
    response = confirm(client, **overrides)
    assert response.status_code == 200
    error = re.search(rf'id="{field}-error">([^<]*)<', response.text)
    assert error, f"no error beside {field}"
    assert message in error[1]
    assert 'id="error-summary"' in response.text
    assert response.text.count(f'href="#{field}') >= 1  # the summary links to the field
    assert "<title>エラー" in response.text
    # What was typed is kept.
    assert SENDER["school_district"] in response.text
    with app.app_context():
        assert voice_count() == 0


def test_a_service_refusal_is_shown_at_its_field(app, client, plan, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise services.VoiceError("このアドレスには送れません。", "email")

    monkeypatch.setattr(services, "submit_voice", refuse)
    response = send(client)
    assert response.status_code == 200
    assert re.search(r'id="email-error">[^<]*このアドレスには送れません。', response.text)
    assert 'value="公園の照明を増やしてください"' in response.text


def test_double_submit_stores_one_voice(app, client, plan):
    checked = confirm(client)
    data = {**hidden_fields(checked.text), "action": "submit"}
    first = client.post(SEND, data=data)
    second = client.post(SEND, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert voice_count() == 1


def test_an_anonymous_voice_is_accepted_and_told_no_answer_comes(app, client, plan):
    sent = send(
        client,
        reply_by="none",
        name="",
        email="",
        phone="",
        age_band="",
        school_district="",
        consent_to_publish="",
    )
    assert sent.status_code == 302
    receipt = client.get(sent.headers["Location"])
    assert receipt.status_code == 200
    assert "回答はお送りしません" in receipt.text
    with app.app_context():
        voice = db.session.scalar(sa.select(Voice))
        assert voice.anonymous and voice.name == "" and voice.email == ""
        assert voice.age_band is None and voice.consent_to_publish is False


def test_an_account_prefills_name_and_email_and_lists_its_voices(app, client, login_as):
    user = login_as("citizen")
    form = client.get(SEND)
    assert f'value="{user.email}"' in form.text
    sent = send(client, name=user.display_name, email=user.email)
    assert sent.status_code == 302
    mine = client.get("/voice/mine")
    assert mine.status_code == 200
    assert "公園の照明を増やしてください" in mine.text
    assert mine.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.scalar(sa.select(Voice.user_id)) == user.id


def test_mine_needs_an_account(client, plan):
    assert client.get("/voice/mine").status_code == 302


def test_an_expired_token_keeps_what_was_typed(app, client, plan):
    page = client.get(SEND)
    data = {**hidden_fields(page.text), **voice_form(body="長い声" * 300), "action": "confirm"}
    data["csrf_token"] = "expired"
    response = client.post(SEND, data=data)
    assert response.status_code == 200
    assert "長い声" * 300 in response.text
    assert "有効期限" in response.text or "期限" in response.text
    # Sent again from the confirmation of that page (an expired "send" too): nothing stored.
    data["action"] = "submit"
    again = client.post(SEND, data=data)
    assert again.status_code == 200
    with app.app_context():
        assert voice_count() == 0
    fresh = csrf_from(again.text)
    ok = client.post(SEND, data={**data, "csrf_token": fresh, "action": "confirm"})
    assert ok.status_code == 200 and "送信" in ok.text


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_an_attachment_is_kept_through_the_confirmation(app, client, plan):
    checked = confirm(client, files={"attachment": (io.BytesIO(PNG), "公園の写真.png")})
    assert checked.status_code == 200
    assert "公園の写真.png" in checked.text
    # "Correct" and back again: the file stays without being chosen again.
    back = client.post(SEND, data={**hidden_fields(checked.text), "action": "edit"})
    assert "公園の写真.png" in back.text
    again = client.post(
        SEND, data={**hidden_fields(back.text), **voice_form(), "action": "confirm"}
    )
    assert "公園の写真.png" in again.text
    sent = client.post(SEND, data={**hidden_fields(again.text), "action": "submit"})
    assert sent.status_code == 302
    with app.app_context():
        voice = db.session.scalar(sa.select(Voice))
        assert voice.attachment is not None
        assert voice.attachment.original_name == "公園の写真.png"


def test_a_forged_attachment_token_attaches_nothing(app, client, plan):
    checked = confirm(client)
    data = {**hidden_fields(checked.text), "action": "submit", "attachment_token": "1.forged"}
    assert client.post(SEND, data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Voice.attachment_id)) is None


def test_a_refused_file_is_said_at_its_field(app, client, plan):
    response = confirm(client, files={"attachment": (io.BytesIO(b"MZ\x90\x00" * 10), "a.exe")})
    assert response.status_code == 200
    assert 'id="attachment-error"' in response.text
    with app.app_context():
        assert voice_count() == 0


def test_an_english_page_speaks_english(client, plan):
    page = client.get(f"{SEND}?lang=en")
    assert page.status_code == 200
    assert "Send your voice to the city" in page.text
    assert "For statistics only (optional)" in page.text


# The published voices -----------------------------------------------------------------------


def test_the_list_and_detail_show_only_published_voices(app, client, plan):
    published = make_voice(app, title="送り主の題名")
    unpublished = make_voice(app, title="公開されない題名", body="公開されない本文")
    publish_directly(app, published, public_title="公園の照明についての要望")

    listing = client.get("/voice/")
    assert listing.status_code == 200
    assert "公園の照明についての要望" in listing.text
    assert "市がまとめた要旨です。" in listing.text and "市の考え方です。" in listing.text
    assert "公開されない" not in listing.text
    assert "送り主の題名" not in listing.text  # the sender's own title is never shown
    assert f"/voice/{unpublished}" not in listing.text
    assert "/voice/send" in listing.text and "/voice/reflected" in listing.text

    detail = client.get(f"/voice/{published}")
    assert detail.status_code == 200
    assert "公園の照明についての要望" in detail.text
    assert client.get(f"/voice/{unpublished}").status_code == 404
    assert client.get("/voice/999999").status_code == 404


def test_filters(app, client, plan):
    with app.app_context():
        chuo, kita = ward_id("chuo"), ward_id("kita")
        kikaku = department_id("kikaku")
    complaint = make_voice(app, kind=VoiceKind.COMPLAINT, ward_id=chuo)
    proposal = make_voice(app, kind=VoiceKind.PROPOSAL, ward_id=kita)
    publish_directly(app, complaint, public_title="苦情の声", department_id=kikaku)
    publish_directly(app, proposal, public_title="提言の声", fiscal_year=2023)

    def titles(query: str) -> set[str]:
        response = client.get(f"/voice/?{query}")
        assert response.status_code == 200
        return {t for t in ("苦情の声", "提言の声") if t in response.text}

    assert titles("") == {"苦情の声", "提言の声"}
    assert titles("kind=complaint") == {"苦情の声"}
    assert titles(f"ward={kita}") == {"提言の声"}
    assert titles(f"department={kikaku}") == {"苦情の声"}
    assert titles("year=2023") == {"提言の声"}
    # Anything not a choice is ignored, never a server error.
    assert titles("kind=nonsense&ward=abc&year=x") == {"苦情の声", "提言の声"}


def test_the_list_costs_a_fixed_number_of_statements(app, client, plan):
    first = make_voice(app)
    publish_directly(app, first)
    client.get("/voice/")  # warm: the session's and the plan's first reads

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            response = client.get("/voice/")
            assert response.status_code == 200
        return len(seen)

    one = statements()
    with app.app_context():
        ward = ward_id("higashi")
    for number in range(29):
        voice_id = make_voice(app, ward_id=ward, topic_initiative_id=None)
        publish_directly(app, voice_id, reflection=Reflection.PLANNED)
        with app.app_context():
            db.session.add(
                VoiceFollowUp(
                    voice_id=voice_id,
                    reflection=Reflection.PLANNED,
                    note=f"経過 {number}",
                    noted_on=date(2024, 11, 1),
                )
            )
            db.session.commit()
    assert statements() == one


def test_reflected_shows_reflected_voices_with_their_follow_ups(app, client, plan):
    reflected = make_voice(app)
    noted = make_voice(app)
    publish_directly(
        app,
        reflected,
        public_title="反映された声",
        response_kind=ResponseKind.REFLECTED,
        reflection=Reflection.REFLECTED,
    )
    publish_directly(app, noted, public_title="参考にした声", response_kind=ResponseKind.NOTED)
    with app.app_context():
        db.session.add(
            VoiceFollowUp(
                voice_id=reflected,
                reflection=Reflection.REFLECTED,
                note="照明を10基増設しました。",
                noted_on=date(2024, 12, 2),
            )
        )
        db.session.commit()
        noted_on = format_date(date(2024, 12, 2))
    page = client.get("/voice/reflected")
    assert page.status_code == 200
    assert "反映された声" in page.text and "参考にした声" not in page.text
    assert "照明を10基増設しました。" in page.text and noted_on in page.text
    detail = client.get(f"/voice/{reflected}")
    assert "照明を10基増設しました。" in detail.text


def test_status_with_a_bad_token_is_not_found(client, plan):
    assert client.get("/voice/status/not-a-token").status_code == 404


def test_the_status_page_shows_an_interim_answer(app, client, plan, frozen):
    voice_id = make_voice(app)
    expected = date(2024, 11, 29)
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        token = services.status_token(voice)
        from app.voice.models import InterimAnswer

        db.session.add(
            InterimAnswer(
                voice_id=voice_id, reason="現地調査に時間がかかります。", expected_on=expected
            )
        )
        voice.expected_on = expected
        db.session.commit()
        shown = format_date(expected)
    page = client.get(f"/voice/status/{token}")
    assert page.status_code == 200
    assert "現地調査に時間がかかります。" in page.text
    assert shown in page.text


def test_the_form_is_at_its_fixed_address(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("voice.send") == SEND
        assert url_for("voice.follow_up", token="t") == "/voice/follow-up/t"


# The follow-up question ------------------------------------------------------------------------


def _closed_voice(app: Any, make_user: Any) -> int:
    """A voice answered through the services, its sender asking for the follow-up question."""
    from app.accounts.models import User

    coordinator_id = make_user("staff", "kocho").id
    division_id = make_user("staff", "kikaku").id
    voice_id = make_voice(app, follow_up_wanted=True)
    with app.app_context():
        coordinator = db.session.get(User, coordinator_id)
        voice = db.session.get(Voice, voice_id)
        kikaku = department_id("kikaku")
        services.route(coordinator, voice, [kikaku], kikaku)
        answer = services.draft_answer(
            db.session.get(User, division_id),
            voice,
            "照明の増設を検討します。",
            ResponseKind.EXPLAINED,
            submit=True,
        )
        services.approve_answer(coordinator, answer)
    return voice_id


def test_the_follow_up_question_is_answered_once(app, client, plan, make_user, frozen):
    from app.core.mail import OutboxMessage

    voice_id = _closed_voice(app, make_user)
    frozen.set(frozen.now + timedelta(days=app.config["VOICE_FOLLOW_UP_DAYS"] + 1))
    with app.app_context():
        assert services.send_follow_ups() == 1
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body).where(OutboxMessage.recipient == SENDER["email"])
        ).all()
    link = next(
        match[1] for body in bodies if (match := re.search(r"(/voice/follow-up/[\w.-]+)", body))
    )
    page = client.get(link)
    assert page.status_code == 200
    assert 'name="answer"' in page.text
    data = {"csrf_token": csrf_from(page.text), "answer": "helped"}
    thanked = client.post(link, data=data)
    assert thanked.status_code == 200
    assert "ご回答ありがとうございました。" in thanked.text
    with app.app_context():
        assert db.session.get(Voice, voice_id).follow_up_answer.value == "helped"
    again = client.post(link, data={**data, "answer": "not_helped"})
    assert again.status_code == 200
    assert 'id="already-answered"' in again.text
    assert 'id="already-answered"' in client.get(link).text
    with app.app_context():
        assert db.session.get(Voice, voice_id).follow_up_answer.value == "helped"


def test_a_follow_up_without_a_choice_is_refused_at_the_field(app, client, plan, make_user, frozen):
    from app.core.mail import OutboxMessage

    _closed_voice(app, make_user)
    frozen.set(frozen.now + timedelta(days=app.config["VOICE_FOLLOW_UP_DAYS"] + 1))
    with app.app_context():
        services.send_follow_ups()
        body = db.session.scalar(
            sa.select(OutboxMessage.body).where(OutboxMessage.body.contains("/voice/follow-up/"))
        )
    link = re.search(r"(/voice/follow-up/[\w.-]+)", body)[1]
    page = client.get(link)
    refused = client.post(link, data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 200
    assert 'id="answer-error"' in refused.text


def test_a_follow_up_link_that_is_not_one_is_not_found(client, plan):
    assert client.get("/voice/follow-up/not-a-token").status_code == 404
