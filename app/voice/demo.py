"""Demo voices for `flask demo load` (written once the services are in place)."""

from __future__ import annotations


def load_demo() -> None:
    return None
