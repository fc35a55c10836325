"""Public routes of 市民の声: the form with its confirmation step and receipt, the sender's own
page, the published voices and the reflected ones, and the one follow-up question.

Published pages read only what 広聴課 wrote for publication (`public_*`, the division, kinds,
dates, 反映状況): never the sender's words, name, contact, age band, 校区 or ward."""

from __future__ import annotations

from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload, selectinload

from app.core import clock
from app.core.cache import cached, fragment_key, versioned_page
from app.core.forms import choices, show_error
from app.core.i18n import fiscal_year, format_fiscal_year
from app.core.receipts import give_submission_token, may_see_receipt, remember_receipt
from app.core.security import configured_limit, mark_personal_data
from app.core.uploads import StoredFile, UploadError, save_upload
from app.core.urls import query_page
from app.extensions import db, limiter
from app.plan.models import Initiative
from app.plan.services import filter_choices, initiative_choices, ward_choices
from app.voice import bp, services
from app.voice.forms import (
    FollowUpForm,
    VoiceFilterForm,
    VoiceForm,
    prepare_voice_form,
    voice_input,
)
from app.voice.models import (
    FollowUpAnswer,
    ResponseKind,
    Voice,
    VoiceFollowUp,
    VoiceKind,
    VoicePublication,
    VoiceStatus,
)

# Three requests per voice (form, confirmation, send) and corrections in between, like a
# public comment: the comment form's limit fits, the stricter sign-up limit would not.
_voice_limit = configured_limit("COMMENT_RATE_LIMIT")

PER_PAGE = 20
# An attachment uploaded at the confirmation step is kept this long for the send.
ATTACHMENT_KEPT_SECONDS = 24 * 60 * 60


# The published voices ---------------------------------------------------------------------


def _published() -> sa.Select[Any]:
    """Published voices, newest first, with what a card shows loaded in fixed statements."""
    return (
        sa.select(Voice)
        .where(Voice.published_at.is_not(None))
        .options(
            joinedload(Voice.department),
            joinedload(Voice.ward),
            joinedload(Voice.topic_initiative),
            selectinload(Voice.follow_ups),
        )
        .order_by(Voice.published_at.desc(), Voice.id.desc())
    )


def _page(conditions: list[Any]) -> Any:
    """One page of published voices meeting `conditions`, and how many there are. Counted on
    the voice table alone: the paginator's own count wraps the whole eager-loaded select, which
    took 26.5 ms of a 64 ms page at 500,000 voices (a plain count takes 4.6 ms)."""
    page = db.paginate(
        _published().where(*conditions),
        page=query_page(),
        per_page=PER_PAGE,
        error_out=False,
        count=False,
    )
    page.total = db.session.scalar(
        sa.select(sa.func.count(Voice.id)).where(Voice.published_at.is_not(None), *conditions)
    )
    return page


def _filter_form() -> VoiceFilterForm:
    form = VoiceFilterForm(request.args)
    everything = _("All")
    form.kind.choices = choices([("", everything), *VoiceKind.choices()])
    form.ward.choices = choices([(0, everything), *filter_choices("wards")])
    form.department.choices = choices([(0, everything), *filter_choices("departments")])
    form.initiative.choices = choices([(0, everything), *filter_choices("initiatives")])
    # The years that have published voices (a scan of the published ones, so cached: a year's
    # first publication shows in the filter within FIGURES_CACHE_SECONDS).
    years = cached("voice-published-years", _published_years)
    current = fiscal_year(clock.now())
    form.year.choices = choices(
        [
            (0, everything),
            *((y, format_fiscal_year(y)) for y in sorted({*years, current}, reverse=True)),
        ]
    )
    form.validate()
    return form


def _published_years() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Voice.fiscal_year).where(Voice.published_at.is_not(None)).distinct()
        )
    )


def _list_version() -> tuple[Any, ...]:
    """What the published lists show besides time, in one statement of three index lookups:
    the last publication, the last withdrawal and the last follow-up. A cached list keyed by it
    is rebuilt at once when a voice is published, withdrawn (one that identified someone must
    not stay up on any worker) or followed up."""
    return tuple(
        db.session.execute(
            sa.select(
                sa.select(sa.func.max(VoicePublication.id)).scalar_subquery(),
                sa.select(sa.func.max(VoicePublication.withdrawn_at)).scalar_subquery(),
                sa.select(sa.func.max(VoiceFollowUp.id)).scalar_subquery(),
            )
        ).one()
    )


def _chosen(field: Any) -> Any:
    """A filter's value, or None for "all" and for anything that did not validate."""
    return None if field.errors or not field.data else field.data


@bp.route("/")
def index() -> ResponseReturnValue:
    form = _filter_form()
    flt = services.PublicFilter(
        kind=VoiceKind(_chosen(form.kind)) if _chosen(form.kind) else None,
        ward_id=_chosen(form.ward),
        initiative_id=_chosen(form.initiative),
        department_id=_chosen(form.department),
        fiscal_year=_chosen(form.year),
    )
    conditions = []
    if flt.kind is not None:
        conditions.append(Voice.kind == flt.kind)
    if flt.ward_id is not None:
        conditions.append(Voice.ward_id == flt.ward_id)
    if flt.initiative_id is not None:
        conditions.append(Voice.topic_initiative_id == flt.initiative_id)
    if flt.department_id is not None:
        conditions.append(Voice.department_id == flt.department_id)
    if flt.fiscal_year is not None:
        conditions.append(Voice.fiscal_year == flt.fiscal_year)
    args = {
        "kind": flt.kind.value if flt.kind else None,
        "ward": flt.ward_id,
        "initiative": flt.initiative_id,
        "department": flt.department_id,
        "year": flt.fiscal_year,
    }
    list_key = fragment_key("voice-list", *args.values(), query_page(), *_list_version())
    return versioned_page(
        list_key,
        partial(
            render_template,
            "voice/index.html",
            form=form,
            # The list (its count and cards) is built once per version of the published voices,
            # language, filter and page (app/core/cache.py); rendering 20 cards was half the page.
            list_key=list_key,
            load_page=partial(_page, conditions),
            filter_args={name: value for name, value in args.items() if value},
            filtered=any(args.values()),
        ),
    )


@bp.route("/<int:voice_id>")
def detail(voice_id: int) -> ResponseReturnValue:
    voice = db.session.scalar(_published().where(Voice.id == voice_id))
    if voice is None:
        abort(404)
    return render_template("voice/detail.html", voice=voice)


@bp.route("/reflected")
def reflected() -> ResponseReturnValue:
    list_key = fragment_key("voice-reflected", query_page(), *_list_version())
    # The condition of the partial index ix_voice_reflected_published_at.
    reflected = sa.or_(Voice.response_kind == ResponseKind.REFLECTED, Voice.reflection.is_not(None))
    return versioned_page(
        list_key,
        partial(
            render_template,
            "voice/reflected.html",
            list_key=list_key,
            load_page=partial(_page, [reflected]),
        ),
    )


# Sending ----------------------------------------------------------------------------------


def _attachment_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="voice-attachment")


def _kept_attachment(form: VoiceForm) -> StoredFile | None:
    """The file uploaded at the confirmation step of this same form (its submission token is
    in the signature, so a token copied from another form attaches nothing)."""
    token = form.attachment_token.data
    if not token or form.remove_attachment.data:
        return None
    try:
        file_id, submission = _attachment_signer().loads(token, max_age=ATTACHMENT_KEPT_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if submission != form.submission_token.data:
        return None
    return db.session.get(StoredFile, file_id)


def _keep_upload(form: VoiceForm) -> bool:
    """Store a newly chosen file and sign its id into the form; False when it was refused
    (its message is beside the field)."""
    upload = form.attachment.data
    if not getattr(upload, "filename", ""):
        if form.remove_attachment.data:
            form.attachment_token.data = ""
        return True
    try:
        stored = save_upload(
            upload, uploaded_by_id=current_user.id if current_user.is_authenticated else None
        )
    except UploadError as error:
        show_error(form, error, "attachment")
        return False
    # Committed now, so the file survives until the send on the next request; one never
    # sent stays unattached (an upload is never served without its record).
    db.session.commit()
    form.attachment_token.data = _attachment_signer().dumps([stored.id, form.submission_token.data])
    form.remove_attachment.data = False
    return True


@bp.route("/send", methods=["GET", "POST"])
@limiter.limit(_voice_limit, methods=["POST"])
def send() -> ResponseReturnValue:
    """Form → confirmation (確認画面) → stored with a receipt number, as the comment form."""
    form = prepare_voice_form(VoiceForm(), initiative_choices(), ward_choices())
    give_submission_token(form)
    if not form.is_submitted() and current_user.is_authenticated:
        form.name.data = current_user.display_name
        form.email.data = current_user.email
    action = request.form.get("action", "confirm")
    if request.method == "POST" and action != "edit" and form.validate_on_submit():
        if action == "confirm":
            if _keep_upload(form):
                return render_template(
                    "voice/confirm.html", form=form, attachment=_kept_attachment(form)
                )
        else:
            try:
                voice, _created = services.submit_voice(
                    voice_input(form, _kept_attachment(form)),
                    form.submission_token.data,
                    user=current_user if current_user.is_authenticated else None,
                    received_at=clock.received_at(),
                )
            except services.VoiceError as error:
                show_error(form, error, "body")
            else:
                voice_id = sa.inspect(voice).identity[0]
                remember_receipt("voice", voice_id)
                return redirect(url_for("voice.receipt", voice_id=voice_id))
    return render_template("voice/form.html", form=form, attachment=_kept_attachment(form))


@bp.route("/receipt/<int:voice_id>")
def receipt(voice_id: int) -> ResponseReturnValue:
    """The sender's receipt: only in the browser session that sent it, or to its account."""
    voice = db.session.get(Voice, voice_id)
    if voice is None or not may_see_receipt("voice", voice_id, voice.user_id):
        abort(404)
    return render_template(
        "voice/receipt.html",
        voice=voice,
        status_url=url_for("voice.status", token=services.status_token(voice), _external=True),
    )


# The sender's own pages -------------------------------------------------------------------


def _own_page() -> Any:
    return (
        selectinload(Voice.interims),
        joinedload(Voice.department),
    )


@bp.route("/status/<token>")
def status(token: str) -> ResponseReturnValue:
    voice = services.voice_by_status_token(token)
    if voice is None:
        abort(404)
    mark_personal_data()
    return render_template("voice/status.html", voice=voice, today=clock.today())


@bp.route("/mine")
@login_required
def mine() -> ResponseReturnValue:
    mark_personal_data()
    voices = db.session.scalars(
        sa.select(Voice)
        .where(Voice.user_id == current_user.id)
        .options(*_own_page())
        .order_by(Voice.received_at.desc(), Voice.id.desc())
    ).all()
    return render_template(
        "voice/mine.html",
        voices=[(voice, services.status_token(voice)) for voice in voices],
        today=clock.today(),
    )


@bp.route("/follow-up/<token>", methods=["GET", "POST"])
@limiter.limit(_voice_limit, methods=["POST"])
def follow_up(token: str) -> ResponseReturnValue:
    """The one question, asked once some weeks after the answer; a second answer is refused."""
    voice = services.voice_by_follow_up_token(token)
    if voice is None:
        abort(404)
    if voice.follow_up_answered_at is not None:
        return render_template("voice/follow_up.html", form=None, answered=True)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            services.answer_follow_up(token, FollowUpAnswer(form.answer.data))
        except services.VoiceError as error:
            # Answered meanwhile from another tab: said plainly, nothing changed.
            return render_template("voice/follow_up.html", form=None, message=str(error))
        return render_template("voice/follow_up.html", form=None, thanked=True)
    return render_template("voice/follow_up.html", form=form)


# Where a voice stands, as a sentence to its sender (the status labels are the staff's words).
_STATE_SENTENCES = {
    VoiceStatus.RECEIVED: _l("Received; it is being passed to the division concerned"),
    VoiceStatus.ROUTED: _l("The division concerned is dealing with it"),
    VoiceStatus.IN_APPROVAL: _l("The answer is being approved"),
    VoiceStatus.CLOSED: _l("Completed"),
    VoiceStatus.DUPLICATE: _l("Dealt with together with the same voice received earlier"),
}


@bp.app_template_global()
def voice_state(voice: Voice) -> str:
    return str(_STATE_SENTENCES[voice.status])


@bp.app_template_global()
def voice_initiative_title(initiative: Initiative | None) -> str:
    if initiative is None:
        return ""
    return f"{initiative.number}. {initiative.tr('title')}"
