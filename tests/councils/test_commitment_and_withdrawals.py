"""Issue 17 for councils: the lottery as a commitment (pool and seed hash published before the
draw, the seed revealed by it), withdrawals before the closing date and after the commitment,
the applicant's status in words, 在住 needing an address in the city, consecutive terms on the
dashboard, the initiative of a call, observer seats cancelled with the mail's link and counted
as activity."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.core import clock
from app.core.activity import ActivityFilter
from app.core.audit import AuditEntry
from app.core.mail import OutboxMessage
from app.councils import activity, lottery, services
from app.councils import dashboard as oversight
from app.councils.models import (
    Application,
    ApplicationStatus,
    Council,
    MeetingOpenness,
    MemberCategory,
    ObserverRegistration,
    RecruitmentCall,
    SelectionMethod,
)
from app.extensions import db
from tests.conftest import submit
from tests.councils.conftest import close_call

POOL_RE = re.compile(r'<li class="pool-number">(KB\d+-\d+)</li>')
ORDER_RE = re.compile(r'<span class="order-receipt">(KB\d+-\d+)')


def _initiative_id(number: int) -> int:
    return db.session.scalar(sa.text(f"select id from initiative where number = {number}"))


def _withdraw(client, application_id: int, reason: str = "転居のため"):
    page = f"/councils/applications/{application_id}"
    return submit(client, f"{page}/withdraw", {"reason": reason}, page=page)


# Withdrawal and the lottery ------------------------------------------------------------------


def test_a_withdrawn_application_drops_out_of_the_lottery(
    app, client, auth, make_user, make_call, apply_as
):
    """Withdrawn before the closing date (through the page, audited): not in the published
    pool. Withdrawn after the commitment: the pool and the order stay as published, and the
    withdrawn number is passed over, its seat going to the next number in the order."""
    call_id = make_call(selection_method=SelectionMethod.LOTTERY, seats=1)
    applicants = [apply_as(call_id) for _ in range(4)]
    early = applicants[0]
    with app.app_context():
        email = db.session.get(User, early.user_id).email
    auth.login(email)
    response = _withdraw(client, early.id)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Application, early.id).status is ApplicationStatus.WITHDRAWN
        assert db.session.scalar(
            sa.select(AuditEntry.id).where(AuditEntry.action == "councils.application.withdraw")
        )
    close_call(app, call_id)
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        services.commit_lottery(None, call)
        pool = list(call.lottery_pool)
        assert early.receipt not in pool
        assert sorted(pool) == sorted(a.receipt for a in applicants[1:])
        # The order is fixed by the commitment; withdraw the number that will come first.
        first = lottery.lottery_order(call.lottery_seed, pool)[0]
    late = next(a for a in applicants if a.receipt == first)
    auth.logout()
    with app.app_context():
        email = db.session.get(User, late.user_id).email
    auth.login(email)
    assert _withdraw(client, late.id).status_code == 302
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        assert call.lottery_pool == pool  # the published pool does not change
        order = services.draw_lottery(None, call)
        assert order[0] == late.receipt and early.receipt not in order
        ranked = [a.receipt_number for a, _score, _pos in services.ranked_applications(call)]
        assert late.receipt not in ranked and ranked == order[1:]
        assert lottery.seat_numbers(call) == [order[1]]
        with pytest.raises(services.CouncilError):
            services.select_applicants(None, call, [late.id])
        second = next(a.id for a in applicants if a.receipt == order[1])
        services.select_applicants(None, call, [second])
        assert db.session.get(Application, second).status is ApplicationStatus.SELECTED
    page = client.get(f"/councils/calls/{call_id}/lottery?lang=ja").text
    assert ORDER_RE.findall(page) == order
    assert "辞退" in page


def test_an_applicant_withdraws_before_the_closing_date_only_until_the_selection(
    app, client, login_as, make_call
):
    from tests.councils.test_councils import FORM

    call_id = make_call()
    login_as("citizen")
    response = submit(client, f"/councils/calls/{call_id}/apply", FORM)
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(f"/councils/applications/{application_id}?lang=ja").text
    assert "<title>" in shown and "<details" not in shown.split("</title>")[0]
    assert _withdraw(client, application_id).status_code == 302
    with app.app_context():
        assert db.session.get(Application, application_id).withdrawn_at is not None


# The commitment ----------------------------------------------------------------------------


def test_the_commitment_verifies_and_the_order_reruns_from_published_data(
    app, client, login_as, make_call, apply_as
):
    call_id = make_call(selection_method=SelectionMethod.LOTTERY, seats=2)
    for _ in range(5):
        apply_as(call_id)
    apply_as(call_id, residency="none")  # ineligible: not in the pool
    close_call(app, call_id)
    login_as("staff", "kikaku")
    staff_page = f"/staff/councils/calls/{call_id}"
    # No draw without a commitment.
    submit(client, f"{staff_page}/lottery", {}, page=staff_page)
    with app.app_context():
        assert db.session.get(RecruitmentCall, call_id).lottery_drawn_at is None
    assert submit(client, f"{staff_page}/commitment", {}, page=staff_page).status_code == 302

    before = client.get(f"/councils/calls/{call_id}/lottery?lang=ja").text
    pool = POOL_RE.findall(before)
    assert len(pool) == 5
    published_hash = re.search(r'id="seed-hash">([0-9a-f]{64})<', before).group(1)
    with app.app_context():
        secret = db.session.get(RecruitmentCall, call_id).lottery_seed
    assert secret not in before and 'id="lottery-seed"' not in before
    # A second commitment (a new seed) is refused: the first one stands.
    submit(client, f"{staff_page}/commitment", {}, page=staff_page)
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        assert call.lottery_seed == secret
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditEntry.id)).where(
                    AuditEntry.action == "councils.call.lottery_commit"
                )
            )
            == 1
        )

    assert submit(client, f"{staff_page}/lottery", {}, page=staff_page).status_code == 302
    after = client.get(f"/councils/calls/{call_id}/lottery?lang=ja").text
    seed = re.search(r'id="lottery-seed">([^<]+)<', after).group(1)
    assert hashlib.sha256(seed.encode()).hexdigest() == published_hash
    assert POOL_RE.findall(after) == pool
    published_order = ORDER_RE.findall(after)
    namespace: dict = {}
    exec(lottery.LOTTERY_SOURCE, namespace)
    assert namespace["lottery_order"](seed, pool) == published_order
    # The method is explained in Japanese on the Japanese page, in English on the English one.
    assert "SHA-256" in after and "昇順" in after and 'lang="en"' not in after.split("<main")[1]
    english = client.get(f"/councils/calls/{call_id}/lottery?lang=en").text
    assert "ascending" in english and "昇順" not in english


def test_the_pool_is_committed_only_after_the_call_closes(app, make_call, apply_as):
    call_id = make_call(selection_method=SelectionMethod.LOTTERY)
    apply_as(call_id)
    with app.app_context():
        call = db.session.get(RecruitmentCall, call_id)
        with pytest.raises(services.CouncilError):
            services.commit_lottery(None, call)
        with pytest.raises(services.CouncilError):
            services.draw_lottery(None, call)


# Status in words ---------------------------------------------------------------------------


def test_the_applicant_sees_the_status_in_words_and_a_received_message(
    app, client, login_as, make_call
):
    from tests.councils.test_councils import FORM

    call_id = make_call()
    login_as("citizen")
    response = submit(client, f"/councils/calls/{call_id}/apply?lang=ja", FORM)
    page = client.get(response.headers["Location"]).text
    assert 'id="status">受付済み<' in page
    assert "応募を受け付けました" in page
    assert "受付日時" not in page.split('id="status">')[1].split("</dd>")[0]


# 在住 needs an address in the city ---------------------------------------------------------


def test_lives_in_the_city_with_an_address_elsewhere_is_ineligible(
    app, client, login_as, make_call
):
    from tests.councils.test_councils import FORM

    call_id = make_call()
    login_as("citizen")
    response = submit(
        client,
        f"/councils/calls/{call_id}/apply?lang=ja",
        {**FORM, "address": "福岡県福岡市中央区天神1丁目1番1号"},
    )
    page = client.get(response.headers["Location"]).text
    assert 'class="eligibility ineligible"' in page
    assert "住所が熊本市内ではありません" in page
    with app.app_context():
        assert db.session.scalar(sa.select(Application)).ineligible_reasons == ["address"]


# The dashboard's term limit ----------------------------------------------------------------


def _terms(app, name, spans):
    with app.app_context():
        council = services.save_council(
            None,
            None,
            department_id=db.session.scalar(
                sa.text("select id from department where code='kikaku'")
            ),
            name_ja=f"{name}の審議会",
            purpose_ja="目的",
            total_seats=10,
        )
        for start, end in spans:
            services.add_member(None, council, name, MemberCategory.ACADEMIC, start, end)


def test_the_dashboard_counts_consecutive_terms_not_all_terms(app, plan):
    today = date.today()

    def year(n):  # a two-year term starting n terms before the current one
        start = date(today.year - 2 * n, 4, 1) - timedelta(days=365)
        return start, date(start.year + 2, 3, 31)

    # Four terms, the first two long ago: two consecutive now, under the limit of three.
    _terms(app, "間隔 アリ", [year(6), year(5), year(1), year(0)])
    # Four terms in an unbroken run up to now: over the limit.
    _terms(app, "連続 ヨンキ", [year(3), year(2), year(1), year(0)])
    with app.test_request_context():
        over = oversight.dashboard().over_terms
    assert [(name, count) for name, _council, count in over] == [("連続 ヨンキ", 4)]


# Initiative of a call, observers as activity -----------------------------------------------


def test_staff_choose_the_initiative_of_a_call(app, client, login_as, make_council):
    council_id = make_council()
    login_as("staff", "kikaku")
    now = clock.now().astimezone()
    with app.app_context():
        seven, nine = _initiative_id(7), _initiative_id(9)
    form = client.get(f"/staff/councils/{council_id}/calls/new?lang=ja").text
    assert re.search(rf'<option selected value="{seven}">|<option value="{seven}" selected', form)
    response = submit(
        client,
        f"/staff/councils/{council_id}/calls/new",
        {
            "title_ja": "募集",
            "purpose_ja": "目的",
            "seats": "2",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
            "term_starts_on": "2027-04-01",
            "term_ends_on": "2029-03-31",
            "fee_per_meeting": "0",
            "essay_theme_ja": "テーマ",
            "essay_min_chars": "400",
            "essay_max_chars": "800",
            "selection_method": "documents",
            "initiative_id": str(nine),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(RecruitmentCall)).initiative_id == nine


def _meeting(app, council_id, **values):
    with app.app_context():
        meeting, _ = services.save_meeting(
            None,
            db.session.get(Council, council_id),
            None,
            title_ja="第1回会議",
            starts_at=clock.now() + timedelta(days=10),
            openness=MeetingOpenness.OPEN,
            observer_seats=values.get("seats", 5),
        )
        return meeting.id


def test_observers_count_as_activity_under_initiative_7(app, make_council, no_rate_limit):
    meeting_id = _meeting(app, make_council())
    with app.app_context():
        for n in range(3):
            services.register_observer(meeting_id, f"傍聴者{n}", f"o{n}@example.jp")
        cancelled = services.register_observer(meeting_id, "取消", "c@example.jp")
        services.cancel_observer(cancelled.id)  # cancelled: not counted
    with app.test_request_context():
        figures = activity.figures(ActivityFilter())
        assert figures[_initiative_id(7)]["observers"] == 3
        assert activity.figures(ActivityFilter(initiative_id=_initiative_id(9))) == {}


def test_an_observer_cancels_the_seat_with_the_mails_link(app, client, make_council, no_rate_limit):
    meeting_id = _meeting(app, make_council(), seats=1)
    url = f"/councils/meetings/{meeting_id}?lang=ja"
    booked = submit(
        client, url, {"name": "傍聴 シズカ", "email": "shizuka@example.jp"}, follow_redirects=True
    )
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
        link = re.search(r"https?://[^\s]+/councils/observers/\d+/cancel/[\w-]+", body).group(0)
        registration_id = db.session.scalar(sa.select(ObserverRegistration.id))
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert "取り消すためのリンク" in booked.text  # the receipt says where the link is
    assert client.get(f"/councils/observers/{registration_id}/cancel/wrong").status_code == 404
    page = client.get(f"/{path}?lang=ja")
    assert page.status_code == 200 and "傍聴の申込みを取り消す" in page.text
    response = submit(client, f"/{path}", {}, follow_redirects=True)
    assert "取り消しました" in response.text
    with app.app_context():
        assert db.session.get(ObserverRegistration, registration_id).cancelled_at is not None
    # The seat is free again.
    other = submit(
        client, url, {"name": "別の人", "email": "other@example.jp"}, follow_redirects=True
    )
    assert f"KM{meeting_id:04d}-00002" in other.text
