from __future__ import annotations

from datetime import time
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app.consultations.models import Accommodation, Audience, Venue
from app.core.forms import CheckboxesField, Form, HoneypotMixin, choices, clean_text
from app.core.i18n import jst_to_utc
from app.extensions import db

# A Japanese telephone number as the city prints it: digits in groups joined by hyphens.
PHONE_PATTERN = r"^0[0-9]{1,4}(-?[0-9]{1,4}){1,2}$"


def accommodation_choices(codes: list[str] | None = None) -> list:
    return choices(
        (code, label) for code, label in Accommodation.choices() if codes is None or code in codes
    )


class RegistrationForm(HoneypotMixin, Form):
    submission_token = HiddenField()
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        filters=[clean_text],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("We send the confirmation and a cancel link here."),
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        _l("Telephone (optional)"),
        validators=[Optional(), Length(max=30)],
        filters=[clean_text],
        render_kw={"autocomplete": "tel"},
    )
    party_size = IntegerField(
        _l("Number of people"),
        default=1,
        validators=[
            InputRequired(),
            NumberRange(min=1, max=5, message=_l("Between %(min)s and %(max)s people.")),
        ],
        description=_l("Including yourself; up to 5 people."),
    )
    accommodations = CheckboxesField(_l("Support you need"), choices=[], validate_choice=True)
    notes = TextAreaField(
        _l("Anything else we should know (optional)"),
        validators=[Optional(), Length(max=1000)],
        filters=[clean_text],
    )


class CancelForm(Form):
    pass


class ConsultationForm(Form):
    kind_id = SelectField(_l("Kind"), coerce=int, validators=[InputRequired()])
    title_ja = StringField(
        _l("Title (Japanese)"), validators=[DataRequired(), Length(max=300)], filters=[clean_text]
    )
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), Length(max=300)], filters=[clean_text]
    )
    purpose_ja = TextAreaField(
        _l("Purpose (Japanese)"), validators=[Optional(), Length(max=5000)], filters=[clean_text]
    )
    purpose_en = TextAreaField(
        _l("Purpose (English)"), validators=[Optional(), Length(max=5000)], filters=[clean_text]
    )
    plan_stage_ja = StringField(
        _l("Stage of the plan it feeds (Japanese)"),
        validators=[Optional(), Length(max=200)],
        filters=[clean_text],
        description=_l("For PI consultations, e.g. 構想段階."),
    )
    plan_stage_en = StringField(
        _l("Stage of the plan it feeds (English)"),
        validators=[Optional(), Length(max=200)],
        filters=[clean_text],
    )
    contact_ja = StringField(
        _l("Contact (Japanese)"), validators=[Optional(), Length(max=300)], filters=[clean_text]
    )
    contact_en = StringField(
        _l("Contact (English)"), validators=[Optional(), Length(max=300)], filters=[clean_text]
    )
    contact_phone = TelField(
        _l("Contact telephone"),
        validators=[
            Optional(),
            Length(max=30),
            Regexp(PHONE_PATTERN, message=_l("Digits and hyphens only, e.g. 096-328-2036.")),
        ],
        filters=[clean_text],
        description=_l("Published in the open data; e.g. 096-328-2036."),
    )
    initiative_id = SelectField(
        _l("Initiative it fulfils"), coerce=int, validators=[InputRequired()]
    )
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    ward_id = SelectField(_l("Ward"), coerce=int, validators=[InputRequired()])


class SessionForm(Form):
    title_ja = StringField(
        _l("Session title (Japanese, optional)"),
        validators=[Optional(), Length(max=200)],
        filters=[clean_text],
        description=_l("e.g. 第1回"),
    )
    title_en = StringField(
        _l("Session title (English, optional)"),
        validators=[Optional(), Length(max=200)],
        filters=[clean_text],
    )
    date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at (JST)"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends at (JST)"), validators=[InputRequired()])
    venue_id = SelectField(_l("Venue"), coerce=int, validators=[InputRequired()])
    online_url = URLField(
        _l("Online link"),
        validators=[Optional(), Length(max=500)],
        filters=[clean_text],
        description=_l("For online sessions; leave the venue empty."),
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[InputRequired(), NumberRange(min=1, max=10000)],
    )
    registration_required = BooleanField(_l("Registration is needed"), default=True)
    registration_opens_date = DateField(_l("Registration opens on"), validators=[Optional()])
    registration_closes_date = DateField(
        _l("Registration closes on"),
        validators=[Optional()],
        description=_l("Registration closes at the end of this day (JST)."),
    )
    accommodations = CheckboxesField(_l("Support offered"), choices=[], validate_choice=True)

    def offer_choices(self) -> None:
        """The active venues and the support that can be offered, for this form's selects
        (consultations' sessions and proposals' public presentation)."""
        venues = db.session.scalars(
            sa.select(Venue).where(Venue.active.is_(True)).order_by(Venue.ward_id, Venue.id)
        )
        self.venue_id.choices = choices(
            [(0, _l("None (online)")), *((v.id, f"{v.tr('name')} ({v.capacity})") for v in venues)]
        )
        self.accommodations.choices = accommodation_choices()

    def session_values(self) -> dict[str, Any]:
        """The values for services.schedule_session and move_session, read as Japan time."""
        day = self.date.data
        opens = self.registration_opens_date.data
        closes = self.registration_closes_date.data
        return {
            "title_ja": self.title_ja.data or "",
            "title_en": self.title_en.data or "",
            "starts_at": jst_to_utc(day, self.start_time.data),
            "ends_at": jst_to_utc(day, self.end_time.data),
            "venue_id": self.venue_id.data or None,
            "online_url": self.online_url.data or "",
            "capacity": self.capacity.data,
            "registration_required": bool(self.registration_required.data),
            "registration_opens_at": jst_to_utc(opens, time()) if opens else None,
            # Inclusive to the end of the day shown on the page.
            "registration_closes_at": jst_to_utc(closes, time(23, 59, 59)) if closes else None,
            "accommodations": list(self.accommodations.data or []),
        }


class SessionCancelForm(Form):
    reason = StringField(
        _l("Reason for cancelling"),
        validators=[DataRequired(), Length(max=300)],
        filters=[clean_text],
        description=_l("Sent to everyone registered."),
    )


class AttendanceForm(Form):
    walk_ins = IntegerField(
        _l("Walk-ins"), default=0, validators=[InputRequired(), NumberRange(min=0, max=10000)]
    )


class RecordForm(Form):
    summary_ja = TextAreaField(
        _l("Summary (Japanese)"),
        validators=[DataRequired(), Length(max=20000)],
        filters=[clean_text],
    )
    summary_en = TextAreaField(
        _l("Summary (English)"), validators=[Optional(), Length(max=20000)], filters=[clean_text]
    )
    attendees = IntegerField(
        _l("Attendees"), validators=[InputRequired(), NumberRange(min=0, max=100000)]
    )
    materials = TextAreaField(
        _l("Materials"),
        validators=[Optional(), Length(max=5000)],
        filters=[clean_text],
        description=_l(
            "One per line: a title, a web address (https://…), or a title followed by its "
            "address, which the record shows as a link."
        ),
    )


class OpinionAnswerForm(Form):
    """The city's response to one opinion, written or changed after the record was kept."""

    response_ja = TextAreaField(
        _l("The city's response (Japanese)"),
        validators=[DataRequired(), Length(max=5000)],
        filters=[clean_text],
    )
    response_en = TextAreaField(
        _l("The city's response (English)"),
        validators=[Optional(), Length(max=5000)],
        filters=[clean_text],
    )
    disposition_id = SelectField(_l("Disposition"), coerce=int, validators=[InputRequired()])


class OpinionForm(OpinionAnswerForm):
    """An opinion as the record keeps it; its response may still be to come."""

    text_ja = TextAreaField(
        _l("Opinion (Japanese)"),
        validators=[DataRequired(), Length(max=5000)],
        filters=[clean_text],
    )
    text_en = TextAreaField(
        _l("Opinion (English)"), validators=[Optional(), Length(max=5000)], filters=[clean_text]
    )
    response_ja = TextAreaField(
        _l("The city's response (Japanese)"),
        validators=[Optional(), Length(max=5000)],
        filters=[clean_text],
    )
    concerns_initiative_id = SelectField(
        _l("Concerns another initiative"), coerce=int, validators=[InputRequired()]
    )


class AdviceForm(Form):
    advised_on = DateField(_l("Advised on"), validators=[InputRequired()])
    text = TextAreaField(
        _l("Advice on the participation method"),
        validators=[DataRequired(), Length(max=5000)],
        filters=[clean_text],
    )


class VenueForm(Form):
    name_ja = StringField(
        _l("Name (Japanese)"), validators=[DataRequired(), Length(max=200)], filters=[clean_text]
    )
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=200)], filters=[clean_text]
    )
    address_ja = StringField(
        _l("Address (Japanese)"), validators=[DataRequired(), Length(max=300)], filters=[clean_text]
    )
    address_en = StringField(
        _l("Address (English)"), validators=[Optional(), Length(max=300)], filters=[clean_text]
    )
    ward_id = SelectField(_l("Ward"), coerce=int, validators=[InputRequired()])
    capacity = IntegerField(_l("Capacity"), validators=[InputRequired(), NumberRange(min=1)])
    accessibility_ja = TextAreaField(
        _l("Accessibility (Japanese)"),
        validators=[Optional(), Length(max=2000)],
        filters=[clean_text],
    )
    accessibility_en = TextAreaField(
        _l("Accessibility (English)"),
        validators=[Optional(), Length(max=2000)],
        filters=[clean_text],
    )
    # Read off a map by staff: no geocoding service is reachable from the city's network.
    latitude = DecimalField(
        _l("Latitude (optional)"),
        places=None,
        validators=[
            Optional(),
            NumberRange(min=-90, max=90, message=_l("A latitude is from -90 to 90.")),
        ],
        description=_l("In degrees (WGS 84), e.g. 32.803."),
        render_kw={"inputmode": "decimal"},
    )
    longitude = DecimalField(
        _l("Longitude (optional)"),
        places=None,
        validators=[
            Optional(),
            NumberRange(min=-180, max=180, message=_l("A longitude is from -180 to 180.")),
        ],
        description=_l("In degrees (WGS 84), e.g. 130.708."),
        render_kw={"inputmode": "decimal"},
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        # A point needs both; one alone would put the venue on a line, not a place. (A field's
        # own validator cannot say it: Optional() stops the chain of an empty field.)
        if (self.latitude.data is None) != (self.longitude.data is None):
            missing = self.longitude if self.longitude.data is None else self.latitude
            missing.errors = [_l("Give both the latitude and the longitude, or neither.")]
            return False
        return True


class KindForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[a-z0-9_]+$", message=_l("Lower-case letters, digits and _ only.")),
        ],
        filters=[clean_text],
    )
    name_ja = StringField(
        _l("Name (Japanese)"), validators=[DataRequired(), Length(max=50)], filters=[clean_text]
    )
    name_en = StringField(
        _l("Name (English)"), validators=[Optional(), Length(max=80)], filters=[clean_text]
    )
    audience = SelectField(
        _l("For"),
        choices=choices(Audience.choices()),
        default="citizens",
        validators=[DataRequired()],
        description=_l(
            "Sessions for city staff only (training, internal meetings) are counted in the "
            "figures but not listed or offered to the public."
        ),
    )
    active = BooleanField(_l("Offered for new consultations"), default=True)
