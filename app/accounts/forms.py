from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.core.forms import Form, HoneypotMixin, choices, clean_text
from app.core.permissions import Role

# The service checks length and strength (services.check_password_strength) for every way a
# password is set; the form only bounds what it accepts.
PASSWORD_RULES = [DataRequired(), Length(max=128)]
PASSWORD_HINT = _l(
    "At least 12 characters. A few unrelated words are easy to remember and hard to guess."
)
LANGUAGE_CHOICES = [("ja", "日本語"), ("en", "English")]


class LoginForm(Form):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email()],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class RegistrationForm(HoneypotMixin, Form):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=100)],
        filters=[clean_text],
        description=_l("Shown to city staff when you contact them; never published."),
        render_kw={"autocomplete": "nickname"},
    )
    password = PasswordField(
        _l("Password"),
        validators=PASSWORD_RULES,
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password (again)"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    accept_terms = BooleanField(
        _l("I have read the privacy notice and agree to it."),
        validators=[DataRequired(message=_l("Please agree to the privacy notice."))],
    )


class ResetRequestForm(Form):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email()],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        validators=PASSWORD_RULES,
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password (again)"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(Form):
    display_name = StringField(
        _l("Display name"), validators=[DataRequired(), Length(max=100)], filters=[clean_text]
    )
    language = SelectField(_l("Language for e-mail"), choices=choices(LANGUAGE_CHOICES))


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=PASSWORD_RULES,
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password (again)"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


ROLE_CHOICES = Role.choices()


class UserForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=100)], filters=[clean_text]
    )
    role = SelectField(_l("Role"), choices=choices(ROLE_CHOICES))
    department_id = SelectField(_l("Department"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Account is active"), default=True)


class UserFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"), choices=choices([("", _l("All roles")), *ROLE_CHOICES]), validators=[Optional()]
    )
