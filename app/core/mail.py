"""The mail outbox. Mail is queued in the same transaction as the change that causes it, and
`flask mail send` (run from cron) delivers it over SMTP, so a failing mail server never loses
a receipt or blocks a citizen's request."""

from __future__ import annotations

import smtplib
import sys
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class OutboxMessage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # A key that makes queueing idempotent (e.g. "remind:session:12:reg:40"); optional.
    dedup_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

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


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="sankaku")
    email.set_content(message.body)
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return email


def send_pending(limit: int = 500) -> tuple[int, int]:
    """Send queued mail; returns (sent, failed). Without MAIL_SERVER, mail is printed."""
    config = current_app.config
    pending = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 5)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    try:
        for message in pending:
            email = build_email(message)
            message.attempts += 1
            try:
                if not config["MAIL_SERVER"]:
                    print(email.as_string(), file=sys.stdout)
                else:
                    if smtp is None:
                        smtp = _connect()
                    smtp.send_message(email)
            except (smtplib.SMTPException, OSError) as exc:
                message.last_error = str(exc)[:500]
                failed += 1
            else:
                message.sent_at = utcnow()
                message.last_error = None
                sent += 1
            db.session.commit()
    finally:
        if smtp is not None:
            smtp.quit()
    return sent, failed


def _connect() -> smtplib.SMTP:
    config = current_app.config
    cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
        smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp
