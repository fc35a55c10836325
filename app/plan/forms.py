from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core import clock
from app.core.forms import Form, choices, clean_text
from app.core.i18n import fiscal_year
from app.plan.models import ProgressStatus

TEXT = {"filters": [clean_text]}


class RecommendationForm(Form):
    text_ja = TextAreaField(
        _l("Recommendation (Japanese)"), validators=[DataRequired(), Length(max=2000)], **TEXT
    )
    text_en = TextAreaField(
        _l("Recommendation (English)"), validators=[Optional(), Length(max=2000)], **TEXT
    )
    policy_ja = TextAreaField(
        _l("City policy (Japanese)"), validators=[DataRequired(), Length(max=2000)], **TEXT
    )
    policy_en = TextAreaField(
        _l("City policy (English)"), validators=[Optional(), Length(max=2000)], **TEXT
    )


class InitiativeForm(Form):
    title_ja = StringField(
        _l("Initiative (Japanese)"), validators=[DataRequired(), Length(max=300)], **TEXT
    )
    title_en = StringField(
        _l("Initiative (English)"), validators=[Optional(), Length(max=300)], **TEXT
    )
    recommendation_id = SelectField(_l("Recommendation it answers"), coerce=int)


class ActionForm(Form):
    text_ja = TextAreaField(
        _l("Action (Japanese)"), validators=[DataRequired(), Length(max=2000)], **TEXT
    )
    text_en = TextAreaField(
        _l("Action (English)"), validators=[Optional(), Length(max=2000)], **TEXT
    )


class ProgressForm(Form):
    fiscal_year = IntegerField(
        _l("Fiscal year"),
        validators=[DataRequired(), NumberRange(min=2000, max=2100)],
        default=lambda: fiscal_year(clock.today()),
        description=_l(
            "The year in which the fiscal year starts, e.g. 2024 for April 2024 to March 2025."
        ),
    )
    status = SelectField(_l("Status"), choices=choices(ProgressStatus.choices()))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], **TEXT)
    recorded_on = DateField(_l("Date"), validators=[DataRequired()], default=date.today)
