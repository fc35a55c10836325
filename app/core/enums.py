"""Enumerations whose members carry their own label, for the lists a page shows."""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l


class LabelledEnum(enum.StrEnum):
    """A string enumeration whose members are written `DRAFT = "draft", _l("Draft")`: the value
    is what the database stores (through core.db.value_enum, unchanged), the label is the lazy
    translation a page shows, kept with its member so the two cannot drift apart."""

    _label: Any

    def __new__(cls, value: str, label: Any) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The label in the language of the page being served."""
        return str(self._label)

    @property
    def lazy_label(self) -> Any:
        """The label still to be translated, for a form field defined at import time."""
        return self._label

    @classmethod
    def choices(cls, *leave_out: LabelledEnum) -> list[tuple[str, Any]]:
        """(value, lazy label) for each member in order, for a select or checkboxes."""
        return [(member.value, member._label) for member in cls if member not in leave_out]


class AgeBand(LabelledEnum):
    """A person's age in the bands the city's statistics use (the citizens' voice asks it for
    statistics only; the citizens' panel is drawn in strata of it). Personal data: never
    published with a record, only counted."""

    UNDER_20 = "under_20", _l("Under 20")
    TWENTIES = "20s", _l("20–29")
    THIRTIES = "30s", _l("30–39")
    FORTIES = "40s", _l("40–49")
    FIFTIES = "50s", _l("50–59")
    SIXTIES = "60s", _l("60–69")
    SEVENTY_PLUS = "70_plus", _l("70 and over")
