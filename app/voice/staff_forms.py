"""Staff forms of 市民の声: the inbox filter, staff entry of a voice that came by letter, phone,
visit, e-mail, fax or the mayor's dialogue, and the small forms of the voice page (route,
classify, mark, interim answer, answer, decision, follow-up, publication, withdrawal) and the
answer templates. The choices that come from the database are set by the views."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from app.core import clock
from app.core.forms import CheckboxesField, Form, choices, clean_text, within_calendar
from app.voice.models import (
    AgeBand,
    Reflection,
    ReplyBy,
    ResponseKind,
    VoiceChannel,
    VoiceKind,
    VoiceStatus,
)

TEXT = {"filters": [clean_text]}
TITLE_LIMIT = 200
BODY_LIMIT = 8000
NOTE_LIMIT = 2000


def _text(label: Any, limit: int, required: bool = True, area: bool = False, **kw: Any) -> Any:
    cls = TextAreaField if area else StringField
    first = DataRequired() if required else Optional()
    return cls(label, validators=[first, Length(max=limit)], **TEXT, **kw)


def _optional_int(value: Any) -> int | None:
    """A select whose first option is "none" (empty value): None, else the id."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _not_in_future(form: Any, field: Any) -> None:
    if field.data is not None and field.data > clock.today():
        raise ValidationError(_l("The day received cannot be in the future."))


def _after_today(form: Any, field: Any) -> None:
    if field.data is not None and field.data <= clock.today():
        raise ValidationError(_l("Please give a date after today."))


def _not_after_today(form: Any, field: Any) -> None:
    if field.data is not None and field.data > clock.today():
        raise ValidationError(_l("Please give a date no later than today."))


class InboxFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    status = SelectField(
        _l("Status"),
        choices=choices([("", _l("All open voices")), *VoiceStatus.choices()]),
        validators=[Optional()],
    )
    overdue = BooleanField(_l("Overdue only"))
    department = SelectField(
        _l("Division"), coerce=_optional_int, validators=[Optional()], choices=[]
    )
    kind = SelectField(
        _l("Kind"),
        choices=choices([("", _l("All kinds")), *VoiceKind.choices()]),
        validators=[Optional()],
    )
    channel = SelectField(
        _l("Received by"),
        choices=choices([("", _l("All channels")), *VoiceChannel.choices()]),
        validators=[Optional()],
    )


class VoiceEntryForm(Form):
    """A voice that came to the city another way than the web form, typed by staff as the
    sender gave it: the same fields as the citizen's form, with the channel and the day."""

    submission_token = HiddenField()
    channel = SelectField(
        _l("Received by"), choices=choices(VoiceChannel.choices(VoiceChannel.WEB))
    )
    received_on = DateField(
        _l("Day received"), validators=[DataRequired(), within_calendar, _not_in_future]
    )
    kind = RadioField(
        _l("Kind of voice"), choices=choices(VoiceKind.choices()), validators=[InputRequired()]
    )
    title = _text(_l("Title"), TITLE_LIMIT)
    body = _text(_l("The voice"), BODY_LIMIT, area=True, description=_l("As the sender said it."))
    to_mayor = BooleanField(_l("Addressed to the mayor (a letter to the mayor)"))
    topic_initiative_id = SelectField(
        _l("Initiative it concerns"), coerce=_optional_int, validators=[Optional()], choices=[]
    )
    ward_id = SelectField(
        _l("Ward it concerns"), coerce=_optional_int, validators=[Optional()], choices=[]
    )
    reply_by = RadioField(
        _l("Answer wanted"),
        choices=choices(ReplyBy.choices()),
        default=ReplyBy.NONE.value,
        validators=[InputRequired()],
    )
    name = _text(_l("Name"), 100, required=False)
    email = EmailField(
        _l("E-mail address"), validators=[Optional(), Email(), Length(max=254)], **TEXT
    )
    postal_code = _text(_l("Postal code"), 10, required=False)
    postal_address = _text(_l("Postal address"), 300, required=False)
    phone = TelField(_l("Telephone"), validators=[Optional(), Length(max=40)], **TEXT)
    age_band = SelectField(
        _l("Age (for statistics)"),
        choices=choices([("", _l("Not given")), *AgeBand.choices()]),
        validators=[Optional()],
    )
    school_district = _text(_l("School district (for statistics)"), 60, required=False)
    sender_ward_id = SelectField(
        _l("Sender's ward (for statistics)"),
        coerce=_optional_int,
        validators=[Optional()],
        choices=[],
    )
    consent_to_publish = BooleanField(
        _l("The sender agreed that a summary may be published"),
        description=_l("Record what the sender said; without it the voice is never published."),
    )
    follow_up_wanted = BooleanField(_l("The sender would like the follow-up question later"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # An answer needs someone to send it to: the name and the address of the chosen way.
        reply = self.reply_by.data
        needed: list[Any] = []
        if reply in (ReplyBy.EMAIL.value, ReplyBy.POST.value):
            needed.append(self.name)
            needed.append(self.email if reply == ReplyBy.EMAIL.value else self.postal_address)
        for field in needed:
            if not field.data and not field.errors:
                message = _(
                    "Please fill in “%(field)s”: the sender wants an answer.",
                    field=field.label.text,
                )
                field.errors = [*field.errors, message]
                valid = False
        return valid


class RouteForm(Form):
    department_ids = CheckboxesField(
        _l("Divisions"), coerce=int, validators=[DataRequired()], choices=[]
    )
    lead_id = SelectField(
        _l("Lead division (drafts the answer)"),
        coerce=_optional_int,
        validators=[DataRequired()],
        choices=[],
    )
    note = _text(
        _l("Note to the divisions"),
        NOTE_LIMIT,
        required=False,
        area=True,
        description=_l("When routing again, the reason: it is kept with the ended routes."),
    )

    def validate_lead_id(self, field: Any) -> None:
        if self.department_ids.data and field.data not in self.department_ids.data:
            raise ValidationError(_l("The lead division must be one of the divisions chosen."))


class ClassifyForm(Form):
    kind = SelectField(_l("Kind of voice"), choices=choices(VoiceKind.choices()))
    initiative_id = SelectField(_l("Initiative it fulfils"), coerce=int, choices=[])
    ward_id = SelectField(
        _l("Ward it concerns"), coerce=_optional_int, validators=[Optional()], choices=[]
    )
    to_mayor = BooleanField(_l("Letter to the mayor (the mayor's office approves the answer)"))


class DuplicateForm(Form):
    receipt_code = _text(
        _l("Receipt number of the original voice"),
        32,
        description=_l("For example V2026-00042."),
    )
    reason = _text(_l("Reason"), NOTE_LIMIT, area=True)


class RepeatForm(Form):
    receipt_code = _text(
        _l("Receipt number of the earlier voice of the same sender"),
        32,
        description=_l("For example V2026-00042."),
    )


class InterimForm(Form):
    reason = _text(
        _l("Why the answer will be late"),
        NOTE_LIMIT,
        area=True,
        description=_l("Sent to the sender as it is written."),
    )
    expected_on = DateField(
        _l("Date the answer is expected"),
        validators=[DataRequired(), within_calendar, _after_today],
    )


class AnswerForm(Form):
    body = _text(
        _l("The answer"),
        BODY_LIMIT,
        area=True,
        description=_l("Sent to the sender once approved, as it is written."),
    )
    response_kind = SelectField(
        _l("Kind of response"), choices=choices(ResponseKind.choices()), validators=[DataRequired()]
    )
    reflection = SelectField(
        _l("Reflection status"),
        choices=choices([("", _l("Not set")), *Reflection.choices()]),
        validators=[Optional()],
    )


class ApproveForm(Form):
    note = _text(_l("Note (optional)"), NOTE_LIMIT, required=False, area=True)


class ReturnForm(Form):
    note = _text(
        _l("What the division should change"),
        NOTE_LIMIT,
        area=True,
    )


class FollowUpForm(Form):
    noted_on = DateField(_l("Date"), validators=[DataRequired(), within_calendar, _not_after_today])
    reflection = SelectField(_l("Reflection status"), choices=choices(Reflection.choices()))
    note = _text(
        _l("What happened"),
        NOTE_LIMIT,
        area=True,
        description=_l("Published with the voice once it is published."),
    )


class PublishForm(Form):
    public_title = _text(_l("Published title"), TITLE_LIMIT)
    public_summary = _text(
        _l("Summary of the voice"),
        BODY_LIMIT,
        area=True,
        description=_l(
            "Written by the city. Leave out anything that could identify the sender or anyone else."
        ),
    )
    public_view = _text(_l("The city's view and response"), BODY_LIMIT, area=True)


class WithdrawForm(Form):
    reason = _text(
        _l("Reason for withdrawing"),
        NOTE_LIMIT,
        area=True,
        description=_l("Kept with the publication history; the voice can be published again."),
    )


class TemplateForm(Form):
    title = _text(_l("Name of the template"), TITLE_LIMIT)
    body = _text(_l("Text"), BODY_LIMIT, area=True)
    response_kind = SelectField(
        _l("Kind of response it suggests"),
        choices=choices([("", _l("None")), *ResponseKind.choices()]),
        validators=[Optional()],
    )
    for_all = BooleanField(_l("Offer it to every division"))
