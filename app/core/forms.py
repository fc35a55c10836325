"""Form helpers shared by every module."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from flask import flash, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # Flask-WTF's "read the request" default; it has no public name
from flask_wtf.i18n import translations as wtforms_messages
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    FileField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms import Form as WTForm
from wtforms.widgets import CheckboxInput, ListWidget, Select

from app.core.domain import DomainError
from app.core.urls import FIRST_DAY, LAST_DAY

# C0/C1 control characters except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str | None) -> str | None:
    """WTForms filter: strip control characters and normalise line ends; keep the rest as typed."""
    if value is None:
        return None
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", value).strip()


def within_calendar(form: Any, field: Any) -> None:
    """WTForms validator for a date a search may use: FIRST_DAY to LAST_DAY (a day after 31
    December 9999 cannot be computed, and the year 1 is a typing mistake)."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Please enter a date between 1900 and 2199."))


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (the macro wraps it in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _leave_empty(form: Any, field: Any) -> None:
    if field.data:
        raise ValidationError(_l("Please leave this field empty."))


class HoneypotMixin:
    """For forms anyone may send without an account: a text field people never see (hidden by
    the stylesheet, so no screen reader announces it) that form-filling robots fill in. It is
    rendered by `hidden_tag`, so templates need nothing more."""

    website = StringField(
        _l("Leave this field empty"), validators=[_leave_empty], render_kw={"autocomplete": "off"}
    )

    def hidden_tag(self, *fields: Any) -> Markup:
        trap = self.website  # type: ignore[attr-defined]
        return Markup('{}<div class="hp">{}{}</div>').format(
            super().hidden_tag(*fields),  # type: ignore[misc]
            trap.label(),
            trap(tabindex="-1"),
        )


def show_error(form: Any, error: DomainError, fallback: str | None = None) -> bool:
    """Put a service's refusal where the person will read it: beside its field (`error.field`,
    else `fallback`), so the page keeps what was typed and the summary lists it; flashed at the
    top when it names no field of this form. Returns True when it went beside a field."""
    name = error.field or fallback
    if not name or name not in form:
        flash(str(error), "error")
        return False
    field = form[name]
    # Before validation WTForms holds errors in a tuple, so the list is rebuilt, not appended to.
    field.errors = [*field.errors, str(error)]
    return True


# The base form ------------------------------------------------------------------------------
#
# Every form of the site derives from `Form`, so three promises hold for all of them at once:
# WTForms' built-in messages name the field in plain words, no input cuts what is typed or
# pasted at a length limit (the server says how much is too much, a counter shows it while
# typing), and a form sent with an expired token comes back with what was typed
# (app.core.errors re-renders it; see `keep_expired_submission`).

# Request flag (flask.g) holding the expired submission's fields while its page is rendered again.
_KEPT = "expired_form_data"
# Request flag listing the forms validated during the request, for the page title.
_VALIDATED = "validated_forms"

_CHOICE_FIELDS = (RadioField, SelectField, SelectMultipleField)

# One piece of advice for several of WTForms' messages.
_FROM_THE_OPTIONS = _l("Please choose “%(field)s” from the options.")
_AS_A_NUMBER = _l("Please enter “%(field)s” as a number.")

# WTForms' message (its msgid) → ours; `%(field)s` is the field's label. Messages WTForms
# formats afterwards (lengths, ranges) keep its `%(min)d`-style placeholders.
_PLAIN_MESSAGES: dict[str, Any] = {
    "Field cannot be longer than %(max)d character.": _l(
        "Please enter no more than %(max)d characters (now %(length)d)."
    ),
    "Field must be at least %(min)d character long.": _l(
        "Please enter at least %(min)d characters (now %(length)d)."
    ),
    "Field must be between %(min)d and %(max)d characters long.": _l(
        "Please enter between %(min)d and %(max)d characters (now %(length)d)."
    ),
    "Field must be exactly %(max)d character long.": _l(
        "Please enter exactly %(max)d characters (now %(length)d)."
    ),
    "Invalid email address.": _l("Please enter an e-mail address in the usual form."),
    "Invalid URL.": _l("Please enter “%(field)s” as a web address."),
    "Not a valid choice.": _FROM_THE_OPTIONS,
    # A value that is not even of the options' type (?ward=x): the same advice.
    "Invalid Choice: could not coerce.": _FROM_THE_OPTIONS,
    "Invalid choice(s): one or more data inputs could not be coerced.": _FROM_THE_OPTIONS,
    "'%(value)s' is not a valid choice for this field.": _FROM_THE_OPTIONS,
    "Not a valid integer value.": _AS_A_NUMBER,
    "Not a valid decimal value.": _AS_A_NUMBER,
    "Not a valid float value.": _AS_A_NUMBER,
    "Not a valid date value.": _l("Please enter “%(field)s” as a date."),
    "Not a valid datetime value.": _l("Please enter “%(field)s” as a date and time."),
    "Not a valid time value.": _l("Please enter “%(field)s” as a time, e.g. 13:30."),
    "Number must be at least %(min)s.": _l("Please enter a number of at least %(min)s."),
    "Number must be at most %(max)s.": _l("Please enter a number of at most %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l(
        "Please enter a number from %(min)s to %(max)s."
    ),
}


def _required_message(field: Any) -> Any:
    if isinstance(field, BooleanField):
        return _l("Please tick “%(field)s”.")
    if isinstance(field, FileField):
        return _l("Please choose a file for “%(field)s”.")
    if isinstance(field, _CHOICE_FIELDS):
        return _l("Please choose “%(field)s”.")
    return _l("Please fill in “%(field)s”.")


class FieldMessages:
    """The translations one field hands its validators: WTForms' terse defaults
    (「このフィールドは必須です。」) replaced by messages that say what to do and name the field
    (「氏名を入力してください。」); anything else falls back to WTForms' own catalogue."""

    def __init__(self, field: Any, fallback: Any) -> None:
        self.field = field
        self.fallback = fallback

    def _ours(self, string: str) -> str | None:
        if string == "This field is required.":
            message = _required_message(self.field)
        else:
            message = _PLAIN_MESSAGES.get(string)
        if message is None:
            return None
        # Length and range messages are %-formatted again by WTForms: a "%" in a label must
        # survive that, and those messages do not name the field anyway.
        label = str(self.field.label.text).replace("%", "%%")
        return str(message).replace("%(field)s", label)

    def gettext(self, string: str) -> str:
        return self._ours(string) or self.fallback.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._ours(singular) or self.fallback.ngettext(singular, plural, n)


def _bind_with_messages(meta: Any, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
    field = unbound_field.bind(form=form, **options)
    field._translations = FieldMessages(field, options.get("translations") or wtforms_messages)
    return field


class RowForm(WTForm):
    """One row of a table inside a form (FieldList of FormField): no token of its own (the
    enclosing form has one), the same plain messages."""

    class Meta:
        bind_field = _bind_with_messages


class _Select(Select):
    """WTForms' select, with its options written directly: `html_params` for every option of
    a long list (the divisions, the 22 initiatives) took 4 ms of a 10 ms list page. The same
    markup; an option with attributes of its own goes the general way."""

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = choice.value
        # Attributes in html_params' (sorted) order: the markup is WTForms' own, byte for byte.
        chosen = "selected " if choice.selected else ""
        label = escape(choice.label or value)
        return Markup(f'<option {chosen}value="{escape(str(value))}">{label}</option>')


_SELECT, _SELECT_MULTIPLE = _Select(), _Select(multiple=True)


class Form(FlaskForm):
    """The base of every form of the site (see the section comment above)."""

    class Meta(FlaskForm.Meta):
        bind_field = _bind_with_messages

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            kept = g.get(_KEPT)
            if kept is not None and formdata is _Auto:
                return kept
            return super().wrap_formdata(form, formdata)

        def render_field(self, field: Any, render_kw: dict[str, Any]) -> Any:
            # WTForms turns a Length validator into maxlength, and a browser then drops what
            # is pasted beyond it without a word. The limit goes to the counter instead
            # (static/js/forms.js) and the server's message says how much is too much.
            limit = field.flags.maxlength
            if limit:
                render_kw = {"maxlength": False, "minlength": False, **render_kw}
                if isinstance(field, TextAreaField):
                    render_kw.setdefault("data-count-max", limit)
                    render_kw.setdefault("data-count-left", _("%(count)s characters left"))
                    render_kw.setdefault("data-count-over", _("%(count)s characters too many"))
            if isinstance(field, SelectField) and field.flags.required:
                # A select always sends one of its options, so `required` only matters when the
                # first option is an empty "choose one"; HTML forbids it otherwise (the Nu
                # checker's error). Screen readers still hear that an answer is needed.
                first = next(iter(field.iter_choices()), None)
                if first is not None and first[0] not in ("", None):
                    render_kw = {"required": False, "aria-required": "true", **render_kw}
            if type(field.widget) is Select:
                field.widget = _SELECT_MULTIPLE if field.widget.multiple else _SELECT
            return super().render_field(field, render_kw)

    def is_submitted(self) -> bool:
        return g.get(_KEPT) is not None or super().is_submitted()

    def validate(self, extra_validators: Any = None) -> bool:
        g.setdefault(_VALIDATED, []).append(self)
        valid = super().validate(extra_validators)
        # A submission shown again after a CSRF failure is never accepted, whatever its fields
        # and token say: the failure may have been the referrer check, with a token still good.
        return valid and not submission_expired()


def keep_expired_submission() -> None:
    """Render the page again with what was sent, for a POST whose token expired: the forms of
    the page read the sent fields (the files must be chosen again), their own token check fails
    on the same expired token, so nothing is saved, and they get a fresh token."""
    g.setdefault(_KEPT, request.form)


def submission_expired() -> bool:
    """True while a submission sent with an expired token is shown again (template global)."""
    return g.get(_KEPT) is not None


def page_has_form_errors() -> bool:
    """True when a form on this page was refused, for 「エラー：」 in the title (template global).
    Read at render time, so errors a view added after validation (a service's refusal) count."""
    return submission_expired() or any(
        field.errors for form in g.get(_VALIDATED, ()) for field in form
    )
