"""Registration, the waiting list, cancellation, reminders: through the pages and the CLI."""

import re
import threading
from datetime import timedelta

import sqlalchemy as sa

from app.consultations import services
from app.consultations.models import Registration, RegistrationStatus, Session
from app.core import clock
from app.core.mail import OutboxMessage
from app.extensions import db
from tests.conftest import count_statements, csrf_from, run_at_once, run_cli, submit
from tests.consultations.factories import make_session, scheduled

GUEST = {"name": "山田 花子", "email": "hanako@example.jp", "phone": "", "party_size": "1"}


def register_guest(client, session_id, **data):
    """Register and follow the redirect to the receipt, as a browser does."""
    url = f"/consultations/sessions/{session_id}/register"
    return submit(client, url, {**GUEST, **data}, follow_redirects=True)


def outbox(app, recipient=None):
    with app.app_context():
        stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            stmt = stmt.where(OutboxMessage.recipient == recipient)
        return [
            (m.subject, m.body, [(a.filename, a.data) for a in m.attachments], m.dedup_key)
            for m in db.session.scalars(stmt)
        ]


def test_guest_registers_and_gets_receipt_and_mail_with_ics(app, client, plan):
    ids = scheduled(app, capacity=2)
    response = register_guest(client, ids.session_id, accommodations="sign_language")
    assert response.status_code == 200
    assert f"CS-{ids.session_id:04d}-00001" in response.text
    mails = outbox(app, GUEST["email"])
    assert len(mails) == 1
    _subject, body, attachments, _ = mails[0]
    assert f"CS-{ids.session_id:04d}-00001" in body
    assert re.search(r"/consultations/registrations/\d+/cancel/[\w-]{40,}", body)
    assert attachments and attachments[0][0] == "session.ics"
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        assert registration.status == RegistrationStatus.CONFIRMED
        assert registration.accommodations == ["sign_language"]
        assert len(registration.cancel_token_hash) == 64  # the token itself is not stored


def test_the_receipt_is_a_page_of_its_own_for_the_registrant_only(app, client, plan):
    """Registering redirects to the receipt: reloading it registers nobody again, and another
    browser cannot open it (it shows the registrant's e-mail address)."""
    ids = scheduled(app, capacity=5)
    url = f"/consultations/sessions/{ids.session_id}/register"
    response = submit(client, url, GUEST)
    assert response.status_code == 302
    receipt_url = response.headers["Location"]
    assert re.fullmatch(r"/consultations/registrations/\d+", receipt_url)
    for _reload in range(2):
        page = client.get(receipt_url)
        assert page.status_code == 200
        assert f"CS-{ids.session_id:04d}-00001" in page.text
        assert GUEST["email"] in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    stranger = app.test_client()
    assert stranger.get(receipt_url).status_code == 404
    assert client.get("/consultations/registrations/999999").status_code == 404
    # Cancelled, the receipt says so (not "number None on the waiting list").
    with app.test_request_context():
        services.cancel_registration(int(receipt_url.rsplit("/", 1)[1]))
    page = client.get(receipt_url + "?lang=en").text
    assert "Your registration has been cancelled." in page
    assert "waiting list" not in page and "We have sent an e-mail" not in page


def test_the_same_form_sent_twice_registers_once(app, client, plan):
    """A double click, or the form sent again with the back button: one registration, and
    both answers lead to its receipt. A form opened anew registers again, for another address."""
    ids = scheduled(app, capacity=5)
    url = f"/consultations/sessions/{ids.session_id}/register"
    page = client.get(url).text
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)[1]
    data = {**GUEST, "csrf_token": csrf_from(page), "submission_token": token}
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
    # A form opened anew with the same address takes no second place, and says why.
    again = submit(client, url + "?lang=en", {**GUEST, "email": "Hanako@Example.JP"})
    assert again.status_code == 200
    assert "This e-mail address is already registered for this session." in again.text
    other = submit(client, url, {**GUEST, "email": "taro@example.jp"})
    assert other.headers["Location"] != first.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 2


def test_the_same_token_sent_at_once_from_two_threads_registers_once(app, plan):
    ids = scheduled(app, capacity=5)

    def send(_number, go):
        with app.test_request_context():
            db.session.get(Session, ids.session_id)  # loaded first, as the form does
            go()
            signup = services.register(
                ids.session_id, name="二重 送信", email="twice@example.jp", submission_token="t1"
            )
            return signup.registration.id, signup.created

    results = run_at_once(2, send)
    assert len({registration_id for registration_id, _created in results}) == 1
    assert sorted(created for _id, created in results) == [False, True]


def test_a_full_session_puts_people_on_the_waiting_list(app, client, plan):
    ids = scheduled(app, capacity=1)
    register_guest(client, ids.session_id, email="first@example.jp")
    response = register_guest(client, ids.session_id, email="second@example.jp")
    assert "number 1 on the waiting list" in response.text or "キャンセル待ち" in response.text
    with app.app_context():
        statuses = db.session.execute(
            sa.select(
                Registration.email, Registration.status, Registration.waitlist_position
            ).order_by(Registration.id)
        ).all()
    assert statuses == [
        ("first@example.jp", RegistrationStatus.CONFIRMED, None),
        ("second@example.jp", RegistrationStatus.WAITLISTED, 1),
    ]


def test_invalid_form_keeps_what_was_typed(app, client, plan):
    ids = scheduled(app)
    response = register_guest(client, ids.session_id, email="not-an-address", party_size="9")
    assert response.status_code == 200
    assert 'value="山田 花子"' in response.text
    assert "error-summary" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_cancelling_with_the_link_promotes_and_emails_the_next_person(app, client, plan):
    ids = scheduled(app, capacity=1)
    register_guest(client, ids.session_id, email="first@example.jp")
    register_guest(client, ids.session_id, email="second@example.jp", name="次の人")
    body = outbox(app, "first@example.jp")[0][1]
    link = re.search(r"http://localhost(/consultations/registrations/\d+/cancel/\S+)", body)[1]
    # A wrong token is refused.
    assert client.get(link[:-3] + "xyz").status_code == 404
    response = submit(client, link, {})
    assert response.status_code == 302
    with app.app_context():
        rows = dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())
    assert rows == {
        "first@example.jp": RegistrationStatus.CANCELLED,
        "second@example.jp": RegistrationStatus.CONFIRMED,
    }
    mails = outbox(app, "second@example.jp")
    assert len(mails) == 2
    subject, body, attachments, _ = mails[1]
    assert "確定" in subject and "次の人" in body
    assert attachments and attachments[0][0] == "session.ics"
    # The link cannot cancel twice.
    response = client.get(link)
    assert "already been cancelled" in response.text or "既に取り消" in response.text


def test_citizen_sees_and_cancels_own_registration(app, client, plan, login_as):
    ids = scheduled(app, capacity=5)
    user = login_as("citizen")
    page = client.get(f"/consultations/sessions/{ids.session_id}/register")
    assert user.email in page.text  # prefilled
    register_guest(client, ids.session_id, email=user.email, name=user.display_name)
    # Registering twice with the account is refused.
    again = register_guest(client, ids.session_id, email=user.email, name=user.display_name)
    assert "already registered" in again.text or "既に" in again.text
    with app.app_context():
        registration_id = db.session.scalar(sa.select(Registration.id))
    response = submit(
        client,
        f"/consultations/mine/{registration_id}/cancel",
        {},
        page="/consultations/mine",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Registration, registration_id).status == RegistrationStatus.CANCELLED


def test_fifty_concurrent_sign_ups_for_ten_places(app, plan):
    """50 sign-ups from 10 threads at a time, each batch released together by a barrier: never
    more than 10 confirmed, the rest waitlisted in the order their numbers were given."""
    ids = scheduled(app, capacity=10)
    workers, batches = 10, 5
    errors: list[BaseException] = []

    def sign_up(barrier, n):
        try:
            with app.app_context():
                db.session.get(Session, ids.session_id)  # loaded first, as the form does
                barrier.wait()
                services.register(ids.session_id, name=f"参加者{n}", email=f"p{n}@example.jp")
        except BaseException as exc:
            errors.append(exc)

    for batch in range(batches):
        barrier = threading.Barrier(workers, timeout=30)
        threads = [
            threading.Thread(target=sign_up, args=(barrier, batch * workers + i))
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    assert errors == []
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Registration.status, Registration.receipt_number, Registration.waitlist_position
            ).order_by(Registration.receipt_number)
        ).all()
    assert len(rows) == 50
    assert [r.receipt_number for r in rows] == list(range(1, 51))
    confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
    waiting = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    assert len(confirmed) == 10 and len(waiting) == 40
    # First come, first served: the first ten numbers got the places, the rest queue in order.
    assert [r.receipt_number for r in confirmed] == list(range(1, 11))
    assert [r.waitlist_position for r in waiting] == list(range(1, 41))


def test_reminder_command_is_idempotent(app, runner, plan):
    tomorrow = clock.today() + timedelta(days=1)
    ids = scheduled(app, capacity=5, day=tomorrow)
    with app.app_context():
        for n in range(3):
            services.register(ids.session_id, name=f"人{n}", email=f"r{n}@example.jp")
        # A session next week gets no reminder yet.
        later = make_session(ids.consultation_id, ids.venue_id, title="第2回")
        services.register(later, name="来週", email="later@example.jp")
    first = runner.invoke(args=["consultations", "remind"])
    assert first.exit_code == 0, first.output
    assert "3 reminder(s)" in first.output
    second = runner.invoke(args=["consultations", "remind"])
    assert "0 reminder(s)" in second.output
    reminders = [m for m in outbox(app) if m[3] and m[3].startswith("remind:")]
    assert len(reminders) == 3
    assert {m[3] for m in reminders} == {
        f"remind:session:{ids.session_id}:reg:{n}" for n in (1, 2, 3)
    }


def test_two_reminder_runs_at_once_queue_each_reminder_once(app, another_app, plan, capsys):
    """Cron on two hosts: both runs finish without error, and each reminder is queued once."""
    tomorrow = clock.today() + timedelta(days=1)
    ids = scheduled(app, capacity=30, day=tomorrow)
    with app.app_context():
        for n in range(20):
            services.register(ids.session_id, name=f"人{n}", email=f"r{n}@example.jp")
    hosts = [another_app(dict(app.config)), another_app(dict(app.config))]
    capsys.readouterr()

    def host(number, go):
        go()
        run_cli(hosts[number], "consultations", "remind")

    run_at_once(2, host)
    counts = [int(n) for n in re.findall(r"(\d+) reminder\(s\) queued", capsys.readouterr().out)]
    assert sorted(counts)[1] > 0 and sum(counts) == 20
    reminders = [m for m in outbox(app) if m[3] and m[3].startswith("remind:")]
    assert len(reminders) == len({m[3] for m in reminders}) == 20


def test_the_eleventh_anonymous_registration_from_one_address_is_refused(app, client, plan):
    """Abuse costs the abuser: SUBMISSION_RATE_LIMIT (10 an hour) per client address."""
    ids = scheduled(app, capacity=50)
    url = f"/consultations/sessions/{ids.session_id}/register"
    statuses = [
        submit(client, url, {**GUEST, "email": f"person{n}@example.jp"}).status_code
        for n in range(11)
    ]
    assert statuses == [302] * 10 + [429]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 10
    # Another address is not held back by the first one's limit.
    other = app.test_client()
    page = other.get(url, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    response = other.post(
        url,
        data={**GUEST, "email": "other@example.jp", "csrf_token": csrf_from(page.text)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302


def test_one_address_cannot_take_more_than_its_party_of_places(app, client, plan):
    ids = scheduled(app, capacity=10)
    url = f"/consultations/sessions/{ids.session_id}/register"
    assert submit(client, url, {**GUEST, "party_size": "5"}).status_code == 302
    for name in ("偽名 一郎", "偽名 二郎"):
        response = submit(client, url, {**GUEST, "name": name, "party_size": "5"})
        assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(Registration.party_size))) == 5


def test_a_robot_filling_the_hidden_field_registers_nobody(app, client, plan):
    ids = scheduled(app, capacity=5)
    url = f"/consultations/sessions/{ids.session_id}/register"
    response = submit(client, url, {**GUEST, "website": "https://spam.example"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_a_registration_holds_the_writers_lock_for_a_fixed_few_statements(app, plan):
    """What runs under the session's lock (and SQLite's writers' lock): the session with its
    consultation and places taken, one statement for the form sent before, the waiting list,
    address and account, the receipt number, the registration, the places it takes and its
    mail. As many, however many have registered; and a newcomer still never overtakes someone
    waiting."""
    ids = scheduled(app, capacity=3)

    def register(number: int) -> list[str]:
        with app.app_context(), count_statements() as statements:
            services.register(
                ids.session_id,
                name=f"参加者{number}",
                email=f"p{number}@example.jp",
                submission_token=f"token-{number}",
            )
        return statements

    # The first creates the session's receipt counter; the waiting list asks for its end.
    seen = [register(number) for number in range(6)]
    assert len(seen[1]) == len(seen[2]) and len(seen[4]) == len(seen[5])
    # The turn begins when the session is locked: the last read of it (the one before only
    # loads it to write the confirmation ahead of the turn).
    start = max(i for i, s in enumerate(seen[1]) if "FROM consultation_session" in s)
    turn = seen[1][start:]
    assert len(turn) <= 7, turn
    with app.app_context():
        statuses = db.session.scalars(
            sa.select(Registration.status).order_by(Registration.id)
        ).all()
    assert statuses == [RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.WAITLISTED] * 3


def test_the_confirmation_written_ahead_of_the_turn_is_the_one_written_in_it(
    app, plan, monkeypatch
):
    """A place's confirmation is written before the registration takes its turn, its receipt,
    cancel link and UID filled in afterwards (`services._WrittenAhead`): the mail, text and
    calendar entry, is byte for byte the one written in the turn, in both languages; and a
    session changed in between is written again from the session as it is."""
    from app.consultations.models import Session

    ids = scheduled(app, capacity=5)
    finished = []
    original_finished = services._WrittenAhead.finished

    def spied(written, *args):
        finished.append(written)
        return original_finished(written, *args)

    monkeypatch.setattr(services._WrittenAhead, "finished", spied)
    for number, language in enumerate(("ja", "en")):
        with app.test_request_context():
            signup = services.register(
                ids.session_id,
                name=f"参加者{number}",
                email=f"ahead{number}@example.jp",
                language=language,
            )
            registration = signup.registration
            queued = db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.recipient == registration.email)
            ).one()
            session = db.session.get(Session, ids.session_id)
            subject, body, attachments = services._registration_mail(
                registration,
                session,
                "confirmation",
                services.receipt_label(registration),
                services.public_url(
                    "consultations.cancel", registration_id=registration.id, token=signup.token
                ),
            )
            assert queued.subject == subject
            assert queued.body == body
            assert signup.receipt in body and f"/registrations/{registration.id}/cancel/" in body
            assert "\x00" not in queued.body
            sent = queued.attachments[0].data
            assert _without_stamp(sent) == _without_stamp(attachments[0][2])
            assert f"UID:consultation-registration-{registration.id}@".encode() in sent
    assert len(finished) == 2  # both were written ahead of their turn

    # The session moved after the confirmation was written ahead: written again in the turn.
    original = services._write_confirmation_ahead

    def then_moved(session, *args):
        written = original(session, *args)
        session.title_ja = "移った回"
        db.session.commit()
        return written

    monkeypatch.setattr(services, "_write_confirmation_ahead", then_moved)
    with app.test_request_context():
        services.register(ids.session_id, name="後の人", email="later@example.jp")
        later = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == "later@example.jp")
        ).one()
    assert "移った回" in later.body and len(finished) == 2


def _without_stamp(data: bytes) -> bytes:
    """An iCalendar message without its DTSTAMP (the moment it was written)."""
    return re.sub(rb"\r\nDTSTAMP:[^\r]*", b"", data)


def test_the_places_taken_are_always_the_confirmed_parties_summed(app, client, plan, login_as):
    """The session keeps its places taken (`Session.places_taken`), so that neither a
    newcomer's turn nor the list sums a popular session's registrations: after registering,
    the waiting list, a form sent again, a cancellation by link that promotes, and a staff
    cancellation, it is each time what the confirmed registrations' parties add up to, and the
    list and the session page show the places left."""
    ids = scheduled(app, capacity=4)

    def places() -> tuple[int, int]:
        with app.app_context():
            kept = db.session.scalar(
                sa.select(Session.places_taken).where(Session.id == ids.session_id)
            )
            summed = db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Registration.party_size), 0)).where(
                    Registration.session_id == ids.session_id,
                    Registration.status == RegistrationStatus.CONFIRMED,
                )
            )
        return kept, summed

    url = f"/consultations/sessions/{ids.session_id}/register"
    page = client.get(url)
    typed = {**GUEST, "email": "first@example.jp", "party_size": "3"}
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page.text)[1]
    sent = {"csrf_token": csrf_from(page.text), "submission_token": token, **typed}
    assert client.post(url, data=sent).status_code == 302
    assert places() == (3, 3)
    # The same form sent again takes nothing more.
    assert client.post(url, data=sent).status_code == 302
    assert places() == (3, 3)
    assert register_guest(client, ids.session_id, email="b@example.jp").status_code == 200
    assert places() == (4, 4)
    # Full: these two wait, and take nothing.
    register_guest(client, ids.session_id, email="c@example.jp", party_size="2")
    register_guest(client, ids.session_id, email="d@example.jp")
    assert places() == (4, 4)
    # The first party cancels by its link: three places free, and both waiting take theirs.
    body = outbox(app, "first@example.jp")[0][1]
    link = re.search(r"http://localhost(/consultations/registrations/\d+/cancel/\S+)", body)[1]
    assert submit(client, link, {}).status_code == 302
    assert places() == (4, 4)
    with app.app_context():
        statuses = dict(
            db.session.execute(sa.select(Registration.email, Registration.status)).tuples().all()
        )
    assert statuses["c@example.jp"] == statuses["d@example.jp"] == RegistrationStatus.CONFIRMED
    # Staff cancel a promoted party of two; nobody is waiting.
    login_as("staff", "kikaku")
    with app.app_context():
        promoted = db.session.scalar(
            sa.select(Registration.id).where(Registration.email == "c@example.jp")
        )
    attendance = f"/staff/consultations/sessions/{ids.session_id}/attendance"
    cancelled = submit(
        client, f"/staff/consultations/registrations/{promoted}/cancel", {}, page=attendance
    )
    assert cancelled.status_code == 302
    assert places() == (2, 2)
    # What the citizens read agrees: two of four places free.
    for page_url in (f"/consultations/sessions/{ids.session_id}", "/consultations/"):
        shown = client.get(page_url + "?lang=en")
        assert shown.status_code == 200
        assert "2 of 4 free" in shown.text
