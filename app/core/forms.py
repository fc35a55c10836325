"""Form helpers shared by every module."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

# C0/C1 control characters except tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str | None) -> str | None:
    """WTForms filter: strip control characters and normalise line ends; keep the rest as typed."""
    if value is None:
        return None
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", value).strip()


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (the macro wraps it in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
