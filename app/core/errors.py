"""Error pages in both languages with a way back; JSON errors under /api/."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Something in the request was not as expected. Please go back and try again."),
    ),
    403: (
        _l("You do not have access to this page"),
        _l("Your account does not have the role this page needs."),
    ),
    404: (
        _l("Page not found"),
        _l("The page may have moved or been removed. Please check the address."),
    ),
    405: (
        _l("This action is not allowed here"),
        _l("Please use the links and buttons on the page."),
    ),
    413: (
        _l("The file is too large"),
        _l("Please send a smaller file. The size limit is shown beside the upload field."),
    ),
    429: (_l("Too many requests"), _l("Please wait a minute before trying again.")),
    500: (
        _l("Something went wrong on our side"),
        _l(
            "The error has been recorded. Please try again later; nothing you sent was lost "
            "unless you did not receive a receipt number."
        ),
    ),
}


def _render(code: int, title: str | None = None, text: str | None = None) -> ResponseReturnValue:
    default_title, default_text = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/"):
        return jsonify(error=str(title or default_title), status=code), code
    return render_template(
        "errors/error.html", code=code, title=title or default_title, text=text or default_text
    ), code


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return _render(
            400,
            str(_l("The form has expired")),
            str(
                _l(
                    "For your security, forms expire after a while. Please go back, reload "
                    "the page and send the form again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code is None or error.code < 400:
            return error
        return _render(error.code)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        log.exception("unhandled error on %s", request.path)
        return _render(500)
