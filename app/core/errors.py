"""Error pages in both languages with a way back; JSON errors under /api/. NUL bytes are
refused at the edge, and an error page is served even when the database or a template fails."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.forms import keep_expired_submission
from app.core.urls import BadQuery
from app.extensions import db, login_manager

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


# Served when the error page itself cannot be rendered (a template or its helpers failing):
# static, with nothing that could fail in turn.
FALLBACK_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>エラー {code} | Error {code}</title></head>
<body><h1>ページを表示できませんでした（エラー {code}）</h1>
<p>しばらくしてからもう一度お試しください。</p>
<p lang="en">The page could not be shown (error {code}). Please try again later.</p>
<p><a href="/">トップページへ</a> · <a href="/" lang="en">Home page</a></p></body></html>
"""


def _render(code: int, title: str | None = None, text: str | None = None) -> ResponseReturnValue:
    default_title, default_text = MESSAGES.get(code, MESSAGES[500])
    # A failed statement leaves the session unusable until it is rolled back, and the page
    # should not depend on the database at all: the error may be the database.
    db.session.rollback()
    try:
        if request.path.startswith("/api/"):
            return jsonify(error=str(title or default_title), status=code), code
        return render_template(
            "errors/error.html", code=code, title=title or default_title, text=text or default_text
        ), code
    except Exception:
        log.exception("the error page for %s could not be rendered", code)
        return Response(FALLBACK_PAGE.format(code=code), code, mimetype="text/html")


def _expired_page() -> ResponseReturnValue:
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


def _show_expired_form() -> ResponseReturnValue:
    """The view renders its page again as for a GET, its forms filled with what was sent
    (app.core.forms.keep_expired_submission). As a GET, nothing a view does on POST runs, and
    the forms never validate: nothing is saved or changed. The forms carry a fresh token and
    the summary says why the page came back.

    A view that answers the GET with a redirect is not a form page (the language button): the
    refusal stands. The one redirect kept is to the login page (the session ended), after which
    static/js/forms.js puts what was typed back in the form."""
    keep_expired_submission()
    request.method = "GET"
    view = current_app.view_functions[request.endpoint]  # type: ignore[index]
    try:
        # The token is checked first of all the request hooks, so none of the others ran: the
        # role guards of staff blueprints, the session's checks, the rate limit. Run them all
        # now, as for the GET this has become, before the view: a refused token must never
        # show a page that the role or the session would not.
        response = current_app.preprocess_request()
        if response is None:
            response = current_app.ensure_sync(view)(**(request.view_args or {}))
        response = current_app.make_response(response)
    except HTTPException as error:  # raised inside an error handler it would become a 500
        return current_app.handle_http_exception(error)
    if response.status_code in (301, 302, 303, 307, 308):
        login = url_for(login_manager.login_view) if login_manager.login_view else None
        if login is None or urlsplit(response.location or "").path != login:
            return _expired_page()
    return response


def refuse_nul_bytes() -> ResponseReturnValue | None:
    """No page takes a NUL byte, and PostgreSQL cannot store one in text: refuse it in the path,
    the query string or a form value before any view reads it (uploaded files are not looked at)."""
    # Every method's form, also a POST shown again as a GET after its token expired.
    values = [request.path, *request.args.keys(), *request.args.values()]
    values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        return _render(400)
    return None


def init_errors(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        rule = request.url_rule
        # A form page (GET shows it, POST sends it): shown again with what was typed rather
        # than an error page whose back link returns an empty form (a long comment lost).
        if request.method == "POST" and rule is not None and "GET" in (rule.methods or ()):
            return _show_expired_form()
        return _expired_page()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code is None or error.code < 400:
            return error
        if isinstance(error, BadQuery):
            return _render(error.code, text=str(error.description))
        return _render(error.code)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        log.exception("unhandled error on %s", request.path)
        # The page shows no account: loading it would read the database, which may be what
        # failed (after the rollback every loaded row is expired and would be read again).
        g._login_user = login_manager.anonymous_user()
        return _render(500)
