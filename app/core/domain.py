"""The one error a service raises when the rules refuse a request.

Each module names its own subclass (ConsultationError, CouncilError, ...) so that callers read in
the module's words; all of them carry the same message and optional field, and
`app.core.forms.show_error` puts any of them on the page the same way.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A request the rules refuse. The message is shown to the person as it is; `field` names
    the form input it belongs beside (None: it concerns the whole request)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
