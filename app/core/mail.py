"""The mail outbox. Mail is queued in the same transaction as the change that causes it, and
`flask mail send` (run from cron) delivers it over SMTP, so a failing mail server never loses
a receipt or blocks a citizen's request."""

from __future__ import annotations

import smtplib
import sys
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.db import UTCDateTime, begin_write
from app.core.jobs import runner_name
from app.extensions import db

# A message is tried this many times (each claim counts, see send_pending), then left for staff.
MAX_ATTEMPTS = 5
# A claim older than this is taken for a crashed sender's: its messages are sent again. Each
# message's claim is renewed just before it is handed to SMTP, so this only needs to outlast the
# sending of one message (the SMTP timeout is 30 s).
CLAIM_EXPIRES = timedelta(minutes=15)


class OutboxMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp, index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # A key that makes queueing idempotent (e.g. "remind:session:12:reg:40"); optional.
    dedup_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # Which `flask mail send` run is sending it, since when (see send_pending).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", lazy="selectin"
    )


class OutboxAttachment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_message.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")


def queue_mail(
    recipient: str,
    subject: str,
    body: str,
    attachments: list[tuple[str, str, bytes]] | None = None,
    dedup_key: str | None = None,
) -> OutboxMessage:
    """Queue a message in the current transaction; the caller commits."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body, dedup_key=dedup_key)
    for filename, content_type, data in attachments or []:
        message.attachments.append(
            OutboxAttachment(filename=filename, content_type=content_type, data=data)
        )
    db.session.add(message)
    return message


def mail_domain() -> str:
    """The domain of Message-IDs and calendar UIDs: the city's own, so that they are unique
    worldwide (RFC 5322 §3.6.4, RFC 5545 §3.8.4.7)."""
    config = current_app.config
    return config["MAIL_MESSAGE_ID_DOMAIN"] or urlsplit(config["PUBLIC_BASE_URL"]).hostname or ""


def calendar_attachment(
    data: bytes, method: str, filename: str = "invite.ics"
) -> tuple[str, str, bytes]:
    """An iCalendar invitation (RFC 6047): the METHOD in the body repeated in the Content-Type,
    which is how mail programs recognise an update or a cancellation of an event."""
    return (filename, f"text/calendar; charset=utf-8; method={method}", data)


def build_email(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    sender = Address(addr_spec=config["MAIL_DEFAULT_SENDER"])
    email["From"] = Address(config["MAIL_SENDER_NAME"], sender.username, sender.domain)
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The date it was queued, when the change that caused it happened; like the Message-ID it
    # stays the same when the message is sent again.
    email["Date"] = message.created_at
    # The same Message-ID every time the message is sent, so that a copy sent again after a
    # crashed sender (see send_pending) is recognised as the same message by mail programs.
    stamp = int(message.created_at.timestamp() * 1_000_000)
    email["Message-ID"] = f"<outbox.{message.id}.{stamp}@{mail_domain()}>"
    # Receipts and notices are sent by a program: vacation replies must not answer them
    # (RFC 3834).
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    for attachment in message.attachments:
        content_type = default_policy.header_factory("content-type", attachment.content_type)
        maintype, subtype = content_type.maintype, content_type.subtype
        params = {name: value for name, value in content_type.params.items() if name != "charset"}
        if maintype == "text":
            email.add_attachment(
                attachment.data.decode("utf-8"),
                subtype=subtype,
                params=params,
                filename=attachment.filename,
            )
        else:
            email.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype,
                params=params,
                filename=attachment.filename,
            )
    return email


def send_pending(limit: int = 500) -> tuple[int, int]:
    """Send queued mail; returns (sent, failed). Without MAIL_SERVER, mail is printed.

    Several runs at once (cron on two hosts, or a run overlapping the last) send each message
    once: a run first claims a batch (committed before anything is sent, so other runs pass
    over it), then renews each message's claim just before sending it and records it sent
    right after. A sender that crashes between SMTP and that commit leaves its messages
    claimed; when the claim expires they are sent again (with the same Message-ID). We prefer
    a rare second copy of a receipt to a receipt never sent; the window is one message wide.
    """
    config = current_app.config
    runner = runner_name()
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        for message_id in _claim_pending(runner, limit):
            email = _renew_claim(message_id, runner)
            if email is None:
                continue  # our claim expired and another run took the message over
            # No transaction is open while SMTP talks: on SQLite, writers are not held up.
            outcome: dict[str, object]
            try:
                if not config["MAIL_SERVER"]:
                    print(email.as_string(), file=sys.stdout)
                else:
                    if smtp is None:
                        smtp = _connect()
                    smtp.send_message(email)
            except (smtplib.SMTPException, OSError) as exc:
                # The claim is given up, so the next run tries again at once.
                outcome = {"last_error": str(exc)[:500], "claimed_at": None}
                failed += 1
            else:
                outcome = {"sent_at": clock.now(), "last_error": None}
                sent += 1
            begin_write()
            db.session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == message_id).values(**outcome)
            )
            db.session.commit()
    finally:
        if smtp is not None:
            smtp.quit()
    return sent, failed


def _claim_pending(runner: str, limit: int) -> list[int]:
    """Mark up to `limit` unsent, unclaimed (or expired) messages as this run's; each claim
    counts as an attempt, so a message that crashes its sender is not tried for ever."""
    begin_write()
    now = clock.now()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.attempts < MAX_ATTEMPTS,
            sa.or_(
                OutboxMessage.claimed_at.is_(None),
                OutboxMessage.claimed_at < now - CLAIM_EXPIRES,
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if ids:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(claimed_at=now, claimed_by=runner, attempts=OutboxMessage.attempts + 1)
        )
    db.session.commit()
    return list(ids)


def _renew_claim(message_id: int, runner: str) -> EmailMessage | None:
    """The message, if it is still ours and unsent; its claim starts afresh, so it cannot
    expire while it is being sent."""
    begin_write()
    renewed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.claimed_by == runner,
            OutboxMessage.sent_at.is_(None),
        )
        .values(claimed_at=clock.now())
    ).rowcount
    email = build_email(db.session.get(OutboxMessage, message_id)) if renewed == 1 else None
    db.session.commit()
    return email


def _connect() -> smtplib.SMTP:
    config = current_app.config
    cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
        smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp
