"""Citizen forms of surveys: the questionnaire (its fields made at request time from the
survey's questions), the one-time code, and the panel's join and leave forms.

The questionnaire's fields check only what a form can (the token, the honeypot, lengths, a
choice among the options shown): whether a question is required and whether a value is in
range is the services' word (`services.check_answers`), so the same rule holds for every way
in, and its message is shown beside the question."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.forms import CheckboxesField, Form, HoneypotMixin, choices, clean_text
from app.core.i18n import current_language
from app.surveys.models import SCALE_POINTS, Question, QuestionKind

TEXT = {"filters": [clean_text]}
SHORT_LIMIT = 200
LONG_LIMIT = 4000
OTHER = "-1"  # the option value of 「その他」 (Answer.option -1)


def option_label(option: dict[str, Any] | str) -> str:
    """An option's or a matrix row's words in the page's language (Japanese when no English)."""
    if isinstance(option, str):
        return option
    if current_language() == "en" and option.get("en"):
        return str(option["en"])
    return str(option.get("ja", ""))


def scale_labels(question: Question) -> list[str]:
    """The five points' labels: the question's own five words, or its two end words on the
    first and last point, or 「そう思わない」…「そう思う」; the middle points are numbers, so a
    screen reader hears "2" rather than nothing."""
    own = [option_label(option) for option in (question.options or [])]
    if len(own) == SCALE_POINTS:
        return [f"{point} {label}" for point, label in enumerate(own, start=1)]
    low, high = (own[0], own[-1]) if len(own) == 2 else (_("Disagree"), _("Agree"))
    labels = [str(point) for point in range(1, SCALE_POINTS + 1)]
    labels[0] = f"1 {low}"
    labels[-1] = f"{SCALE_POINTS} {high}"
    return labels


def field_name(question: Question, part: str = "") -> str:
    """The posted name of a question's control: q<id>, q<id>_other, q<id>_r<row>."""
    return f"q{question.id}{'_' + part if part else ''}"


class AnswerForm(HoneypotMixin, Form):
    """The questionnaire; `answer_form` adds one field per question (per row for a matrix)."""

    submission_token = HiddenField()
    code = HiddenField()
    # The questions the page showed, so that a send whose answers bring up a further question
    # shows it first instead of storing the response without it.
    shown = HiddenField()


def answer_form(questions: list[Question], **kwargs: Any) -> AnswerForm:
    """An AnswerForm with the fields of these questions (all of the survey's, so that answers
    to a question hidden now are read, then dropped by the services)."""
    fields: dict[str, Any] = {}
    for question in questions:
        label = question.tr("text")
        options = [(str(i), option_label(o)) for i, o in enumerate(question.options or [])]
        if question.allow_other:
            options.append((OTHER, _("Other")))
        kind = question.kind
        if kind == QuestionKind.SHORT_TEXT:
            fields[field_name(question)] = StringField(
                label, validators=[Optional(), Length(max=SHORT_LIMIT)], **TEXT
            )
        elif kind == QuestionKind.LONG_TEXT:
            fields[field_name(question)] = TextAreaField(
                label, validators=[Optional(), Length(max=LONG_LIMIT)], **TEXT
            )
        elif kind == QuestionKind.SINGLE:
            fields[field_name(question)] = RadioField(
                label, choices=choices(options), validators=[Optional()]
            )
        elif kind == QuestionKind.MULTIPLE:
            fields[field_name(question)] = CheckboxesField(
                label, choices=choices(options), validators=[Optional()]
            )
        elif kind == QuestionKind.SCALE:
            points = [(str(p), lbl) for p, lbl in enumerate(scale_labels(question), start=1)]
            fields[field_name(question)] = RadioField(
                label, choices=choices(points), validators=[Optional()]
            )
        elif kind == QuestionKind.MATRIX:
            points = [(str(p), lbl) for p, lbl in enumerate(scale_labels(question), start=1)]
            for row, item in enumerate(question.rows or []):
                fields[field_name(question, f"r{row}")] = RadioField(
                    option_label(item), choices=choices(points), validators=[Optional()]
                )
        elif kind == QuestionKind.NUMBER:
            fields[field_name(question)] = StringField(
                label,
                validators=[Optional(), Length(max=40)],
                render_kw={"inputmode": "decimal", "autocomplete": "off"},
                **TEXT,
            )
        elif kind == QuestionKind.DATE:
            fields[field_name(question)] = StringField(
                label, validators=[Optional(), Length(max=40)], render_kw={"type": "date"}, **TEXT
            )
        if question.allow_other and kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            fields[field_name(question, "other")] = StringField(
                _("Other (please write)"),
                validators=[Optional(), Length(max=SHORT_LIMIT)],
                **TEXT,
            )
    form_class = type("SurveyAnswerForm", (AnswerForm,), fields)
    return form_class(**kwargs)


def answers_from(form: AnswerForm, questions: list[Question]) -> dict[str, Any]:
    """The form's values in the services' shape (see services.submit_response); empty answers
    are left out, so a draft and a check see only what was given."""
    answers: dict[str, Any] = {}
    for question in questions:
        key = str(question.id)
        if question.kind == QuestionKind.MATRIX:
            rows = {
                str(row): form[field_name(question, f"r{row}")].data
                for row in range(len(question.rows or []))
                if form[field_name(question, f"r{row}")].data
            }
            if rows:
                answers[key] = rows
            continue
        value = form[field_name(question)].data
        if question.kind == QuestionKind.MULTIPLE:
            value = [str(v) for v in value or []]
        if value:
            answers[key] = value
        other = field_name(question, "other")
        if other in form and form[other].data:
            answers[f"{key}-other"] = form[other].data
    return answers


def form_data(answers: dict[str, Any], questions: list[Question]) -> dict[str, Any]:
    """Saved answers (services' shape) as the form's field data, to restore a draft."""
    data: dict[str, Any] = {}
    for question in questions:
        value = answers.get(str(question.id))
        if question.kind == QuestionKind.MATRIX:
            for row, point in (value or {}).items() if isinstance(value, dict) else ():
                data[field_name(question, f"r{row}")] = str(point)
            continue
        if value is not None:
            if question.kind == QuestionKind.MULTIPLE:
                data[field_name(question)] = [str(v) for v in value]
            else:
                data[field_name(question)] = str(value)
        other = answers.get(f"{question.id}-other")
        if other:
            data[field_name(question, "other")] = other
    return data


class CodeForm(Form):
    """The one-time code of an invitation letter or mail, to open a survey by invitation."""

    class Meta:
        csrf = False  # a GET that only opens the questionnaire; the code is checked there

    code = StringField(
        _l("Your code"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("The code printed on your invitation letter or written in your e-mail."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
        **TEXT,
    )


class JoinForm(HoneypotMixin, Form):
    code = StringField(
        _l("Code on your letter"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("The code printed on the invitation letter the city sent you."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
        **TEXT,
    )
    answer = RadioField(
        _l("Will you join the citizens' panel?"),
        choices=choices(
            [
                ("accept", _l("Yes, I will join")),
                ("decline", _l("No, I will not join")),
            ]
        ),
        validators=[DataRequired(message=_l("Please choose whether you will join."))],
    )
    email = EmailField(
        _l("E-mail address (optional)"),
        validators=[Optional(), Email(), Length(max=254)],
        description=_l(
            "Survey invitations are sent here instead of by post. It is never published."
        ),
        render_kw={"autocomplete": "email"},
        **TEXT,
    )


class LeaveForm(HoneypotMixin, Form):
    code = StringField(
        _l("Code on your letter"),
        validators=[Optional(), Length(max=64)],
        description=_l("Not needed when you are logged in with the account you joined with."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
        **TEXT,
    )
    reason = TextAreaField(
        _l("Why are you leaving? (optional)"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Read only by the city staff running the panel."),
        **TEXT,
    )
