"""Councils and recruitment through the pages people use, the services and the CLI."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.core import clock
from app.core.mail import OutboxMessage
from app.core.receipts import next_receipt_number
from app.councils import activity, lottery, services
from app.councils import dashboard as oversight
from app.councils.models import (
    Application,
    ApplicationStatus,
    Council,
    CouncilMember,
    Gender,
    MeetingOpenness,
    MemberCategory,
    ObserverRegistration,
    RecruitmentCall,
    SelectionMethod,
)
from app.extensions import db
from tests.conftest import count_statements, csrf_from, run_at_once, submit
from tests.councils.conftest import ESSAY, close_call

FORM = {
    "name": "蒼井 ツバメ",
    "kana": "あおい つばめ",
    "address": "熊本市中央区水前寺公園9丁目87番",
    "birth_date": "1975-07-19",
    "gender": "female",
    "phone": "096-555-0199",
    "email": "tsubame@example.jp",
    "residency": "lives",
    "occupation": "会社員",
    "experience": "",
    "motivation": "参加したいからです。",
    "essay": ESSAY,
    "truthful": "y",
}


def _apply_url(call_id):
    return f"/councils/calls/{call_id}/apply"


# Applying ----------------------------------------------------------------------------------


def test_a_citizen_applies_and_sees_the_receipt_and_eligibility(app, client, login_as, make_call):
    call_id = make_call()
    login_as("citizen")
    response = submit(client, _apply_url(call_id), FORM)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert f"KB{call_id:03d}-00001" in page
    assert 'class="eligibility eligible"' in page
    with app.app_context():
        application = db.session.scalar(sa.select(Application))
        assert application.status is ApplicationStatus.SUBMITTED
        assert application.gender is Gender.FEMALE
        mail = db.session.scalar(sa.select(OutboxMessage))
        assert mail.recipient == "tsubame@example.jp"
        assert application.receipt_number in mail.subject


def test_an_ineligible_application_is_kept_flagged_and_explained(app, client, login_as, make_call):
    call_id = make_call()
    login_as("citizen")
    too_young = (date.today() - timedelta(days=365 * 10)).isoformat()
    response = submit(
        client,
        _apply_url(call_id),
        {**FORM, "birth_date": too_young, "city_employee": "y"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert 'class="eligibility ineligible"' in response.text
    assert "最低年齢" in response.text or "minimum age" in response.text
    assert "市職員" in response.text or "Employees of Kumamoto City" in response.text
    with app.app_context():
        application = db.session.scalar(sa.select(Application))
        assert application.status is ApplicationStatus.INELIGIBLE
        assert application.ineligible_reasons == ["too_young", "exclusion:city_employee"]
        mail = db.session.scalar(sa.select(OutboxMessage))
        assert "exclusion" not in mail.body and ("最低年齢" in mail.body or "minimum" in mail.body)


def test_the_server_counts_the_essay_as_the_city_does(app, client, login_as, make_call):
    call_id = make_call(essay_min_chars=20, essay_max_chars=30)
    login_as("citizen")
    # 30 full-width characters on three lines: line breaks do not count, so it fits.
    fits = "あ" * 10 + "\r\n" + "Ａ" * 10 + "\n" + "ｱ" * 10
    too_long = fits + "x"
    response = submit(client, _apply_url(call_id), {**FORM, "essay": too_long})
    assert response.status_code == 200
    assert "31" in response.text and 'id="essay-error"' in response.text
    assert "蒼井 ツバメ" in response.text  # what was typed is kept
    response = submit(client, _apply_url(call_id), {**FORM, "essay": fits})
    assert response.status_code == 302


def test_the_apply_form_needs_an_account(client, make_call):
    call_id = make_call()
    response = client.get(_apply_url(call_id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_closed_call_refuses_applications(app, client, login_as, make_call, apply_as):
    call_id = make_call()
    close_call(app, call_id)
    login_as("citizen")
    response = client.get(_apply_url(call_id), follow_redirects=True)
    assert "受け付けていません" in response.text or "not open" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_a_citizen_cannot_apply_twice_or_see_anothers_application(
    app, client, login_as, make_call, apply_as
):
    call_id = make_call()
    other = apply_as(call_id)
    login_as("citizen")
    assert submit(client, _apply_url(call_id), FORM).status_code == 302
    again = submit(client, _apply_url(call_id), FORM, follow_redirects=True)
    assert "既に応募" in again.text or "already applied" in again.text
    assert client.get(f"/councils/applications/{other.id}").status_code == 404


def test_an_applicant_withdraws_and_the_application_is_kept(
    app, client, login_as, make_call, apply_as
):
    from app.core.audit import AuditEntry

    call_id = make_call()
    other = apply_as(call_id)
    login_as("citizen")
    assert submit(client, _apply_url(call_id), FORM).status_code == 302
    with app.app_context():
        mine = db.session.scalar(
            sa.select(Application.id).where(
                Application.call_id == call_id, Application.id != other.id
            )
        )
    page = f"/councils/applications/{mine}"
    # A reason is needed, and someone else's application cannot be withdrawn.
    submit(client, f"{page}/withdraw", {"reason": ""}, page=page)
    submit(client, f"/councils/applications/{other.id}/withdraw", {"reason": "x"}, page=page)
    response = submit(client, f"{page}/withdraw", {"reason": "転居のため"}, page=page)
    assert response.status_code == 302
    shown = client.get(page).text
    assert "応募を辞退しました。" in shown and 'id="status">取下げ<' in shown
    with app.app_context():
        withdrawn = db.session.get(Application, mine)
        assert withdrawn.status is ApplicationStatus.WITHDRAWN
        assert withdrawn.withdrawn_reason == "転居のため" and withdrawn.withdrawn_by_id is not None
        assert db.session.get(Application, other.id).status is ApplicationStatus.SUBMITTED
        assert db.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action == "councils.application.withdraw")
        )
        assert [
            a.id for a in db.session.scalars(services.reviewable_applications(withdrawn.call))
        ] == [other.id]
    # Withdrawn, the citizen may apply again while the call is open.
    assert submit(client, _apply_url(call_id), FORM).status_code == 302


def test_pending_appointments_count_towards_the_concurrent_limit(app, make_user, make_call):
    """An applicant already appointed to three councils whose terms have not begun is refused."""
    from app.accounts.models import User

    citizen = make_user("citizen")
    call_id = make_call()
    with app.app_context():
        for n in range(3):
            council = services.save_council(
                None,
                None,
                department_id=db.session.get(RecruitmentCall, call_id).department_id,
                name_ja=f"別の審議会{n}",
                purpose_ja="目的",
                total_seats=5,
            )
            services.add_member(
                None,
                council,
                "蒼井 ツバメ",
                MemberCategory.PUBLIC,
                date.today() + timedelta(days=100),  # appointed, not yet begun
                date.today() + timedelta(days=800),
                user_id=citizen.id,
            )
        user = db.session.get(User, citizen.id)
        from tests.councils.conftest import application_values

        application = services.submit_application(user, call_id, **application_values())
        assert application.ineligible_reasons == ["too_many_memberships"]


# Blind review, lottery and selection -------------------------------------------------------

PERSONAL = ["蒼井", "ツバメ", "あおい", "水前寺公園9丁目87番", "1975", "096-555-0199", "tsubame@"]


def test_reviewer_pages_show_no_personal_data(app, client, make_user, make_call, apply_as, auth):
    call_id = make_call()
    application = apply_as(call_id)
    reviewer = make_user("reviewer")
    with app.app_context():
        from app.accounts.models import User

        services.assign_reviewer(
            None, db.session.get(RecruitmentCall, call_id), db.session.get(User, reviewer.id)
        )
    auth.login(reviewer.email)
    pages = [
        client.get(f"/staff/councils/review/calls/{call_id}"),
        client.get(f"/staff/councils/review/applications/{application.id}"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert application.receipt in response.text
        for secret in [*PERSONAL, "女性", "Female", "female", "年齢", "歳"]:
            assert secret not in response.text, secret
    assert ESSAY[:10] in pages[1].text
    response = submit(
        client,
        f"/staff/councils/review/applications/{application.id}",
        {"criterion_0": "4", "criterion_1": "5", "comment": "良い"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert services.combined_scores(call_id) == {application.id: (9.0, 1)}


def test_reviewers_see_only_calls_they_are_assigned_to(
    client, make_user, make_call, apply_as, auth
):
    call_id = make_call()
    application = apply_as(call_id)
    auth.login(make_user("reviewer").email)
    assert client.get(f"/staff/councils/review/calls/{call_id}").status_code == 403
    assert client.get(f"/staff/councils/review/applications/{application.id}").status_code == 403


def test_citizens_and_staff_cannot_open_reviewer_pages(client, login_as, make_call):
    call_id = make_call()
    login_as("citizen")
    assert client.get(f"/staff/councils/review/calls/{call_id}").status_code == 403


def test_lottery_is_published_and_can_be_rerun(app, client, login_as, make_call, apply_as):
    call_id = make_call(selection_method=SelectionMethod.LOTTERY)
    for _ in range(5):
        apply_as(call_id)
    apply_as(call_id, residency="none")  # ineligible: not in the draw
    close_call(app, call_id)
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        services.commit_lottery(None, call)
        order = services.draw_lottery(None, call)
        assert len(order) == 5
    page = client.get(f"/councils/calls/{call_id}/lottery").text
    seed = re.search(r'id="lottery-seed">([0-9a-f]+)<', page).group(1)
    published = re.findall(r'<span class="order-receipt">(KB\d+-\d+)', page)
    assert published == order
    namespace: dict = {}
    exec(lottery.LOTTERY_SOURCE, namespace)
    assert namespace["lottery_order"](seed, sorted(published)) == published
    # The lottery cannot be drawn again to get another order.
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        try:
            services.draw_lottery(None, call)
        except services.CouncilError:
            pass
        else:
            raise AssertionError("drawn twice")


def test_selection_appoints_and_tells_every_applicant(
    app, client, login_as, make_call, apply_as, make_user
):
    call_id = make_call(selection_method=SelectionMethod.LOTTERY, seats=1)
    applications = [apply_as(call_id) for _ in range(3)]
    ineligible = apply_as(call_id, residency="none")
    close_call(app, call_id)
    login_as("staff", "kikaku")
    submit(
        client,
        f"/staff/councils/calls/{call_id}/commitment",
        {},
        page=f"/staff/councils/calls/{call_id}",
    )
    response = submit(
        client,
        f"/staff/councils/calls/{call_id}/lottery",
        {},
        page=f"/staff/councils/calls/{call_id}",
    )
    assert response.status_code == 302
    with app.app_context():
        order = db.session.get(RecruitmentCall, call_id).lottery_order
        first = next(a for a in applications if a.receipt == order[0])
    response = submit(
        client,
        f"/staff/councils/calls/{call_id}/selection",
        {"select-application_ids": str(first.id)},
        page=f"/staff/councils/calls/{call_id}",
    )
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalar(
            sa.select(CouncilMember).where(CouncilMember.application_id.is_not(None))
        )
        assert member.application_id == first.id and member.category is MemberCategory.PUBLIC
        statuses = {a.id: a.status for a in db.session.scalars(sa.select(Application))}
        assert statuses[first.id] is ApplicationStatus.SELECTED
        assert statuses[ineligible.id] is ApplicationStatus.INELIGIBLE
        assert sum(s is ApplicationStatus.NOT_SELECTED for s in statuses.values()) == 2
        outcome = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.subject.contains(" "))
        ).all()
        result_mails = [m for m in outcome if "結果" in m.subject or "Result" in m.subject]
        assert len(result_mails) == 4


def test_staff_of_another_department_cannot_see_applicants(
    app, client, login_as, make_call, apply_as
):
    call_id = make_call()
    apply_as(call_id)
    login_as("staff", "kocho")
    assert client.get(f"/staff/councils/calls/{call_id}").status_code == 403


def test_the_department_and_the_coordinator_see_applicants(
    app, client, make_user, auth, make_call, apply_as
):
    call_id = make_call()
    apply_as(call_id)
    for department in ("kikaku", "gyosei-keiei"):
        auth.login(make_user("staff", department).email)
        assert "蒼井 ツバメ" in client.get(f"/staff/councils/calls/{call_id}").text
        auth.logout()


# Personal data never on public pages ---------------------------------------------------------


def test_no_personal_data_on_public_pages(app, client, make_call, apply_as, make_user):
    call_id = make_call(selection_method=SelectionMethod.LOTTERY)
    apply_as(call_id)
    close_call(app, call_id)
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        services.commit_lottery(None, call)
        services.draw_lottery(None, call)
        council = call.council
        meeting, _ = services.save_meeting(
            None,
            council,
            None,
            title_ja="第1回会議",
            starts_at=clock.now() + timedelta(days=10),
            openness=MeetingOpenness.OPEN,
            observer_seats=5,
        )
        services.register_observer(meeting.id, "傍聴 シズカ", "shizuka@example.jp")
        council_id, meeting_id = council.id, meeting.id
    urls = [
        "/",
        "/councils/",
        f"/councils/{council_id}",
        f"/councils/calls/{call_id}",
        f"/councils/calls/{call_id}/lottery",
        f"/councils/meetings/{meeting_id}",
        "/initiatives/7",
        "/api/v1/initiatives",
    ]
    for url in urls:
        for lang in ("ja", "en"):
            response = client.get(f"{url}?lang={lang}")
            assert response.status_code == 200, url
            for secret in [*PERSONAL, "シズカ", "shizuka@"]:
                assert secret not in response.text, (url, secret)


def test_the_public_roster_shows_names_and_categories_only(app, client, make_council):
    council_id = make_council()
    with app.app_context():
        council = db.session.get(Council, council_id)
        services.add_member(
            None,
            council,
            "肥後 ヨシノ",
            MemberCategory.ACADEMIC,
            date.today() - timedelta(days=1),
            date.today() + timedelta(days=700),
            gender=Gender.FEMALE,
        )
    page = client.get(f"/councils/{council_id}?lang=ja").text
    assert "肥後 ヨシノ" in page and "学識経験者" in page
    assert "女性" not in page


# Meetings and observer seats -------------------------------------------------------------------


def test_observer_seats_never_exceed_under_concurrency(app, make_council):
    council_id = make_council()
    with app.app_context():
        meeting, _ = services.save_meeting(
            None,
            db.session.get(Council, council_id),
            None,
            title_ja="会議",
            starts_at=clock.now() + timedelta(days=10),
            openness=MeetingOpenness.OPEN,
            observer_seats=5,
        )
        meeting_id = meeting.id
    workers = 12

    def register(n, go):
        with app.app_context():
            db.session.execute(sa.select(sa.func.count(ObserverRegistration.id))).scalar()
            go()
            try:
                return "taken", services.register_observer(
                    meeting_id, f"傍聴者{n}", f"o{n}@example.jp"
                ).receipt_number
            except services.CouncilError:
                return "refused", n

    results = run_at_once(workers, register)
    taken = [value for outcome, value in results if outcome == "taken"]
    refused = [value for outcome, value in results if outcome == "refused"]
    assert len(taken) == 5 and len(refused) == workers - 5
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ObserverRegistration.id))) == 5


def _meeting_with_seats(app, council_id, seats=5):
    with app.app_context():
        meeting, _ = services.save_meeting(
            None,
            db.session.get(Council, council_id),
            None,
            title_ja="会議",
            starts_at=clock.now() + timedelta(days=10),
            openness=MeetingOpenness.OPEN,
            observer_seats=seats,
        )
        return meeting.id


def _seats_and_mails(app):
    with app.app_context():
        return (
            db.session.scalars(
                sa.select(ObserverRegistration.receipt_number).order_by(ObserverRegistration.id)
            ).all(),
            db.session.scalars(sa.select(OutboxMessage.recipient).order_by(OutboxMessage.id)).all(),
        )


OBSERVER = {"name": "傍聴 シズカ", "email": "shizuka@example.jp"}
TOKEN_RE = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def test_the_same_observer_form_sent_twice_in_a_row_books_one_seat(
    app, client, make_council, no_rate_limit
):
    """A double click (or the form sent again) books one seat, mails once, and both answers
    show the same number. The same address on a form opened anew takes no second seat and is
    told why; another address books the next seat."""
    meeting_id = _meeting_with_seats(app, make_council())
    url = f"/councils/meetings/{meeting_id}?lang=en"
    page = client.get(url).text
    data = {**OBSERVER, "csrf_token": csrf_from(page), "submission_token": TOKEN_RE.search(page)[1]}
    first = client.post(url, data=data, follow_redirects=True)
    second = client.post(url, data=data, follow_redirects=True)
    number = f"KM{meeting_id:04d}-00001"
    assert f"Your number is {number}" in first.text and f"Your number is {number}" in second.text
    assert _seats_and_mails(app) == ([number], ["shizuka@example.jp"])

    again = submit(client, url, {**OBSERVER, "email": "Shizuka@Example.JP"})
    assert again.status_code == 200
    assert "This e-mail address already has a seat at this meeting" in again.text
    assert number not in again.text
    assert _seats_and_mails(app) == ([number], ["shizuka@example.jp"])

    other = submit(client, url, {**OBSERVER, "email": "tsugumi@example.jp"}, follow_redirects=True)
    assert f"KM{meeting_id:04d}-00002" in other.text
    assert len(_seats_and_mails(app)[0]) == 2


def test_the_same_observer_form_sent_twice_at_once_books_one_seat(app, make_council, no_rate_limit):
    """Two sends of one form arriving together: one seat, one number used, one mail, and both
    answers show that number."""
    meeting_id = _meeting_with_seats(app, make_council())
    url = f"/councils/meetings/{meeting_id}?lang=en"

    def send(_number, go):
        tab = app.test_client()
        fields = {**OBSERVER, "csrf_token": csrf_from(tab.get(url).text), "submission_token": "f1"}
        go()
        response = tab.post(url, data=fields, follow_redirects=True)
        return re.search(r"Your number is (KM[\d-]+)", response.text)[1]

    numbers = run_at_once(2, send)
    assert numbers == [f"KM{meeting_id:04d}-00001"] * 2
    assert _seats_and_mails(app) == (numbers[:1], ["shizuka@example.jp"])
    with app.app_context():
        assert next_receipt_number(f"council-meeting:{meeting_id}") == 2  # no number lost


def test_one_address_cannot_take_every_seat_at_once(app, make_council):
    """Different forms with one address (any case), sent together: one seat."""
    meeting_id = _meeting_with_seats(app, make_council(), seats=10)

    def book(n, go):
        with app.app_context():
            go()
            try:
                email = "same@example.jp" if n % 2 else "SAME@Example.JP"
                return services.register_observer(
                    meeting_id, f"名前{n}", email, submission_token=f"form-{n}"
                ).receipt_number
            except services.CouncilError:
                return None

    results = run_at_once(6, book)
    assert len([r for r in results if r]) == 1
    assert len(_seats_and_mails(app)[0]) == 1


def test_a_meeting_announced_late_warns_and_closed_needs_a_reason(
    app, client, login_as, make_council
):
    council_id = make_council()
    login_as("staff", "kikaku")
    starts = (clock.now() + timedelta(days=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    url = f"/staff/councils/{council_id}/meetings/new"
    data = {"title_ja": "第1回", "starts_at": starts, "openness": "closed", "observer_seats": "0"}
    response = submit(client, url, data)
    assert response.status_code == 400 and "理由" in response.text
    response = submit(
        client, url, {**data, "closed_reason_ja": "個人情報を扱うため"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "7日" in response.text or "at least 7" in response.text


def test_minutes_are_published_on_the_public_page(app, client, login_as, make_council):
    council_id = make_council()
    with app.app_context():
        meeting, _ = services.save_meeting(
            None,
            db.session.get(Council, council_id),
            None,
            title_ja="会議",
            starts_at=clock.now() + timedelta(days=10),
            openness=MeetingOpenness.OPEN,
            observer_seats=3,
        )
        meeting_id = meeting.id
    login_as("staff", "kikaku")
    response = submit(
        client, f"/staff/councils/meetings/{meeting_id}", {"minutes_ja": "議事の要旨です。"}
    )
    assert response.status_code == 302
    assert "議事の要旨です。" in client.get(f"/councils/meetings/{meeting_id}").text


# Staff forms ----------------------------------------------------------------------------------


def test_staff_register_a_council_add_a_member_and_a_short_call_warns(app, client, login_as):
    login_as("staff", "kikaku")
    response = submit(
        client,
        "/staff/councils/new",
        {
            "department_id": "",
            "name_ja": "新しい審議会",
            "purpose_ja": "目的です。",
            "total_seats": "10",
            "public_seat_target": "2",
            "term_years": "2",
        }
        | _department("kikaku", app),
    )
    assert response.status_code == 302
    with app.app_context():
        council_id = db.session.scalar(
            sa.select(Council.id).where(Council.name_ja == "新しい審議会")
        )
    response = submit(
        client,
        f"/staff/councils/{council_id}/members",
        {
            "member-name": "委員 一号",
            "member-category": "public",
            "member-gender": "",
            "member-appointed_on": "2025-04-01",
            "member-term_ends_on": "2027-03-31",
        },
        page=f"/staff/councils/{council_id}",
    )
    assert response.status_code == 302
    now = clock.now().astimezone()
    response = submit(
        client,
        f"/staff/councils/{council_id}/calls/new",
        {
            "title_ja": "募集",
            "purpose_ja": "目的",
            "seats": "2",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
            "term_starts_on": "2027-04-01",
            "term_ends_on": "2029-03-31",
            "fee_per_meeting": "9800",
            "essay_theme_ja": "テーマ",
            "essay_min_chars": "400",
            "essay_max_chars": "800",
            "selection_method": "documents",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "3週間" in response.text or "three weeks" in response.text
    with app.app_context():
        call = db.session.scalar(sa.select(RecruitmentCall))
        assert call.initiative_id == db.session.scalar(
            sa.text("select id from initiative where number = 7")
        )
        assert not call.published


def _department(code, app):
    with app.app_context():
        from tests.councils.conftest import department_id

        return {"department_id": str(department_id(code))}


def test_only_the_coordinator_edits_the_guidelines(app, client, make_user, auth, plan):
    auth.login(make_user("staff", "kikaku").email)
    assert client.get("/staff/councils/guidelines").status_code == 403
    assert client.get("/staff/councils/dashboard").status_code == 403
    auth.logout()
    auth.login(make_user("staff", "gyosei-keiei").email)
    page = client.get("/staff/councils/guidelines")
    assert page.status_code == 200 and 'value="18"' in page.text
    response = submit(
        client,
        "/staff/councils/guidelines",
        {
            "minimum_age": "20",
            "residency_categories": ["lives", "works"],
            "exclusions": ["assembly_member"],
            "max_concurrent_memberships": "2",
            "max_consecutive_terms": "3",
            "public_seat_target_percent": "15",
            "women_target_percent": "40",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        guidelines = services.get_guidelines()
        assert guidelines.minimum_age == 20
        assert guidelines.residency_categories == ["lives", "works"]
        assert guidelines.exclusions == ["assembly_member"]


# The oversight dashboard ---------------------------------------------------------------------


def _fixture_councils(app):
    """Three councils, hand-counted: A has 4 members (1 public, 2 women), B has 2 members
    (0 public, 0 women), C has 3 current members (2 public, 1 woman) plus one ended and one
    whose term has not begun (neither counts)."""
    today = date.today()
    past, future = today - timedelta(days=100), today + timedelta(days=300)
    with app.app_context():
        from tests.councils.conftest import department_id

        def council(name):
            return services.save_council(
                None,
                None,
                department_id=department_id("kikaku"),
                name_ja=name,
                purpose_ja="目的",
                total_seats=10,
                public_seat_target=2,
            )

        a, b, c = council("A審議会"), council("B審議会"), council("C審議会")
        f, m = Gender.FEMALE, Gender.MALE
        p, x = MemberCategory.PUBLIC, MemberCategory.ACADEMIC
        for target, name, category, gender in [
            (a, "a1", p, f),
            (a, "a2", x, f),
            (a, "a3", x, m),
            (a, "a4", x, None),
            (b, "b1", x, m),
            (b, "b2", x, m),
            (c, "c1", p, f),
            (c, "c2", p, m),
            (c, "c3", x, m),
        ]:
            services.add_member(None, target, name, category, past, future, gender=gender)
        ended = services.add_member(None, c, "c4", p, past, future, gender=f)
        services.end_membership(None, ended, today - timedelta(days=1), "辞任")
        services.add_member(None, c, "c5", p, today + timedelta(days=5), future, gender=f)
        return a.id, b.id, c.id


def test_dashboard_ratios_equal_hand_counts(app, client, make_user, auth, plan):
    a, b, c = _fixture_councils(app)
    with app.test_request_context():
        data = oversight.dashboard()
    rows = {r.council_id: r for r in data.rows}
    assert (rows[a].members, rows[a].public_members, rows[a].women) == (4, 1, 2)
    assert rows[a].public_share == 25.0 and rows[a].women_share == 50.0
    assert (rows[b].members, rows[b].public_members, rows[b].women) == (2, 0, 0)
    assert rows[b].public_share == 0.0 and rows[b].women_share == 0.0
    assert (rows[c].members, rows[c].public_members, rows[c].women) == (3, 2, 1)
    assert round(rows[c].public_share, 4) == round(200 / 3, 4)
    assert (data.members, data.public_members, data.women) == (9, 3, 3)
    assert round(data.public_share, 4) == round(300 / 9, 4)
    assert round(data.women_share, 4) == round(300 / 9, 4)
    assert data.with_public == 2
    assert [r.council_id for r in data.without_women] == [b]

    auth.login(make_user("staff", "gyosei-keiei").email)
    page = client.get("/staff/councils/dashboard?lang=ja").text
    assert re.search(r'id="public-share">33\.3%', page)
    assert re.search(r'id="women-share">33\.3%', page)
    export = client.get("/staff/councils/dashboard.csv?lang=ja")
    assert export.data.startswith("\ufeff".encode())
    rows_csv = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows_csv[1][:8] == ["A審議会", "企画課", "4", "1", "2", "25.0", "2", "50.0"]
    assert rows_csv[3][5] == "66.7"


def test_dashboard_lists_people_over_the_concurrent_limit(app, plan):
    today = date.today()
    with app.app_context():
        from tests.councils.conftest import department_id

        for n in range(4):
            council = services.save_council(
                None,
                None,
                department_id=department_id("kikaku"),
                name_ja=f"審議会{n}",
                purpose_ja="目的",
                total_seats=5,
            )
            services.add_member(
                None,
                council,
                "兼任 タロウ",
                MemberCategory.ACADEMIC,
                today - timedelta(days=1),
                today + timedelta(days=30),
            )
    with app.test_request_context():
        assert oversight.dashboard().over_concurrent == [("兼任 タロウ", 4)]


# Figures, list page and demo -----------------------------------------------------------------


def test_figures_per_initiative(app, make_call, apply_as, plan):
    call_id = make_call(selection_method=SelectionMethod.LOTTERY, seats=1)
    apply_as(call_id)
    apply_as(call_id)
    apply_as(call_id, residency="none")
    close_call(app, call_id)
    with app.test_request_context():
        call = db.session.get(RecruitmentCall, call_id)
        services.commit_lottery(None, call)
        order = services.draw_lottery(None, call)
        chosen = [a.id for a in call.applications if a.receipt_number == order[0]]
        services.select_applicants(None, call, chosen)
        from app.core.activity import ActivityFilter

        figures = activity.figures(ActivityFilter())[call.initiative_id]
    assert figures["calls"] == 1
    assert figures["applications"] == 3
    assert figures["eligible"] == 2
    assert figures["appointments"] == 1
    assert figures["public_share"] == 0.0  # the term has not begun yet


def test_the_list_filters_by_initiative(client, make_call):
    make_call(title_ja="七番の募集")
    assert "七番の募集" in client.get("/councils/?initiative=7").text
    assert "七番の募集" not in client.get("/councils/?initiative=8").text
    assert client.get("/councils/?initiative=99").status_code == 404


def _statements(app, client, url):
    with app.app_context(), count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_the_council_list_costs_the_same_statements_empty_and_full(
    app, client, make_call, make_council
):
    make_call()
    little = _statements(app, client, "/councils/")
    for n in range(8):
        council_id = make_council(name=f"審議会{n}")
        make_call(council_id=council_id)
        with app.app_context():
            services.add_member(
                None,
                db.session.get(Council, council_id),
                f"委員{n}",
                MemberCategory.OTHER,
                date.today(),
                date.today() + timedelta(days=10),
            )
    assert _statements(app, client, "/councils/") == little


def test_demo_load_is_idempotent(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        counts = [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Council, CouncilMember, RecruitmentCall, Application)
        ]
        assert counts[0] >= 10 and counts[2] == 3
        open_calls = db.session.scalars(
            sa.select(RecruitmentCall).where(RecruitmentCall.closes_at > clock.now())
        ).all()
        assert len(open_calls) == 2
        assert (
            db.session.scalar(
                sa.select(sa.func.count(CouncilMember.id)).where(
                    CouncilMember.application_id.is_not(None)
                )
            )
            == 2
        )
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        assert counts == [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Council, CouncilMember, RecruitmentCall, Application)
        ]
