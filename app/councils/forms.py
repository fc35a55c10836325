from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.core.forms import CheckboxesField, Form, HoneypotMixin, choices, clean_text
from app.councils.eligibility import essay_length_error
from app.councils.models import (
    Exclusion,
    Gender,
    MeetingOpenness,
    MemberCategory,
    Residency,
    SelectionMethod,
)

TEXT = {"filters": [clean_text]}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
JST_HINT = _l("Japan time (JST).")


def _required_text(label: Any, max_length: int, area: bool = False, **kwargs: Any) -> Any:
    cls = TextAreaField if area else StringField
    return cls(label, validators=[DataRequired(), Length(max=max_length)], **TEXT, **kwargs)


def _optional_text(label: Any, max_length: int, area: bool = False, **kwargs: Any) -> Any:
    cls = TextAreaField if area else StringField
    return cls(label, validators=[Optional(), Length(max=max_length)], **TEXT, **kwargs)


def _count(label: Any, minimum: int = 0, maximum: int = 1000, **kwargs: Any) -> IntegerField:
    return IntegerField(
        label, validators=[InputRequired(), NumberRange(min=minimum, max=maximum)], **kwargs
    )


class CouncilForm(Form):
    department_id = SelectField(_l("Department"), coerce=int)
    name_ja = _required_text(_l("Name (Japanese)"), 200)
    name_en = _optional_text(_l("Name (English)"), 300)
    purpose_ja = _required_text(_l("Purpose (Japanese)"), 4000, area=True)
    purpose_en = _optional_text(_l("Purpose (English)"), 4000, area=True)
    legal_basis_ja = _optional_text(_l("Legal basis (Japanese)"), 300)
    legal_basis_en = _optional_text(_l("Legal basis (English)"), 300)
    total_seats = _count(_l("Seats"), 1, 200)
    public_seat_target = _count(_l("Target number of public seats"), 0, 200, default=0)
    term_years = _count(_l("Term (years)"), 1, 10, default=2)
    meetings_open_by_default = BooleanField(_l("Meetings are open to the public by default"))


class MemberForm(Form):
    name = _required_text(_l("Name"), 100)
    category = SelectField(_l("Category"), choices=choices(MemberCategory.choices()))
    gender = SelectField(
        _l("Gender"),
        choices=choices([("", _l("Not recorded")), *Gender.choices()]),
        validators=[Optional()],
        description=_l("Optional; used only for the statistics and never shown on public pages."),
    )
    appointed_on = DateField(_l("Appointed on"), validators=[DataRequired()])
    term_ends_on = DateField(_l("Term ends on"), validators=[DataRequired()])


class EndMembershipForm(Form):
    ended_on = DateField(_l("Ended on"), validators=[DataRequired()])
    reason = _required_text(_l("Reason"), 300)


class MeetingForm(Form):
    title_ja = _required_text(_l("Title (Japanese)"), 200)
    title_en = _optional_text(_l("Title (English)"), 300)
    starts_at = DateTimeLocalField(
        _l("Starts at"), format=DATETIME_FORMAT, validators=[DataRequired()], description=JST_HINT
    )
    place_ja = _optional_text(_l("Place (Japanese)"), 200)
    place_en = _optional_text(_l("Place (English)"), 300)
    openness = SelectField(_l("Open to the public?"), choices=choices(MeetingOpenness.choices()))
    closed_reason_ja = _optional_text(
        _l("Reason for closing (Japanese)"),
        2000,
        area=True,
        description=_l("Required when the meeting is closed or partly closed."),
    )
    closed_reason_en = _optional_text(_l("Reason for closing (English)"), 2000, area=True)
    observer_seats = _count(_l("Observer seats"), 0, 500, default=10)


class MinutesForm(Form):
    minutes_ja = _required_text(_l("Minutes (Japanese)"), 50000, area=True)
    minutes_en = _optional_text(_l("Minutes (English)"), 50000, area=True)


class ObserverForm(HoneypotMixin, Form):
    name = _required_text(_l("Name"), 100, render_kw={"autocomplete": "name"})
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("We send your seat number here."),
        render_kw={"autocomplete": "email"},
    )
    # One seat per form, however often it is sent (see register_observer).
    submission_token = HiddenField()


class GuidelinesForm(Form):
    minimum_age = _count(_l("Minimum age on the closing date"), 15, 100)
    residency_categories = CheckboxesField(
        _l("Who may apply"),
        choices=choices(Residency.choices(Residency.NONE)),
    )
    exclusions = CheckboxesField(
        _l("Who may not apply (declared by the applicant)"),
        choices=choices(Exclusion.choices()),
    )
    max_concurrent_memberships = _count(_l("Councils one person may sit on at once"), 1, 20)
    max_consecutive_terms = _count(_l("Consecutive terms on one council"), 1, 20)
    public_seat_target_percent = _count(_l("Target share of public members (%)"), 0, 100)
    women_target_percent = _count(_l("Target share of women (%)"), 0, 100)


class CallForm(Form):
    # Choices: the current plan's initiatives (set by the view); initiative 7 unless chosen.
    initiative_id = SelectField(
        _l("Initiative it fulfils"),
        coerce=int,
        validators=[Optional()],
        description=_l("Usually 7, the promotion of public members on councils."),
    )
    title_ja = _required_text(_l("Title (Japanese)"), 200)
    title_en = _optional_text(_l("Title (English)"), 300)
    purpose_ja = _required_text(_l("Purpose (Japanese)"), 4000, area=True)
    purpose_en = _optional_text(_l("Purpose (English)"), 4000, area=True)
    seats = _count(_l("Seats"), 1, 50, default=2)
    opens_at = DateTimeLocalField(
        _l("Opens at"), format=DATETIME_FORMAT, validators=[DataRequired()], description=JST_HINT
    )
    closes_at = DateTimeLocalField(
        _l("Closes at"),
        format=DATETIME_FORMAT,
        validators=[DataRequired()],
        description=_l("Japan time (JST). Applications are accepted until this minute."),
    )
    term_starts_on = DateField(_l("Term starts on"), validators=[DataRequired()])
    term_ends_on = DateField(_l("Term ends on"), validators=[DataRequired()])
    meeting_frequency_ja = _optional_text(_l("Meeting frequency (Japanese)"), 200)
    meeting_frequency_en = _optional_text(_l("Meeting frequency (English)"), 300)
    fee_per_meeting = _count(_l("Fee per meeting (yen)"), 0, 1_000_000, default=0)
    essay_theme_ja = _required_text(_l("Essay theme (Japanese)"), 300)
    essay_theme_en = _optional_text(_l("Essay theme (English)"), 400)
    essay_min_chars = _count(_l("Essay: fewest characters"), 0, 10000, default=400)
    essay_max_chars = _count(_l("Essay: most characters"), 1, 10000, default=800)
    selection_method = SelectField(
        _l("Selection method"), choices=choices(SelectionMethod.choices())
    )
    criteria_ja = _optional_text(
        _l("Review criteria (Japanese)"),
        2000,
        area=True,
        description=_l("One per line; reviewers score each from 0 to 5."),
    )
    criteria_en = _optional_text(_l("Review criteria (English)"), 2000, area=True)
    pass_mark = IntegerField(
        _l("Pass mark for the lottery"),
        validators=[Optional(), NumberRange(min=0, max=500)],
        description=_l(
            "Screening then lottery: the average total score an application needs to enter "
            "the lottery."
        ),
    )
    contact_ja = _optional_text(_l("Contact (Japanese)"), 1000, area=True)
    contact_en = _optional_text(_l("Contact (English)"), 1000, area=True)


def essay_length(call: Any) -> Any:
    """Validator: the call's rule on the essay's length, checked with the other fields so one
    submit reports every error (submit_application checks it again)."""

    def check(form: Any, field: Any) -> None:
        error = essay_length_error(call, field.data)
        if error:
            raise ValidationError(error)

    return check


class ApplicationForm(Form):
    name = _required_text(_l("Name"), 100, render_kw={"autocomplete": "name"})
    kana = _required_text(_l("Name in kana"), 100)
    address = _required_text(_l("Address"), 300, render_kw={"autocomplete": "address-line1"})
    birth_date = DateField(
        _l("Date of birth"), validators=[DataRequired()], render_kw={"autocomplete": "bday"}
    )
    gender = SelectField(
        _l("Gender"),
        choices=choices([("", _l("Prefer not to answer")), *Gender.choices()]),
        validators=[Optional()],
        description=_l(
            "Optional. Used only for the city's statistics on women's participation in councils."
        ),
    )
    phone = TelField(
        _l("Telephone"),
        validators=[DataRequired(), Length(max=30)],
        render_kw={"autocomplete": "tel"},
        **TEXT,
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    residency = SelectField(
        _l("Your link to the city"),
        choices=choices([("", _l("Choose one")), *Residency.choices()]),
        validators=[DataRequired()],
    )
    occupation = _optional_text(_l("Occupation"), 200)
    experience = _optional_text(_l("Experience in community activities"), 2000, area=True)
    motivation = _required_text(_l("Why you are applying"), 2000, area=True)
    essay = TextAreaField(_l("Essay"), validators=[DataRequired()], **TEXT)
    city_employee = BooleanField(Exclusion.CITY_EMPLOYEE.lazy_label)
    assembly_member = BooleanField(Exclusion.ASSEMBLY_MEMBER.lazy_label)
    truthful = BooleanField(
        _l("I declare that what I have written is true."),
        validators=[DataRequired(message=_l("Please confirm the declaration."))],
    )


class WithdrawForm(Form):
    reason = _required_text(_l("Reason for withdrawing"), 500)


class ReviewerForm(Form):
    reviewer_id = SelectField(_l("Reviewer"), coerce=int)


class SelectionForm(Form):
    application_ids = CheckboxesField(_l("Appoint"), coerce=int)


class ConfirmForm(Form):
    """A button that changes state: only its CSRF token."""


class ScoreForm(Form):
    comment = _optional_text(_l("Comment"), 2000, area=True)


def score_form(criteria: list[str], **kwargs: Any) -> ScoreForm:
    """A score form with one 0–5 field per review criterion of the call."""

    class CallScoreForm(ScoreForm):
        pass

    for index, criterion in enumerate(criteria):
        setattr(
            CallScoreForm,
            f"criterion_{index}",
            IntegerField(
                criterion,
                validators=[InputRequired(), NumberRange(min=0, max=5)],
                description=_l("0 to 5"),
            ),
        )
    form = CallScoreForm(**kwargs)
    form.criteria_fields = [form[f"criterion_{i}"] for i in range(len(criteria))]
    return form
