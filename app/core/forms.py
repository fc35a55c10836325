"""Form helpers shared by every module."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectChoice, SelectMultipleField, StringField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

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
