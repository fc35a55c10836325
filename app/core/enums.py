"""Enumerations whose members carry their own label, for the lists a page shows."""

from __future__ import annotations

import enum
from typing import Any


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
