"""Admin routes that belong to no module: the admin home and the audit log."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.core.audit import AuditEntry, action_label
from app.core.dispositions import Disposition, save_disposition
from app.core.forms import Form, choices, within_calendar
from app.core.i18n import jst_to_utc
from app.core.permissions import guard_blueprint, is_admin
from app.extensions import db

admin_bp = guard_blueprint(
    Blueprint("core_admin", __name__, template_folder="templates", url_prefix="/admin"), is_admin
)


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    actor = StringField(_l("Who (e-mail)"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("What"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional(), within_calendar])
    until = DateField(_l("To"), validators=[Optional(), within_calendar])


class DispositionForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[a-z0-9_]+$", message=_l("Lower-case letters, digits and _.")),
        ],
    )
    name_ja = StringField(_l("Name (Japanese)"), validators=[DataRequired(), Length(max=50)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=80)])
    position = IntegerField(_l("Order"), default=0, validators=[Optional()])
    active = BooleanField(_l("Offered for new answers"), default=True)


@admin_bp.route("/")
def index() -> ResponseReturnValue:
    return render_template("core/admin_index.html")


@admin_bp.route("/audit")
def audit_log() -> ResponseReturnValue:
    # The accounts' User through the entry's relationship: core imports no module above it.
    User = AuditEntry.actor.property.mapper.class_  # noqa: N806 (a class)

    form = AuditFilterForm(request.args)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    form.action.choices = choices([("", _l("All")), *[(a, action_label(a)) for a in actions]])
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


@admin_bp.route("/dispositions", methods=["GET", "POST"])
@admin_bp.route("/dispositions/<int:disposition_id>", methods=["GET", "POST"])
def dispositions(disposition_id: int | None = None) -> ResponseReturnValue:
    """The disposition list (反映区分) the city edits; entries are retired, never deleted."""
    current = db.session.get(Disposition, disposition_id) if disposition_id else None
    if disposition_id and current is None:
        abort(404)
    form = DispositionForm(obj=current)
    if form.validate_on_submit():
        clash = db.session.scalar(sa.select(Disposition).where(Disposition.code == form.code.data))
        if clash is not None and clash is not current:
            form.code.errors = [*form.code.errors, _("This code is already used.")]
        else:
            save_disposition(
                current_user,
                current,
                code=form.code.data,
                name_ja=form.name_ja.data,
                name_en=form.name_en.data or "",
                position=form.position.data or 0,
                active=form.active.data,
            )
            flash(_("The disposition has been saved."), "success")
            return redirect(url_for("core_admin.dispositions"))
    items = db.session.scalars(sa.select(Disposition).order_by(Disposition.position)).all()
    return render_template("core/dispositions.html", items=items, form=form, current=current)
