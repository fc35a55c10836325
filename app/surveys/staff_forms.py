"""Staff forms of surveys and the citizens' panel: a survey's settings, the questions editor,
the review, the results' publication with 「その後」, the redaction of free-text answers, and the
panel's term, resident list, seed and members. The choices that come from the database are set
by the views."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.forms import CheckboxesField, Form, choices, clean_text, within_calendar
from app.surveys.models import CHOICE_KINDS, Audience, QuestionKind

TEXT = {"filters": [clean_text]}
TITLE_LIMIT = 200
TEXT_LIMIT = 4000
NOTE_LIMIT = 2000
OPTION_LIMIT = 50  # options (or matrix rows) per question: more is not a questionnaire


def _text(label: Any, limit: int, required: bool = True, area: bool = False, **kw: Any) -> Any:
    cls = TextAreaField if area else StringField
    first = DataRequired() if required else Optional()
    return cls(label, validators=[first, Length(max=limit)], **TEXT, **kw)


def _optional_int(value: Any) -> int | None:
    """A select whose first option is "none" (empty value): None, else the id."""
    if value in (None, "", "None"):
        return None
    return int(value)


def lines(value: str | None) -> list[str]:
    """The non-empty lines of a text area (one option or row per line)."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def paired(ja: str | None, en: str | None) -> list[dict[str, str]]:
    """Options typed one per line in Japanese and (optionally) English: [{"ja", "en"}]."""
    english = lines(en)
    return [
        {"ja": text, "en": english[index] if index < len(english) else ""}
        for index, text in enumerate(lines(ja))
    ]


class SurveyForm(Form):
    """A survey's settings: what it asks about, for whom, and when."""

    title_ja = _text(_l("Title"), TITLE_LIMIT)
    title_en = _text(_l("Title in English (optional)"), 300, required=False)
    purpose_ja = _text(
        _l("Purpose"),
        TEXT_LIMIT,
        area=True,
        description=_l("Shown above the questions: why the city asks and how it uses the answers."),
    )
    purpose_en = _text(_l("Purpose in English (optional)"), TEXT_LIMIT, required=False, area=True)
    department_id = SelectField(_l("Division"), coerce=int, choices=[])
    initiative_id = SelectField(_l("Initiative it fulfils"), coerce=int, choices=[])
    audience = RadioField(
        _l("Who may answer"),
        choices=choices(Audience.choices()),
        default=Audience.ANYONE.value,
        validators=[InputRequired()],
    )
    panel_term_id = SelectField(
        _l("Panel term (for the citizens' panel)"),
        coerce=_optional_int,
        validators=[Optional()],
        choices=[],
    )
    session_ids = CheckboxesField(
        _l("Sessions whose participants are asked"),
        coerce=int,
        choices=[],
        description=_l("Only for a survey of the participants of given sessions."),
    )
    opens_on = DateField(_l("Opens on"), validators=[DataRequired(), within_calendar])
    opens_time = TimeField(
        _l("Opens at (time, Japan)"), validators=[DataRequired()], default=time(9, 0)
    )
    closes_on = DateField(_l("Closes on"), validators=[DataRequired(), within_calendar])
    closes_time = TimeField(
        _l("Closes at (time, Japan)"), validators=[DataRequired()], default=time(23, 59)
    )
    anonymous = BooleanField(
        _l("Anonymous"),
        default=True,
        description=_l(
            "Answers are never linked to the person, their code or their account; "
            "only the day of the answer is kept."
        ),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        # Checks of one field against another, here rather than inline: Optional() ends an
        # empty field's chain before an inline validator runs.
        valid = super().validate(extra_validators)
        needed = []
        if self.audience.data == Audience.PANEL.value and not self.panel_term_id.data:
            needed.append(
                (self.panel_term_id, _("Please choose the panel term whose members are asked."))
            )
        if self.audience.data == Audience.PARTICIPANTS.value and not self.session_ids.data:
            needed.append((self.session_ids, _("Please choose at least one session.")))
        for field, message in needed:
            field.errors = [*field.errors, message]
        return valid and not needed


class QuestionForm(Form):
    """One question. Options and matrix rows are typed one per line; the English lines follow
    the Japanese ones in the same order. The condition is one list of the options of every
    earlier choice question ("<question id>:<option index>"), so it works without JavaScript."""

    kind = SelectField(_l("Kind of question"), choices=choices(QuestionKind.choices()))
    text_ja = _text(_l("Question"), TEXT_LIMIT, area=True)
    text_en = _text(_l("Question in English (optional)"), TEXT_LIMIT, required=False, area=True)
    help_ja = _text(_l("Help text (optional)"), NOTE_LIMIT, required=False, area=True)
    help_en = _text(_l("Help text in English (optional)"), NOTE_LIMIT, required=False, area=True)
    options_ja = _text(
        _l("Options, one per line"),
        TEXT_LIMIT,
        required=False,
        area=True,
        description=_l("For one choice and several choices: at least two."),
    )
    options_en = _text(
        _l("Options in English, one per line (optional)"),
        TEXT_LIMIT,
        required=False,
        area=True,
        description=_l("In the same order as the Japanese options."),
    )
    rows_ja = _text(
        _l("Items rated, one per line"),
        TEXT_LIMIT,
        required=False,
        area=True,
        description=_l("For a grid of five-point scales: each line is rated from 1 to 5."),
    )
    rows_en = _text(
        _l("Items rated in English, one per line (optional)"),
        TEXT_LIMIT,
        required=False,
        area=True,
    )
    allow_other = BooleanField(
        _l("Offer “Other” with a text"), description=_l("For one choice and several choices.")
    )
    required = BooleanField(_l("An answer is required"))
    condition = CheckboxesField(
        _l("Ask only when an earlier answer is one of"),
        choices=[],
        description=_l(
            "Leave all unticked to ask everyone. The ticked options must belong to one question."
        ),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        # Empty options or rows for the kinds that need them: here, since Optional() ends an
        # empty field's chain before an inline validator runs.
        valid = super().validate(extra_validators)
        needed = []
        if (
            self.kind.data in {k.value for k in CHOICE_KINDS}
            and len(lines(self.options_ja.data)) < 2
        ):
            needed.append((self.options_ja, _("Please give at least two options, one per line.")))
        if self.kind.data == QuestionKind.MATRIX.value and not lines(self.rows_ja.data):
            needed.append((self.rows_ja, _("Please give the items rated, one per line.")))
        for field, message in needed:
            if not field.errors:
                field.errors = [*field.errors, message]
        return valid and not needed

    def validate_options_ja(self, field: Any) -> None:
        found = lines(field.data)
        if len(found) > OPTION_LIMIT:
            raise ValidationError(
                _("Please give no more than %(count)d options.", count=OPTION_LIMIT)
            )

    def validate_options_en(self, field: Any) -> None:
        if lines(field.data) and len(lines(field.data)) != len(lines(self.options_ja.data)):
            raise ValidationError(
                _l("Please give as many English options as Japanese ones, in the same order.")
            )

    def validate_rows_ja(self, field: Any) -> None:
        found = lines(field.data)
        if len(found) > OPTION_LIMIT:
            raise ValidationError(
                _("Please give no more than %(count)d items.", count=OPTION_LIMIT)
            )

    def validate_rows_en(self, field: Any) -> None:
        if lines(field.data) and len(lines(field.data)) != len(lines(self.rows_ja.data)):
            raise ValidationError(
                _l("Please give as many English items as Japanese ones, in the same order.")
            )

    def validate_condition(self, field: Any) -> None:
        asked = {value.split(":", 1)[0] for value in field.data or []}
        if len(asked) > 1:
            raise ValidationError(_l("Please tick options of one earlier question only."))

    def condition_fields(self) -> dict[str, Any]:
        """The condition as the service takes it: the question and its option indexes."""
        picked = [value.split(":", 1) for value in self.condition.data or []]
        if not picked:
            return {"condition_question_id": None, "condition_options": []}
        return {
            "condition_question_id": int(picked[0][0]),
            "condition_options": sorted(int(index) for _question, index in picked),
        }


class ConfirmForm(Form):
    """A button that changes a state: the token is all it carries."""


class ReviewForm(Form):
    note = _text(
        _l("Note to the division"),
        NOTE_LIMIT,
        required=False,
        area=True,
        description=_l("Required when returning the survey: what the division should change."),
    )


class AfterwardsForm(Form):
    afterwards_ja = _text(
        _l("Afterwards: how the results were used"),
        TEXT_LIMIT,
        required=False,
        area=True,
        description=_l("Published with the results. It can be added or updated later."),
    )
    afterwards_en = _text(
        _l("Afterwards in English (optional)"), TEXT_LIMIT, required=False, area=True
    )


class RedactForm(Form):
    redacted_text = _text(
        _l("Text to publish"),
        TEXT_LIMIT,
        required=False,
        area=True,
        description=_l("Remove names, addresses and anything else that could identify a person."),
    )
    publish = RadioField(
        _l("Publication"),
        choices=choices(
            [("publish", _l("Publish this redacted text")), ("keep", _l("Keep unpublished"))]
        ),
        default="keep",
        validators=[InputRequired()],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        # Not an inline validator: Optional() ends the field's chain when it is empty.
        valid = super().validate(extra_validators)
        if self.publish.data == "publish" and not self.redacted_text.data:
            message = _("Please write the text to publish, or keep it unpublished.")
            self.redacted_text.errors = [*self.redacted_text.errors, message]
            return False
        return valid


# The citizens' panel -------------------------------------------------------------------------


class TermForm(Form):
    name_ja = _text(
        _l("Name of the term"),
        TITLE_LIMIT,
        description=_l("For example, the number of the term and its years."),
    )
    name_en = _text(_l("Name in English (optional)"), 300, required=False)
    starts_on = DateField(_l("Term starts on"), validators=[DataRequired(), within_calendar])
    ends_on = DateField(_l("Term ends on"), validators=[DataRequired(), within_calendar])
    target_size = IntegerField(
        _l("Members wanted"),
        validators=[InputRequired(), NumberRange(min=1, max=100_000)],
        default=2000,
    )
    invite_ratio = DecimalField(
        _l("Residents invited per member wanted"),
        places=1,
        validators=[InputRequired(), NumberRange(min=1, max=50)],
        default=8.5,
        description=_l("The last term drew 18,160 residents for 2,124 members: about 8.5."),
    )

    def validate_ends_on(self, field: Any) -> None:
        if self.starts_on.data and field.data and field.data <= self.starts_on.data:
            raise ValidationError(_l("The term must end after it starts."))


class ImportForm(Form):
    file = FileField(
        _l("Resident list (CSV)"),
        description=_l(
            "UTF-8 with a header line: register_ref, name, postal_code, address, ward, "
            "birth_date or age_band. Nothing is stored if any line is refused."
        ),
    )


class SeedForm(Form):
    seed = _text(
        _l("Seed of the draw"),
        64,
        description=_l(
            "Published before the draw, so anyone can repeat it: for example the numbers "
            "drawn in a public lottery on a given day."
        ),
    )


class LeaveForm(Form):
    reason = _text(_l("Reason (optional)"), NOTE_LIMIT, required=False)
