"""Safe uploads: size capped, type checked from the content (never the name or the browser's
claim), stored under a random name outside static/, and always served as an attachment.

A file on disk lives and dies with its row: the file written by save_upload is removed again
when the transaction that added its row ends without committing (a refused form, a database
error, an unhandled exception whose request is torn down), so no upload is left behind
without a row, and no row without its file."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import filetype
import sqlalchemy as sa
from flask import Response, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.datastructures import FileStorage

from app.core import clock
from app.core.db import UTCDateTime
from app.core.domain import DomainError
from app.extensions import db

# Kinds of file the city accepts, by the type detected from the content.
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class UploadError(DomainError):
    """A file refused, with a message fit to show beside the form field."""


class StoredFile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    @property
    def path(self) -> Path:
        return Path(current_app.config["UPLOAD_FOLDER"]) / self.token[:2] / self.token


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", Path(name or "file").name)
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')
    return name[:200] or "file"


def save_upload(
    upload: FileStorage,
    allowed: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    uploaded_by_id: int | None = None,
) -> StoredFile:
    """Check and store an upload; its row is added to the session and flushed, so its id can
    be used at once (the caller commits). If the transaction ends without a commit, the file
    is removed from disk again (see _forget_uncommitted_files)."""
    allowed = allowed or DOCUMENT_TYPES
    data = upload.stream.read(max_bytes + 1)
    if not data:
        raise UploadError(_("The file is empty."))
    if len(data) > max_bytes:
        raise UploadError(
            _("The file is larger than %(limit)s MB.", limit=max_bytes // (1024 * 1024))
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in allowed:
        raise UploadError(
            _(
                "This type of file is not accepted. Accepted: %(types)s.",
                types=", ".join(sorted(set(allowed.values()))).upper(),
            )
        )
    stored = StoredFile(
        token=secrets.token_hex(24),
        original_name=_clean_name(upload.filename or ""),
        content_type=kind.mime,
        size=len(data),
        uploaded_by_id=uploaded_by_id,
    )
    db.session.add(stored)
    db.session.flush()
    # Registered before writing, so that a write that fails half-way is cleaned up as well.
    db.session.info.setdefault(_UNCOMMITTED, []).append(stored.path)
    stored.path.parent.mkdir(parents=True, exist_ok=True)
    stored.path.write_bytes(data)
    return stored


# Session.info key: the paths written in the session's current transaction.
_UNCOMMITTED = "uploads_uncommitted"


@sa.event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    # A savepoint released is not yet a commit: the outer transaction may still fail.
    if not session.in_nested_transaction():
        session.info.pop(_UNCOMMITTED, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted_files(session: Session, transaction: Any) -> None:
    """The outermost transaction ended without a commit (rollback, or the session closed at
    the end of a failed request): its rows are gone, so are its files."""
    if transaction.parent is not None:
        return
    for path in session.info.pop(_UNCOMMITTED, []):
        path.unlink(missing_ok=True)


def serve_upload(stored: StoredFile) -> Response:
    """Send a stored file as an attachment, never rendered inline by the browser."""
    response = send_file(
        stored.path,
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.original_name,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
