"""The outbox: mail is queued with the change and sent by `flask mail send`."""

import re
import socketserver
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from app.core import clock
from app.core.mail import OutboxMessage, queue_mail
from app.extensions import db
from tests.conftest import run_at_once, run_cli


def test_mail_send_prints_without_a_server_and_marks_sent(app, runner):
    with app.app_context():
        queue_mail(
            "a@example.jp",
            "件名",
            "本文です",
            attachments=[("invite.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")],
        )
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "To: a@example.jp" in result.output
    assert "invite.ics" in result.output
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.sent_at is not None
    again = runner.invoke(args=["mail", "send"])
    assert "To: a@example.jp" not in again.output


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message, so the real smtplib client is exercised."""

    received: list[bytes] = []

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        data_mode, lines = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line == b".\r\n":
                    _SMTPHandler.received.append(b"".join(lines))
                    data_mode, lines = False, []
                    self.wfile.write(b"250 OK\r\n")
                else:
                    lines.append(line)
                continue
            command = line[:4].upper()
            if command == b"EHLO":
                self.wfile.write(b"250 test\r\n")
            elif command == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go ahead\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


def test_mail_send_delivers_over_smtp(app, runner):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=server.server_address[1], MAIL_USE_TLS=False
        )
        with app.app_context():
            queue_mail("b@example.jp", "Receipt", "Your receipt number is 8-0001.")
            db.session.commit()
        result = runner.invoke(args=["mail", "send"])
        assert result.exit_code == 0, result.output
        assert any(b"8-0001" in message for message in _SMTPHandler.received)
    finally:
        server.shutdown()
        server.server_close()


def test_failed_delivery_is_kept_for_retry(app, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)
    with app.app_context():
        queue_mail("c@example.jp", "S", "B")
        db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    with app.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        assert message.sent_at is None and message.attempts == 1 and message.last_error


class _SlowSMTPHandler(_SMTPHandler):
    """Takes a few milliseconds per reply, as a real server does, so that two senders that
    both picked the same messages would both deliver them."""

    def setup(self):
        super().setup()
        write = self.wfile.write

        def slow_write(data):
            time.sleep(0.005)
            return write(data)

        self.wfile.write = slow_write


def _smtp_sink():
    _SMTPHandler.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SlowSMTPHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _subjects():
    found = []
    for raw in _SMTPHandler.received:
        match = re.search(rb"^Subject: (.+?)\r?$", raw, re.MULTILINE)
        found.append(match[1].decode())
    return sorted(found)


def test_two_mail_senders_started_at_once_send_each_message_once(app, another_app):
    """Two `flask mail send` runs at once (cron on two hosts, each its own app and connection
    pool): every message is delivered exactly once, and each recorded sent once."""
    server = _smtp_sink()
    try:
        config = {
            **app.config,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": server.server_address[1],
            "MAIL_USE_TLS": False,
        }
        hosts = [another_app(config), another_app(config)]
        subjects = [f"message {n:02d}" for n in range(40)]
        with app.app_context():
            for subject in subjects:
                queue_mail("someone@example.jp", subject, "Your receipt.")
            db.session.commit()

        def host(number, go):
            go()
            run_cli(hosts[number], "mail", "send")

        run_at_once(2, host)
        assert _subjects() == subjects
        with app.app_context():
            rows = db.session.execute(
                sa.select(OutboxMessage.sent_at, OutboxMessage.attempts)
            ).all()
        assert all(sent_at is not None and attempts == 1 for sent_at, attempts in rows)
    finally:
        server.shutdown()
        server.server_close()


def test_a_crashed_senders_claim_expires_and_its_mail_is_sent_again(app, runner):
    """A sender that claimed messages and died holds them only until the claim expires; a claim
    still fresh is left to its sender. The copy sent again has the same Message-ID."""
    with app.app_context():
        fresh = queue_mail("a@example.jp", "fresh claim", "B")
        stale = queue_mail("b@example.jp", "stale claim", "B")
        db.session.flush()
        fresh.claimed_at, fresh.claimed_by = clock.now(), "other-host:1:aa"
        stale.claimed_at, stale.claimed_by = clock.now() - timedelta(hours=1), "dead-host:1:bb"
        stale.attempts = 1
        db.session.commit()
        stale_id, stale_stamp = stale.id, int(stale.created_at.timestamp() * 1_000_000)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "stale claim" in result.output and "fresh claim" not in result.output
    assert f"Message-ID: <outbox.{stale_id}.{stale_stamp}@localhost>" in result.output
    with app.app_context():
        sent = dict(
            db.session.execute(sa.select(OutboxMessage.subject, OutboxMessage.sent_at)).all()
        )
        attempts = db.session.scalar(
            sa.select(OutboxMessage.attempts).where(OutboxMessage.id == stale_id)
        )
    assert sent["stale claim"] is not None and sent["fresh claim"] is None
    assert attempts == 2
