"""Jinja filters and globals every template may use."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, request, url_for
from flask_login import current_user

from app.core import activity, forms, i18n, permissions


def language_switch_url(code: str) -> str:
    # Come back to the same page, without a ?lang= that would switch straight back.
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    path = f"{request.path}?{urlencode(args)}" if args else request.path
    return url_for("core.set_language", code=code, next=path)


def url_with_query(endpoint: str, **values: Any) -> str:
    """A link that keeps the current query string (filters, every value of a repeated name) with
    `values` in place of their names: for paging and exports. The query is carried as query
    string, never as url_for arguments, so a name like `endpoint` or `_scheme` in it is inert."""
    url = url_for(endpoint, **values)
    carried = [(k, v) for k, v in request.args.items(multi=True) if k not in values]
    if not carried:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(carried)}"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=i18n.format_date,
        datetime=i18n.format_datetime,
        fiscal_year=i18n.format_fiscal_year,
        era_year=i18n.era_year,
        yen=i18n.format_yen,
        join_list=i18n.join_list,
    )
    i18n.install_template_gettext(app)
    i18n.share_form_translations(app)
    app.jinja_env.trim_blocks = True
    # A global rather than a context variable, so that imported macros (pagination) see it.
    app.jinja_env.globals["url_with_query"] = url_with_query
    app.jinja_env.globals["days_left_sentence"] = activity.days_left_sentence
    app.jinja_env.globals["submission_expired"] = forms.submission_expired
    app.jinja_env.globals["page_has_form_errors"] = forms.page_has_form_errors
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {
            "current_language": i18n.current_language,
            "list_separator": i18n.list_separator(),
            "language_switch_url": language_switch_url,
            "activity_kinds": activity.kinds,
            "is_staff": permissions.is_staff(current_user),
            "is_admin": permissions.is_admin(current_user),
        }
