"""Citizen forms of 市民の声: the voice form (with its confirmation step), the published list's
filters and the one follow-up question."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import Form, HoneypotMixin, choices, clean_text
from app.voice.models import AgeBand, FollowUpAnswer, ReplyBy, VoiceKind
from app.voice.services import VoiceInput

TEXT = {"filters": [clean_text]}
TITLE_LIMIT = 200  # Voice.title
BODY_LIMIT = 4000


def _limit(maximum: int) -> Length:
    return Length(max=maximum)  # the base form's message gives the limit and the count


class VoiceForm(HoneypotMixin, Form):
    """What a resident sends; the confirmation page posts every field again as hidden inputs.

    Name and contact are asked only for an answer (checked in `validate`, by the way chosen);
    age band, 校区 and the sender's ward only for statistics. Field names are those the tests
    post (tests/voice/conftest.py `voice_form`)."""

    submission_token = HiddenField()
    # The attachment uploaded at the confirmation step, kept for the send (signed: see views).
    attachment_token = HiddenField()
    kind = RadioField(
        _l("Kind of voice"),
        choices=choices(VoiceKind.choices()),
        validators=[DataRequired(message=_l("Please choose what kind of voice it is."))],
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), _limit(TITLE_LIMIT)],
        description=_l("In a few words, what your voice is about."),
        **TEXT,
    )
    body = TextAreaField(
        _l("Your voice"),
        validators=[DataRequired(), _limit(BODY_LIMIT)],
        description=_l("Up to %(max)d characters.", max=BODY_LIMIT),
        **TEXT,
    )
    attachment = FileField(
        _l("Attachment (optional)"),
        description=_l("A PDF, image or Office document of up to 10 MB, e.g. a photo or a map."),
    )
    remove_attachment = BooleanField(_l("Remove the attached file"))
    topic_initiative_id = SelectField(
        _l("Initiative it concerns (optional)"), coerce=int, validators=[Optional()]
    )
    ward_id = SelectField(_l("Ward it concerns (optional)"), coerce=int, validators=[Optional()])
    to_mayor = BooleanField(
        _l("This is a letter to the mayor"),
        description=_l("The mayor's office reads it and approves the answer."),
    )
    reply_by = RadioField(
        _l("Do you want an answer?"),
        choices=choices(ReplyBy.choices()),
        validators=[DataRequired(message=_l("Please choose whether you want an answer."))],
        description=_l(
            "Your name and contact details are needed only if you want an answer. "
            "Without them your voice is still received and read, but no answer is sent."
        ),
    )
    name = StringField(
        _l("Name"),
        validators=[Optional(), _limit(100)],
        description=_l("Required for an answer."),
        render_kw={"autocomplete": "name"},
        **TEXT,
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[Optional(), Email(), _limit(254)],
        description=_l("Required for an answer by e-mail. The receipt number is also sent there."),
        render_kw={"autocomplete": "email"},
        **TEXT,
    )
    postal_code = StringField(
        _l("Postal code"),
        validators=[Optional(), _limit(10)],
        description=_l("Required for an answer by post, e.g. 860-8601."),
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
        **TEXT,
    )
    postal_address = StringField(
        _l("Postal address"),
        validators=[Optional(), _limit(300)],
        description=_l("Required for an answer by post."),
        # One line holds the whole Japanese address; "street-address" belongs on a textarea.
        render_kw={"autocomplete": "address-line1"},
        **TEXT,
    )
    phone = StringField(
        _l("Phone number (optional)"),
        validators=[Optional(), _limit(40)],
        description=_l("Only if the division may need to ask you something."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
        **TEXT,
    )
    age_band = SelectField(_l("Age"), choices=[], validators=[Optional()], validate_choice=True)
    school_district = StringField(
        _l("School district"),
        validators=[Optional(), _limit(60)],
        description=_l("The elementary school district you live in."),
        **TEXT,
    )
    sender_ward_id = SelectField(_l("Ward you live in"), coerce=int, validators=[Optional()])
    consent_to_publish = BooleanField(
        _l("The city may publish a summary of my voice"),
        description=_l(
            "Only a summary written by the city is published, with the city's view, "
            "never your name or words that could identify you."
        ),
    )
    follow_up_wanted = BooleanField(
        _l("Ask me some weeks after the answer whether it helped"),
        description=_l("One question by e-mail, once; needs an e-mail address."),
    )

    def validate(self, extra_validators: dict | None = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        way = self.reply_by.data
        needed: list[tuple[Any, Any]] = []
        if way in (ReplyBy.EMAIL.value, ReplyBy.POST.value):
            needed.append((self.name, _l("Please give your name for the answer.")))
        if way == ReplyBy.EMAIL.value:
            needed.append(
                (self.email, _l("Please give your e-mail address for an answer by e-mail."))
            )
        if way == ReplyBy.POST.value:
            needed.append(
                (self.postal_code, _l("Please give your postal code for an answer by post."))
            )
            needed.append(
                (self.postal_address, _l("Please give your postal address for an answer by post."))
            )
        if self.follow_up_wanted.data:
            needed.append(
                (self.email, _l("Please give your e-mail address for the follow-up question."))
            )
        for field, message in needed:
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok


def prepare_voice_form(
    form: VoiceForm,
    initiatives: list[tuple[int, str]],
    wards: list[tuple[int, str]],
) -> VoiceForm:
    """The choices that come from the plan (the 22 initiatives, the five wards)."""
    from flask_babel import gettext as _

    form.topic_initiative_id.choices = choices([(0, _("Not specified")), *initiatives])
    form.ward_id.choices = choices([(0, _("Not specified")), *wards])
    form.sender_ward_id.choices = choices([(0, _("Prefer not to say")), *wards])
    form.age_band.choices = choices([("", _("Prefer not to say")), *AgeBand.choices()])
    return form


class VoiceFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    kind = SelectField(_l("Kind"), validators=[Optional()])
    ward = SelectField(_l("Ward"), coerce=int, validators=[Optional()])
    initiative = SelectField(_l("Initiative"), coerce=int, validators=[Optional()])
    department = SelectField(_l("Division"), coerce=int, validators=[Optional()])
    year = SelectField(_l("Fiscal year"), coerce=int, validators=[Optional()])


class FollowUpForm(Form):
    answer = RadioField(
        _l("Did the city's answer help you?"),
        choices=choices(FollowUpAnswer.choices()),
        validators=[DataRequired(message=_l("Please choose an answer."))],
    )


def voice_input(form: Any, attachment: Any = None) -> VoiceInput:
    """What the services store from the voice form, or from staff's entry of a letter or a
    call (the same fields): optional choices left empty become None."""
    answered = form.reply_by.data != ReplyBy.NONE.value
    return VoiceInput(
        kind=VoiceKind(form.kind.data),
        title=form.title.data,
        body=form.body.data,
        reply_by=ReplyBy(form.reply_by.data),
        name=form.name.data or "",
        email=form.email.data or "",
        postal_code=form.postal_code.data or "",
        postal_address=form.postal_address.data or "",
        phone=form.phone.data or "",
        age_band=AgeBand(form.age_band.data) if form.age_band.data else None,
        school_district=form.school_district.data or "",
        sender_ward_id=form.sender_ward_id.data or None,
        ward_id=form.ward_id.data or None,
        topic_initiative_id=form.topic_initiative_id.data or None,
        to_mayor=bool(form.to_mayor.data),
        consent_to_publish=bool(form.consent_to_publish.data),
        # The follow-up question goes by e-mail, and only to a sender who is answered.
        follow_up_wanted=bool(form.follow_up_wanted.data) and answered,
        attachment_id=attachment.id if attachment else None,
    )
