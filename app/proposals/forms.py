from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.core.forms import CheckboxesField, Form, RowForm, choices, clean_text
from app.proposals.models import (
    ELIGIBILITY_LABELS,
    EXCLUSION_LABELS,
    POINTS_MAX,
    CallType,
)

TEXT = {"filters": [clean_text]}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
JST_HINT = _l("Japan time (JST).")
BUDGET_ROWS = 6


def _text(label: Any, max_length: int, required: bool = True, area: bool = False, **kw: Any) -> Any:
    cls = TextAreaField if area else StringField
    first = DataRequired() if required else Optional()
    return cls(label, validators=[first, Length(max=max_length)], **TEXT, **kw)


def _moment(label: Any, required: bool = True, **kw: Any) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMAT,
        validators=[DataRequired() if required else Optional()],
        **kw,
    )


def parse_criteria(text: str) -> list[dict[str, Any]]:
    """One criterion per line: `weight | 日本語 | English` (English optional)."""
    criteria = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1]:
            raise ValidationError(
                _l("Line %(n)s: write “weight | Japanese name | English name”.", n=number)
            )
        criteria.append(
            {"ja": parts[1], "en": parts[2] if len(parts) > 2 else "", "weight": int(parts[0])}
        )
    return criteria


def format_criteria(criteria: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['weight']} | {c['ja']} | {c.get('en', '')}" for c in criteria)


class CallForm(Form):
    title_ja = _text(_l("Title (Japanese)"), 200)
    title_en = _text(_l("Title (English)"), 300, required=False)
    summary_ja = _text(_l("Summary (Japanese)"), 4000, area=True)
    summary_en = _text(_l("Summary (English)"), 4000, required=False, area=True)
    call_type = RadioField(
        _l("Type of call"),
        choices=choices(CallType.choices()),
        validators=[InputRequired()],
    )
    consultation_opens_at = _moment(
        _l("Pre-consultation opens"), required=False, description=JST_HINT
    )
    consultation_closes_at = _moment(
        _l("Pre-consultation closes"), required=False, description=JST_HINT
    )
    opens_at = _moment(_l("Submissions open"), description=JST_HINT)
    closes_at = _moment(
        _l("Submissions close"),
        description=_l("Japan time (JST). Proposals are accepted until this minute."),
    )
    max_contribution = IntegerField(
        _l("Most the city pays per project (yen)"),
        validators=[InputRequired(), NumberRange(min=0, max=100_000_000)],
    )
    department_id = SelectField(_l("Department running the call"), coerce=int)
    initiative_id = SelectField(
        _l("Initiative it fulfils"),
        coerce=int,
        description=_l("Proposals made to this call count towards this initiative."),
    )
    criteria_text = TextAreaField(
        _l("Review criteria"),
        validators=[DataRequired()],
        description=_l(
            "One per line: weight | Japanese name | English name. The weights must add up to "
            "100; reviewers score each criterion from 0 to 5."
        ),
        **TEXT,
    )

    def validate_criteria_text(self, field: Any) -> None:
        from app.proposals.services import ProposalError, check_criteria

        self.parsed_criteria = parse_criteria(field.data)
        try:
            check_criteria(self.parsed_criteria)  # the service checks again; here for the page
        except ProposalError as error:
            raise ValidationError(str(error)) from error


class ThemeForm(Form):
    department_id = SelectField(_l("Division offering the theme"), coerce=int)
    title_ja = _text(_l("Theme (Japanese)"), 200)
    title_en = _text(_l("Theme (English)"), 300, required=False)
    description_ja = _text(_l("Description (Japanese)"), 4000, required=False, area=True)
    description_en = _text(_l("Description (English)"), 4000, required=False, area=True)


class BudgetLineForm(RowForm):
    """A row of the budget table; a row left empty is ignored."""

    item = StringField(_l("Item"), validators=[Optional(), Length(max=200)], **TEXT)
    amount = IntegerField(_l("Cost (yen)"), validators=[Optional(), NumberRange(min=0)])
    city_share = IntegerField(
        _l("Paid by the city (yen)"), validators=[Optional(), NumberRange(min=0)]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        # Each field is optional on its own (empty rows are allowed), so the row checks here
        # that a started row is complete; the errors go beside the missing field.
        valid = super().validate(extra_validators)
        money = [self.amount, self.city_share]
        if not self.item.data and any(f.data is not None for f in money):
            self.item.errors = [*self.item.errors, _l("Name the item.")]
            valid = False
        for f in money:
            if self.item.data and f.data is None:
                f.errors = [*f.errors, _l("Give the cost and the city's share.")]
                valid = False
        return valid


class ProposalForm(Form):
    group_name = _text(_l("Name of the group"), 200)
    representative = _text(_l("Representative"), 100, render_kw={"autocomplete": "name"})
    members = IntegerField(
        _l("Number of members"), validators=[InputRequired(), NumberRange(min=1, max=100_000)]
    )
    founded_on = DateField(_l("Founded on"), validators=[DataRequired()])
    address = _text(_l("Address of the group"), 300, render_kw={"autocomplete": "address-line1"})
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
    activity_record = _text(_l("What the group has done so far"), 4000, area=True)
    title = _text(_l("Title of the project"), 200)
    summary = _text(_l("Summary"), 2000, area=True)
    problem = _text(_l("The problem and the aim"), 4000, area=True)
    plan = _text(_l("What you will do"), 4000, area=True)
    schedule = _text(_l("Schedule"), 2000, area=True)
    group_role = _text(_l("What the group does"), 2000, area=True)
    city_role = _text(_l("What you ask of the city"), 2000, area=True)
    theme_id = SelectField(_l("Theme"), coerce=int, validators=[Optional()])
    department_id = SelectField(
        _l("Division you want to work with"), coerce=int, validators=[Optional()]
    )
    budget = FieldList(
        FormField(BudgetLineForm), label=_l("Budget"), min_entries=BUDGET_ROWS, max_entries=20
    )
    attachment = FileField(
        _l("Attachment (optional)"),
        description=_l("A PDF, image or Office document of up to 10 MB, e.g. a plan or a map."),
    )
    eligibility = CheckboxesField(
        _l("The group's eligibility"),
        choices=choices(ELIGIBILITY_LABELS.items()),
        validate_choice=True,
    )
    declarations = CheckboxesField(
        _l("The project"),
        choices=choices(EXCLUSION_LABELS.items()),
        validate_choice=True,
    )


class NoteForm(Form):
    note = _text(_l("Note"), 4000, area=True)


class OptionalNoteForm(Form):
    note = _text(_l("Note to the group (optional)"), 4000, required=False, area=True)


class ForwardForm(Form):
    eligible = RadioField(
        _l("Eligibility"),
        choices=choices(
            [
                ("yes", _l("Eligible: send to the division")),
                ("no", _l("Not eligible: not adopted")),
            ]
        ),
        validators=[InputRequired()],
    )
    note = _text(
        _l("Note"),
        4000,
        required=False,
        area=True,
        description=_l("Required when the group is not eligible; it is published as the reason."),
    )


class OpinionForm(Form):
    feasible = RadioField(
        _l("Feasibility"),
        choices=choices([("yes", _l("Feasible")), ("no", _l("Not feasible as it stands"))]),
        validators=[InputRequired()],
    )
    opinion = _text(_l("The division's opinion"), 4000, area=True)


class DecisionForm(Form):
    outcome = RadioField(
        _l("Outcome"),
        choices=choices(
            [("yes", _l("Passes / adopted")), ("no", _l("Does not pass / not adopted"))]
        ),
        validators=[InputRequired()],
    )
    reason = _text(
        _l("Reason (published)"),
        4000,
        required=False,
        area=True,
        description=_l("Published with the result; do not name reviewers."),
    )


class AgreementForm(Form):
    agreed_on = DateField(_l("Agreement concluded on"), validators=[DataRequired()])
    roles = _text(_l("Roles agreed"), 4000, area=True)
    budget = IntegerField(
        _l("The city's contribution (yen)"), validators=[InputRequired(), NumberRange(min=0)]
    )


class CompleteForm(Form):
    completed_on = DateField(_l("Completed on"), validators=[DataRequired()])


class ReportForm(Form):
    text = _text(_l("Report"), 4000, area=True)


class EvaluationForm(Form):
    text = _text(_l("Evaluation"), 4000, area=True)


class ReviewerForm(Form):
    reviewer_id = SelectField(_l("Reviewer"), coerce=int)


class WithdrawForm(Form):
    reason = _text(_l("Reason for withdrawing"), 500)


class SubmitForm(Form):
    """The confirmation page's button: `confirmed` marks a post made from that page."""

    confirmed = HiddenField()


class ConfirmForm(Form):
    """A button that changes state: only its CSRF token."""


class ScoreForm(Form):
    conflict = BooleanField(
        _l("I have a conflict of interest with this group and will not score it"),
        description=_l("For example, you are a member, officer or relative of a member."),
    )
    comment = _text(_l("Comment"), 2000, required=False, area=True)


def score_form(criteria: list[str], **kwargs: Any) -> ScoreForm:
    """A score form with one 0–5 field per criterion of the call; optional when a conflict is
    declared (the service then ignores the points)."""

    class CallScoreForm(ScoreForm):
        pass

    for index, criterion in enumerate(criteria):
        setattr(
            CallScoreForm,
            f"criterion_{index}",
            IntegerField(
                criterion,
                validators=[Optional(), NumberRange(min=0, max=POINTS_MAX)],
                description=_l("0 to %(max)s", max=POINTS_MAX),
            ),
        )
    form = CallScoreForm(**kwargs)
    form.criteria_fields = [form[f"criterion_{i}"] for i in range(len(criteria))]
    return form
