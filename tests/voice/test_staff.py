"""The staff pages of 市民の声 through the web client: who may open and post what (広聴課, the
divisions a voice is routed to, nobody else), the inbox a division sees, re-routing kept in the
history, the interim answer, duplicates by receipt number, an answer returned with a note,
withdrawal and republication, the template picker, staff entry, and refusals that write nothing
and keep what was typed; the inbox costs a fixed number of statements."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.core.mail import OutboxMessage
from app.extensions import db
from app.voice import services
from app.voice.models import (
    AnswerState,
    AnswerTemplate,
    InterimAnswer,
    Reflection,
    ResponseKind,
    Voice,
    VoiceAnswer,
    VoiceChannel,
    VoicePublication,
    VoiceRoute,
    VoiceStatus,
)
from tests.conftest import count_statements, csrf_from
from tests.voice.conftest import SENDER, department_id, make_voice

INBOX = "/staff/voice/"
TODAY = date(2026, 6, 1)


@pytest.fixture
def clock_set(frozen: Any) -> Any:
    frozen.set_jst(TODAY, time(10, 0))
    return frozen


def user(ns: Any) -> User:
    return db.session.get(User, ns.id)


def token(client: Any) -> str:
    """A CSRF token of this session (every page's logout form carries one)."""
    return csrf_from(client.get("/").text)


def post(client: Any, url: str, prefix: str | None = None, **fields: Any) -> Any:
    """Post a small form of the staff pages with this session's token, as the page would."""
    name = (lambda key: f"{prefix}-{key}") if prefix else (lambda key: key)
    data = {name(key): value for key, value in fields.items()}
    data[name("csrf_token")] = token(client)
    return client.post(url, data=data)


def routed(app: Any, voice_id: int, actor: Any, *codes: str, note: str = "") -> None:
    """Route through the service (the setting of a test, not what it shows)."""
    with app.app_context():
        ids = [department_id(code) for code in codes]
        services.route(user(actor), db.session.get(Voice, voice_id), ids, ids[0], note)


def answered(app: Any, voice_id: int, division: Any, approver: Any) -> None:
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        answer = services.draft_answer(
            user(division), voice, "照明を増設します。", ResponseKind.DONE, Reflection.PLANNED, True
        )
        services.approve_answer(user(approver), answer)


def get_voice(app: Any, voice_id: int) -> Voice:
    with app.app_context():
        voice = db.session.get(Voice, voice_id)
        db.session.expunge(voice)
        return voice


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Who may do what ----------------------------------------------------------------------------

POSTS = {
    "route": "route",
    "classify": "classify",
    "duplicate": "duplicate",
    "repeat": "repeat",
    "interim": "interim",
    "follow-up": "follow_up",
    "withdraw": "withdraw",
    "answer": None,
    "publish": None,
}
COORDINATOR_ONLY = ("route", "classify", "duplicate", "repeat", "withdraw", "publish")


def _everything(app: Any, voice_id: int, kocho: Any) -> list[tuple[str, str]]:
    with app.app_context():
        template = services.save_template(
            user(kocho), None, title="共通", body="ご意見ありがとうございます。", department_id=None
        )
        template_id = template.id
    gets = [
        ("GET", INBOX),
        ("GET", "/staff/voice/new"),
        ("GET", f"/staff/voice/{voice_id}"),
        ("GET", f"/staff/voice/{voice_id}/answer"),
        ("GET", f"/staff/voice/{voice_id}/publish"),
        ("GET", f"/staff/voice/{voice_id}/letter"),
        ("GET", "/staff/voice/templates"),
        ("GET", f"/staff/voice/templates/{template_id}"),
    ]
    posts = [("POST", f"/staff/voice/{voice_id}/{path}") for path in POSTS]
    posts += [("POST", "/staff/voice/answers/1/approve"), ("POST", "/staff/voice/answers/1/return")]
    return gets + posts


@pytest.mark.parametrize("role", ["citizen", "reviewer"])
def test_citizens_and_reviewers_are_refused_every_staff_page(
    app, client, login_as, make_user, role
):
    voice_id = make_voice(app)
    login_as(role)
    for method, url in _everything(app, voice_id, make_user("staff", "kocho")):
        response = client.get(url) if method == "GET" else post(client, url)
        assert response.status_code == 403, (method, url, response.status_code)


def test_without_login_every_staff_page_sends_to_the_login(app, client, plan, make_user):
    voice_id = make_voice(app)
    for method, url in _everything(app, voice_id, make_user("staff", "kocho")):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code in (302, 400), (method, url)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_another_division_cannot_open_or_act_on_a_voice(app, client, login_as, make_user):
    kocho = make_user("staff", "kocho")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    login_as("staff", "somu")
    for path in ("", "/answer", "/letter", "/publish"):
        assert client.get(f"/staff/voice/{voice_id}{path}").status_code == 403, path
    for path, prefix in POSTS.items():
        response = post(client, f"/staff/voice/{voice_id}/{path}", prefix, reason="x")
        assert response.status_code == 403, path
    # Nothing of the sender reaches it, not even in the inbox.
    inbox = client.get(INBOX)
    assert inbox.status_code == 200
    assert SENDER["name"] not in inbox.text
    assert get_voice(app, voice_id).receipt_code not in inbox.text


def test_the_routed_division_handles_but_cannot_route_approve_or_publish(
    app, client, login_as, make_user, clock_set
):
    kocho = make_user("staff", "kocho")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    division = login_as("staff", "kikaku")
    page = client.get(f"/staff/voice/{voice_id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert SENDER["name"] in page.text and SENDER["email"] in page.text
    for path, prefix in POSTS.items():
        if path in COORDINATOR_ONLY:
            response = post(client, f"/staff/voice/{voice_id}/{path}", prefix, reason="x")
            assert response.status_code == 403, path
    with app.app_context():
        answer = services.draft_answer(
            user(division), db.session.get(Voice, voice_id), "回答", ResponseKind.DONE, submit=True
        )
        answer_id = answer.id
    for action in ("approve", "return"):
        url = f"/staff/voice/answers/{answer_id}/{action}"
        assert post(client, url, action, note="自分で").status_code == 403
    assert get_voice(app, voice_id).status is VoiceStatus.IN_APPROVAL


def test_a_division_sees_only_voices_routed_to_it_and_loses_one_rerouted_away(
    app, client, auth, login_as, make_user, clock_set
):
    kocho = make_user("staff", "kocho")
    ours = make_voice(app, title="企画課あての声")
    theirs = make_voice(app, title="総務課あての声")
    unrouted = make_voice(app, title="まだ振り分けていない声")
    routed(app, ours, kocho, "kikaku")
    routed(app, theirs, kocho, "somu")
    login_as("staff", "kikaku")
    inbox = client.get(INBOX).text
    assert "企画課あての声" in inbox
    assert "総務課あての声" not in inbox and "まだ振り分けていない声" not in inbox

    routed(app, ours, kocho, "somu", note="所管は総務課でした")
    assert "企画課あての声" not in client.get(INBOX).text
    assert client.get(f"/staff/voice/{ours}").status_code == 403

    auth.logout()
    login_as("staff", "kocho")
    everything = client.get(INBOX).text
    for title in ("企画課あての声", "総務課あての声", "まだ振り分けていない声"):
        assert title in everything
    assert unrouted


# Routing -----------------------------------------------------------------------------------


def test_rerouting_is_recorded_with_its_reason(app, client, login_as, clock_set):
    voice_id = make_voice(app)
    login_as("staff", "kocho")
    url = f"/staff/voice/{voice_id}/route"
    with app.app_context():
        kikaku, somu, koho = (department_id(c) for c in ("kikaku", "somu", "koho"))
    response = post(client, url, "route", department_ids=[kikaku], lead_id=kikaku, note="")
    assert response.status_code == 302
    assert get_voice(app, voice_id).status is VoiceStatus.ROUTED

    response = post(
        client, url, "route", department_ids=[somu, koho], lead_id=somu, note="所管違いのため"
    )
    assert response.status_code == 302
    with app.app_context():
        routes = db.session.scalars(
            sa.select(VoiceRoute).where(VoiceRoute.voice_id == voice_id).order_by(VoiceRoute.id)
        ).all()
        assert [(r.department_id, r.ended_at is not None) for r in routes] == [
            (kikaku, True),
            (somu, False),
            (koho, False),
        ]
        assert routes[0].end_reason == "所管違いのため"
        assert db.session.get(Voice, voice_id).department_id == somu
    page = client.get(f"/staff/voice/{voice_id}").text
    assert "<del>企画課" in page
    assert "所管違いのため" in page


def test_routing_refuses_a_lead_outside_the_chosen_divisions(app, client, login_as):
    voice_id = make_voice(app)
    login_as("staff", "kocho")
    with app.app_context():
        kikaku, somu = department_id("kikaku"), department_id("somu")
    response = post(
        client, f"/staff/voice/{voice_id}/route", "route", department_ids=[kikaku], lead_id=somu
    )
    assert response.status_code == 200
    assert "主担当課は、選んだ担当課の中から選んでください。" in response.text
    assert count(app, VoiceRoute) == 0
    response = post(client, f"/staff/voice/{voice_id}/route", "route", lead_id=somu)
    assert response.status_code == 200
    assert 'id="error-summary"' in response.text
    assert count(app, VoiceRoute) == 0


# Interim answers ---------------------------------------------------------------------------


def test_the_division_sends_an_interim_answer(app, client, login_as, make_user, clock_set):
    kocho = make_user("staff", "kocho")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    login_as("staff", "kikaku")
    url = f"/staff/voice/{voice_id}/interim"
    mails_before = count(app, OutboxMessage)

    # Refused: no reason; a date not after today. Nothing written, what was typed kept.
    response = post(client, url, "interim", reason="", expected_on="2026-07-01")
    assert response.status_code == 200
    assert "Please fill in" in response.text or "を入力してください" in response.text
    assert 'value="2026-07-01"' in response.text
    response = post(client, url, "interim", reason="現地調査が必要です", expected_on="2026-05-01")
    assert response.status_code == 200
    assert "現地調査が必要です" in response.text
    assert count(app, InterimAnswer) == 0
    assert get_voice(app, voice_id).expected_on is None
    assert count(app, OutboxMessage) == mails_before

    response = post(client, url, "interim", reason="現地調査が必要です", expected_on="2026-07-01")
    assert response.status_code == 302
    voice = get_voice(app, voice_id)
    assert voice.expected_on == date(2026, 7, 1)
    assert count(app, InterimAnswer) == 1
    assert count(app, OutboxMessage) == mails_before + 1
    page = client.get(f"/staff/voice/{voice_id}").text
    assert "現地調査が必要です" in page
    assert "interim answer sent" in client.get(INBOX + "?lang=en").text


def test_the_inbox_marks_overdue_voices_in_words(app, client, login_as, clock_set):
    late = make_voice(app, title="遅れている声")
    due = get_voice(app, late).due_on
    clock_set.set_jst(due + timedelta(days=3), time(9, 0))
    make_voice(app, title="新しい声")
    login_as("staff", "kocho")
    inbox = client.get(INBOX + "?lang=en")
    assert "Overdue by 3 days" in inbox.text
    only = client.get(INBOX + "?lang=en&overdue=y").text
    assert "遅れている声" in only and "新しい声" not in only
    # Ordered by the date the answer is due: the late one first.
    assert inbox.text.index("遅れている声") < inbox.text.index("新しい声")


# Duplicates and repeats --------------------------------------------------------------------


def test_a_duplicate_is_marked_by_receipt_number(app, client, login_as, clock_set):
    original = make_voice(app, title="最初の声")
    again = make_voice(app, title="同じ声")
    login_as("staff", "kocho")
    url = f"/staff/voice/{again}/duplicate"

    response = post(client, url, "duplicate", receipt_code="V2026-99999", reason="二重送信")
    assert response.status_code == 200
    assert "この受付番号の市民の声はありません。" in response.text
    assert 'value="V2026-99999"' in response.text
    response = post(client, url, "duplicate", receipt_code="", reason="")
    assert response.status_code == 200
    assert get_voice(app, again).status is VoiceStatus.RECEIVED

    code = get_voice(app, original).receipt_code
    response = post(client, url, "duplicate", receipt_code=code.lower(), reason="二重送信")
    assert response.status_code == 302
    voice = get_voice(app, again)
    assert voice.status is VoiceStatus.DUPLICATE
    assert voice.duplicate_of_id == original
    # The link shows both ways.
    assert code in client.get(f"/staff/voice/{again}").text
    assert get_voice(app, again).receipt_code in client.get(f"/staff/voice/{original}").text


def test_a_repeat_links_to_the_earlier_voice(app, client, login_as, clock_set):
    earlier = make_voice(app, title="最初の声")
    later = make_voice(app, title="再度の声")
    login_as("staff", "kocho")
    code = get_voice(app, earlier).receipt_code
    response = post(client, f"/staff/voice/{later}/repeat", "repeat", receipt_code=code)
    assert response.status_code == 302
    assert get_voice(app, later).repeat_of_id == earlier
    assert get_voice(app, later).is_open


# Answers -------------------------------------------------------------------------------------


def test_an_answer_returned_with_a_note_goes_back_to_the_division(
    app, client, auth, login_as, make_user, clock_set
):
    kocho = make_user("staff", "kocho")
    division = make_user("staff", "kikaku")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    with app.app_context():
        answer = services.draft_answer(
            user(division), db.session.get(Voice, voice_id), "回答案", ResponseKind.DONE, None, True
        )
        answer_id = answer.id
    login_as("staff", "kocho")
    url = f"/staff/voice/answers/{answer_id}/return"
    response = post(client, url, "return", note="")
    assert response.status_code == 200
    assert 'id="error-summary"' in response.text
    with app.app_context():
        assert db.session.get(VoiceAnswer, answer_id).state is AnswerState.SUBMITTED

    response = post(client, url, "return", note="費用の見込みを書いてください")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(VoiceAnswer, answer_id).state is AnswerState.RETURNED
    assert get_voice(app, voice_id).status is VoiceStatus.ROUTED

    auth.logout()
    auth.login(division.email)
    page = client.get(f"/staff/voice/{voice_id}/answer")
    assert page.status_code == 200
    assert "費用の見込みを書いてください" in page.text
    assert "回答案" in page.text  # the returned draft, to be corrected


def test_the_template_picker_fills_the_answer_without_javascript(
    app, client, login_as, make_user, clock_set
):
    kocho = make_user("staff", "kocho")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    login_as("staff", "kikaku")
    response = post(
        client,
        "/staff/voice/templates",
        title="道路の補修",
        body="ご指摘の箇所は補修を予定しています。",
        response_kind="done",
    )
    assert response.status_code == 302
    with app.app_context():
        template = db.session.scalar(sa.select(AnswerTemplate))
        assert template.department_id == department_id("kikaku")
        template_id = template.id
    page = client.get(f"/staff/voice/{voice_id}/answer")
    assert "道路の補修" in page.text  # offered in the picker
    assert "ご指摘の箇所は補修を予定しています。" not in page.text
    filled = client.get(f"/staff/voice/{voice_id}/answer?template={template_id}")
    assert filled.status_code == 200
    assert "ご指摘の箇所は補修を予定しています。</textarea>" in filled.text
    assert '<option selected value="done">' in filled.text
    assert client.get(f"/staff/voice/{voice_id}/answer?template=99999").status_code == 404

    # Another division's template is neither offered nor editable.
    somu = make_user("staff", "somu")
    with app.app_context():
        other = services.save_template(
            user(somu), None, title="総務課の文例", body="総務", department_id=department_id("somu")
        ).id
    assert "総務課の文例" not in client.get(f"/staff/voice/{voice_id}/answer").text
    assert client.get(f"/staff/voice/{voice_id}/answer?template={other}").status_code == 404
    assert client.get(f"/staff/voice/templates/{other}").status_code == 403


def test_an_empty_answer_is_refused_and_nothing_is_written(
    app, client, login_as, make_user, clock_set
):
    kocho = make_user("staff", "kocho")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    login_as("staff", "kikaku")
    url = f"/staff/voice/{voice_id}/answer"
    response = post(client, url, body="", response_kind="done", submit_for_approval="1")
    assert response.status_code == 200
    assert 'id="error-summary"' in response.text
    assert count(app, VoiceAnswer) == 0


# Publication -------------------------------------------------------------------------------


def test_withdraw_and_publish_again_corrected(app, client, login_as, make_user, clock_set):
    kocho = make_user("staff", "kocho")
    division = make_user("staff", "kikaku")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    answered(app, voice_id, division, kocho)
    login_as("staff", "kocho")
    publish = f"/staff/voice/{voice_id}/publish"

    page = client.get(publish)
    assert page.status_code == 200
    assert "照明を増設します。</textarea>" in page.text  # the city's view, from the answer
    assert SENDER["name"] not in page.text.split("original-heading")[0].split("<form")[-1]
    # The sender's name in the summary: refused beside the field, what was typed kept.
    response = post(
        client,
        publish,
        public_title="公園の照明について",
        public_summary=f"〇〇公園の照明を増やしてほしい（{SENDER['name']}様）",
        public_view="照明を増設します。",
    )
    assert response.status_code == 200
    assert 'id="public_summary-error"' in response.text
    assert not get_voice(app, voice_id).is_published
    response = post(
        client,
        publish,
        public_title="公園の照明について",
        public_summary="〇〇公園の照明を増やしてほしい（△△町3丁目の角の家の前）",
        public_view="照明を増設します。",
    )
    assert response.status_code == 302
    assert get_voice(app, voice_id).is_published

    withdraw = f"/staff/voice/{voice_id}/withdraw"
    response = post(client, withdraw, "withdraw", reason="")
    assert response.status_code == 200
    assert get_voice(app, voice_id).is_published
    response = post(client, withdraw, "withdraw", reason="場所から個人が特定できる")
    assert response.status_code == 302
    assert not get_voice(app, voice_id).is_published

    again = client.get(publish)
    assert "〇〇公園の照明を増やしてほしい（△△町3丁目の角の家の前）</textarea>" in again.text
    response = post(
        client,
        publish,
        public_title="公園の照明について",
        public_summary="〇〇公園の照明を増やしてほしい",
        public_view="照明を増設します。",
    )
    assert response.status_code == 302
    voice = get_voice(app, voice_id)
    assert voice.is_published and voice.public_summary == "〇〇公園の照明を増やしてほしい"
    with app.app_context():
        history = db.session.scalars(
            sa.select(VoicePublication).order_by(VoicePublication.id)
        ).all()
        assert [p.withdrawn_at is not None for p in history] == [True, False]
        assert history[0].withdraw_reason == "場所から個人が特定できる"
    page = client.get(f"/staff/voice/{voice_id}").text
    assert "場所から個人が特定できる" in page


def test_publishing_an_open_voice_is_refused_with_a_message(app, client, login_as, clock_set):
    voice_id = make_voice(app)
    login_as("staff", "kocho")
    response = post(
        client,
        f"/staff/voice/{voice_id}/publish",
        public_title="題",
        public_summary="要旨",
        public_view="考え方",
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    assert 'class="flash error"' in response.text or 'id="error-summary"' in response.text
    assert not get_voice(app, voice_id).is_published
    assert count(app, VoicePublication) == 0


# Follow-up -----------------------------------------------------------------------------------


def test_a_follow_up_in_the_future_is_refused(app, client, login_as, make_user, clock_set):
    kocho = make_user("staff", "kocho")
    division = make_user("staff", "kikaku")
    voice_id = make_voice(app)
    routed(app, voice_id, kocho, "kikaku")
    answered(app, voice_id, division, kocho)
    login_as("staff", "kikaku")
    url = f"/staff/voice/{voice_id}/follow-up"
    response = post(
        client, url, "follow_up", noted_on="2026-12-01", reflection="reflected", note="完了"
    )
    assert response.status_code == 200
    assert 'id="error-summary"' in response.text
    response = post(
        client, url, "follow_up", noted_on="2026-06-01", reflection="reflected", note="設置完了"
    )
    assert response.status_code == 302
    assert get_voice(app, voice_id).reflection is Reflection.REFLECTED


# Staff entry -------------------------------------------------------------------------------


def entry(**overrides: Any) -> dict[str, Any]:
    data = {
        "channel": "phone",
        "received_on": "2026-05-29",
        "kind": "complaint",
        "title": "ごみ収集の時間",
        "body": "収集が遅く、カラスが荒らしています。",
        "reply_by": "post",
        "name": "電話太郎",
        "postal_code": "860-0000",
        "postal_address": "熊本市中央区手取本町1-1",
        "phone": "096-111-2222",
        "consent_to_publish": "y",
    }
    data.update(overrides)
    return data


def test_staff_enter_a_phone_call(app, client, login_as, clock_set):
    staff = login_as("staff", "kocho")
    page = client.get("/staff/voice/new")
    assert page.status_code == 200
    assert 'value="2026-06-01"' in page.text  # today, the usual case
    response = post(client, "/staff/voice/new", **entry(submission_token="tok-1"))
    assert response.status_code == 302, response.text
    with app.app_context():
        voice = db.session.scalar(sa.select(Voice))
        assert voice.channel is VoiceChannel.PHONE
        assert voice.entered_by_id == staff.id
        assert voice.consent_to_publish
        assert voice.postal_address == "熊本市中央区手取本町1-1"
        assert response.headers["Location"].endswith(f"/staff/voice/{voice.id}")
    # Sent twice (a double click): still one voice.
    post(client, "/staff/voice/new", **entry(submission_token="tok-1"))
    assert count(app, Voice) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"received_on": "2026-06-02"}, "The day received cannot be in the future."),
        ({"postal_address": ""}, "the sender wants an answer"),
        ({"title": ""}, "Title"),
        ({"channel": "web"}, "Received by"),
    ],
)
def test_staff_entry_refusals_keep_what_was_typed(
    app, client, login_as, clock_set, overrides, message
):
    login_as("staff", "kocho")
    response = client.post(
        "/staff/voice/new?lang=en",
        data={**entry(**overrides), "csrf_token": token(client)},
    )
    assert response.status_code == 200
    assert message in response.text
    assert "収集が遅く、カラスが荒らしています。" in response.text
    assert count(app, Voice) == 0


# The inbox's cost ----------------------------------------------------------------------------


def test_the_inbox_costs_a_fixed_number_of_statements(app, client, login_as, make_user):
    kocho = make_user("staff", "kocho")

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert client.get(INBOX).status_code == 200
        return len(seen)

    login_as("staff", "kocho")
    for _ in range(2):
        routed(app, make_voice(app), kocho, "kikaku", "somu")
    few = statements()
    for _ in range(8):
        routed(app, make_voice(app), kocho, "kikaku", "somu")
    make_voice(app)
    assert statements() == few


def test_the_mayors_office_reads_and_approves_a_letter_to_the_mayor(
    app, client, auth, plan, make_user, clock_set
):
    """A letter to the mayor (市長への手紙) is in the mayor's office's inbox, which opens it and
    approves its answer; 広聴課 may not approve it while that office exists, and the mayor's
    office sees no other voice."""
    from tests.voice.conftest import make_department

    with app.app_context():
        make_department("hisho", "秘書課")
    kocho = make_user("staff", "kocho")
    division = make_user("staff", "kikaku")
    mayor_office = make_user("staff", "hisho")
    letter_id = make_voice(app, to_mayor=True, title="市長への手紙です")
    other_id = make_voice(app, title="ほかの声です")
    routed(app, letter_id, kocho, "kikaku")
    routed(app, other_id, kocho, "kikaku")
    with app.app_context():
        answer_id = services.draft_answer(
            user(division),
            db.session.get(Voice, letter_id),
            "回答します。",
            ResponseKind.EXPLAINED,
            None,
            True,
        ).id

    auth.login(kocho.email)
    assert post(client, f"/staff/voice/answers/{answer_id}/approve", "approve").status_code == 403
    auth.logout()

    auth.login(mayor_office.email)
    inbox = client.get(INBOX)
    assert inbox.status_code == 200
    assert "市長への手紙です" in inbox.text and "ほかの声です" not in inbox.text
    assert client.get(f"/staff/voice/{other_id}").status_code == 403
    assert client.get(f"/staff/voice/{letter_id}").status_code == 200
    response = post(client, f"/staff/voice/answers/{answer_id}/approve", "approve")
    assert response.status_code == 302
    assert get_voice(app, letter_id).status is VoiceStatus.CLOSED
