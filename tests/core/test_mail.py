"""The outbox: mail is queued with the change and sent by `flask mail send`."""

import socketserver
import threading

import sqlalchemy as sa

from app.core.mail import OutboxMessage, queue_mail
from app.extensions import db


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
                    data_mode = False
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
