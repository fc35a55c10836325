from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import CheckboxesField, Form, HoneypotMixin, choices, clean_text
from app.extensions import cache
from app.public_comment.models import CaseStatus, Channel, SubmitterCategory

TEXT = {"filters": [clean_text]}
BODY_LIMIT = 4000
DEFAULT_WHO = (
    "市内に住所を有する方、市内に事務所又は事業所を有する個人及び法人その他の団体、市内の事務所"
    "又は事業所に勤務する方、市内の学校に在学する方、本件に利害関係を有する方"
)


def _limit(maximum: int) -> Length:
    return Length(max=maximum)  # the base form's message gives the limit and the count


class CaseForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), _limit(200)], **TEXT)
    title_en = StringField(
        _l("Title in English (optional)"), validators=[Optional(), _limit(300)], **TEXT
    )
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), _limit(4000)], **TEXT)
    purpose = TextAreaField(
        _l("Purpose and background"), validators=[Optional(), _limit(4000)], **TEXT
    )
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Optional(), _limit(2000)], **TEXT)
    department_id = SelectField(_l("Department"), coerce=int)
    initiative_id = SelectField(_l("Initiative it fulfils"), coerce=int)
    ward_id = SelectField(_l("Ward (if the matter is local)"), coerce=int)
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    opens_time = TimeField(
        _l("Opens at (time, Japan)"), validators=[DataRequired()], default=time(9, 0)
    )
    closes_on = DateField(_l("Closes on"), validators=[DataRequired()])
    closes_time = TimeField(
        _l("Closes at (time, Japan)"),
        validators=[DataRequired()],
        default=time(23, 59),
        description=_l("Comments are accepted until the end of this minute."),
    )
    short_period_reason = TextAreaField(
        _l("Reason for a period under 30 days"),
        validators=[Optional(), _limit(2000)],
        description=_l("Required when the period is shorter than 30 days; it is published."),
        **TEXT,
    )
    who_may_comment = TextAreaField(
        _l("Who may comment"),
        validators=[DataRequired(), _limit(1000)],
        default=DEFAULT_WHO,
        **TEXT,
    )
    channels = CheckboxesField(
        _l("How comments are accepted"),
        choices=choices(Channel.choices()),
        default=[c.value for c in Channel],
        validators=[DataRequired()],
    )
    postal_address = StringField(
        _l("Postal address for comments"), validators=[Optional(), _limit(300)], **TEXT
    )
    fax = StringField(_l("Fax number"), validators=[Optional(), _limit(40)], **TEXT)
    email = EmailField(
        _l("E-mail address for comments"), validators=[Optional(), Email(), _limit(254)]
    )


class SectionForm(Form):
    heading = StringField(_l("Section heading"), validators=[DataRequired(), _limit(200)], **TEXT)
    body = TextAreaField(
        _l("Text of the section"), validators=[DataRequired(), _limit(20000)], **TEXT
    )


class MaterialForm(Form):
    title = StringField(
        _l("Title of the material"), validators=[DataRequired(), _limit(200)], **TEXT
    )
    file = FileField(
        _l("File"),
        description=_l("PDF, image, Word, Excel or PowerPoint; up to 10 MB."),
    )
    url = URLField(
        _l("Or a link to a web page"),
        validators=[Optional(), _limit(500)],
        description=_l("For a material published elsewhere, e.g. the national guideline."),
        **TEXT,
    )


class NoteForm(Form):
    note = TextAreaField(_l("Notes"), validators=[Optional(), _limit(4000)], **TEXT)


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), _limit(2000)], **TEXT)


class CommentForm(HoneypotMixin, Form):
    submission_token = HiddenField()
    submitter_category = RadioField(
        _l("You are"),
        choices=choices(SubmitterCategory.choices()),
        validators=[DataRequired(message=_l("Please choose one."))],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), _limit(100)],
        **TEXT,
        render_kw={"autocomplete": "name"},
    )
    address = StringField(
        _l("Address"),
        validators=[DataRequired(), _limit(300)],
        **TEXT,
        description=_l("For a business or organisation, its address."),
        render_kw={"autocomplete": "address-line1"},
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[Optional(), Email(), _limit(254)],
        description=_l(
            "Give an e-mail address or a phone number. With an e-mail "
            "address you receive your receipt number by e-mail."
        ),
        render_kw={"autocomplete": "email"},
    )
    phone = StringField(
        _l("Phone number"),
        validators=[Optional(), _limit(40)],
        **TEXT,
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    organisation = StringField(
        _l("Organisation (if you write for one)"), validators=[Optional(), _limit(200)], **TEXT
    )
    representative = StringField(
        _l("Representative of the organisation"), validators=[Optional(), _limit(100)], **TEXT
    )
    section_id = SelectField(
        _l("Part of the draft your comment is about (optional)"),
        coerce=int,
        validators=[Optional()],
    )
    body = TextAreaField(
        _l("Your comment"),
        validators=[DataRequired(), _limit(BODY_LIMIT)],
        description=_l("Up to %(max)d characters.", max=BODY_LIMIT),
        **TEXT,
    )
    consent = BooleanField(
        _l("I have read how my personal data is handled and agree to it."),
        validators=[DataRequired(message=_l("Please agree to the privacy notice."))],
    )

    def validate(self, extra_validators: dict | None = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        if not (self.email.data or self.phone.data):
            self.email.errors = [
                *self.email.errors,
                _l("Give an e-mail address or a phone number."),
            ]
            ok = False
        if self.organisation.data and not self.representative.data:
            self.representative.errors = [
                *self.representative.errors,
                _l("Give the representative of the organisation."),
            ]
            ok = False
        return ok


def section_choices(case: Any) -> list[Any]:
    """The parts of a draft a comment or summary can point at, "the whole draft" first."""
    from flask_babel import gettext as _

    return choices([(0, _("The draft as a whole")), *_sections(case)])


def _sections(case: Any) -> list[tuple[int, str]]:
    """A case's sections as (id, heading). Once approved they can no longer change (only a
    draft is edited, and only a case in review goes back to draft), so they are cached: the
    comment form is the site's busiest, three requests per comment."""
    frozen = case.status not in (CaseStatus.DRAFT, CaseStatus.IN_REVIEW)
    key = f"sections-{case.id}"
    sections = cache.get(key) if frozen else None
    if sections is None:
        sections = [(s.id, s.heading) for s in case.sections]
        if frozen:
            cache.set(key, sections)
    return sections


def prepare_comment_form(form: CommentForm, case: Any) -> CommentForm:
    """Section choices, and a submission token on first display (it makes resubmits idempotent)."""
    from app.core.receipts import give_submission_token

    form.section_id.choices = section_choices(case)
    give_submission_token(form)
    return form


class PaperCommentForm(CommentForm):
    consent = None  # type: ignore[assignment]  # consent was given on paper
    channel = SelectField(
        _l("Received by"),
        choices=choices(Channel.choices(Channel.WEB)),
    )
    received_on = DateField(_l("Date received"), validators=[DataRequired()])
    late_reason = TextAreaField(
        _l("Reason for accepting it outside the period"),
        validators=[Optional(), _limit(2000)],
        **TEXT,
    )


class RedactForm(Form):
    redacted_body = TextAreaField(
        _l("Text to publish"),
        validators=[DataRequired(), _limit(BODY_LIMIT)],
        **TEXT,
        description=_l(
            "Replace what would harm a third party with "
            "〔略〕. The original stays visible to staff."
        ),
    )
    reason = TextAreaField(
        _l("Reason for the redaction"), validators=[DataRequired(), _limit(2000)], **TEXT
    )


class SummaryForm(Form):
    summary = TextAreaField(
        _l("Summary of the opinions"), validators=[DataRequired(), _limit(4000)], **TEXT
    )
    city_view = TextAreaField(
        _l("The city's view"), validators=[DataRequired(), _limit(8000)], **TEXT
    )
    disposition_id = SelectField(_l("Disposition"), coerce=int)
    section_id = SelectField(_l("Part of the draft"), coerce=int, validators=[Optional()])
    comment_ids = CheckboxesField(_l("Comments this answers"), coerce=int, validators=[Optional()])


class ResultsForm(Form):
    changes = TextAreaField(
        _l("What changed in the draft, and why"), validators=[DataRequired(), _limit(8000)], **TEXT
    )
    decision_date = DateField(_l("Date of the decision"), validators=[DataRequired()])


class CaseFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Keyword"), validators=[Optional(), _limit(100)], **TEXT)
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    initiative = SelectField(_l("Initiative"), coerce=int, validators=[Optional()])
    ward = SelectField(_l("Ward"), coerce=int, validators=[Optional()])


class AssignGroupForm(Form):
    summary_id = SelectField(
        _l("Opinion summary that answers every comment of the group"), coerce=int
    )


class MergeGroupForm(Form):
    group_id = SelectField(_l("Group to merge into this one"), coerce=int)
