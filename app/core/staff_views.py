"""Admin routes that belong to no module: the admin home and the audit log."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.core.audit import AuditEntry
from app.core.forms import choices
from app.core.i18n import jst_to_utc
from app.core.permissions import guard_blueprint, is_admin
from app.extensions import db

admin_bp = guard_blueprint(
    Blueprint("core_admin", __name__, template_folder="templates", url_prefix="/admin"), is_admin
)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    actor = StringField(_l("Who (e-mail)"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("What"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])


@admin_bp.route("/")
def index() -> ResponseReturnValue:
    return render_template("core/admin_index.html")


@admin_bp.route("/audit")
def audit_log() -> ResponseReturnValue:
    from app.accounts.models import User

    form = AuditFilterForm(request.args)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    form.action.choices = choices([("", _l("All")), *[(a, a) for a in actions]])
    form.validate()
    stmt = sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if form.actor.data:
        stmt = stmt.join(User, AuditEntry.actor_id == User.id).where(
            User.email.ilike(f"%{form.actor.data.strip()}%")
        )
    if form.action.data:
        stmt = stmt.where(AuditEntry.action == form.action.data)
    if form.since.data and not form.since.errors:
        stmt = stmt.where(AuditEntry.created_at >= jst_to_utc(form.since.data, time()))
    if form.until.data and not form.until.errors:
        end = jst_to_utc(form.until.data + timedelta(days=1), time())
        stmt = stmt.where(AuditEntry.created_at < end)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("core/audit_log.html", page=page, form=form)
