from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import Optional

from app.core.forms import Form


class ReportFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter form changes nothing

    year = SelectMultipleField(
        _l("Fiscal years"),
        coerce=int,
        validators=[Optional()],
        description=_l("Choose one or more; none means all years."),
    )
    ward = SelectField(_l("Ward"), coerce=int, validators=[Optional()])
    department = SelectField(_l("Department"), coerce=int, validators=[Optional()])


class AnnualForm(Form):
    class Meta:
        csrf = False

    year = SelectField(_l("Fiscal year"), coerce=int)
