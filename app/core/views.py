"""Public routes that belong to no module: the language switch, the site's policies, the icon
and the health check."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.core.i18n import LANGUAGE_COOKIE
from app.core.urls import safe_next_url
from app.extensions import db

bp = Blueprint("core", __name__, template_folder="templates")


@bp.route("/language/<code>", methods=["GET", "POST"])
def set_language(code: str) -> ResponseReturnValue:
    """A plain link for visitors (it only sets the language cookie), a button for a logged-in
    user, whose choice is also stored for their e-mail: a GET never changes stored data."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["LANGUAGES"][0]
    target = safe_next_url(request.args.get("next")) or url_for("plan.index")
    response = redirect(target)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    if request.method == "POST" and current_user.is_authenticated and current_user.language != code:
        current_user.language = code
        db.session.commit()
    return response


@bp.after_app_request
def remember_language(response: Response) -> Response:
    """A link with ?lang= (as in e-mails) switches the language for the following pages too."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        remember_language_choice(response, chosen)
    return response


def remember_language_choice(response: Response, code: str) -> Response:
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    return response


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """The site's icon where browsers look for it without a page to tell them (a feed or a file
    opened in a tab, bookmarks, feed readers): the icon the pages declare, not a 404 in their
    console and in the server's log."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/privacy")
def privacy() -> ResponseReturnValue:
    """個人情報の取扱い: what each procedure collects, why, who sees it, how long it is kept."""
    return render_template("core/privacy.html")


@bp.route("/accessibility")
def accessibility() -> ResponseReturnValue:
    """ウェブアクセシビリティ方針 (総務省「みんなの公共サイト運用ガイドライン」)."""
    return render_template(
        "core/accessibility.html",
        policy_date=date.fromisoformat(current_app.config["ACCESSIBILITY_POLICY_DATE"]),
    )


@dataclass(frozen=True)
class PageResult:
    """One page of the accessibility test results: where it was opened and what axe-core found."""

    page: str
    tested: dict[str, list[int]]  # language → screen widths in px
    checks: int
    violations: int


def _test_results(path: Path) -> tuple[dict, list[PageResult]] | None:
    """The browser suite's axe-core results (tests/e2e/page_checks.py, `make a11y-results`),
    one row per page; None when the file is missing or unreadable."""
    tested: dict[str, dict[str, list[int]]] = {}
    checks: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        results["tested_on"] = date.fromisoformat(results["tested_on"])
        for row in results["pages"]:
            page = row["page"]
            tested.setdefault(page, {}).setdefault(row["language"], []).append(int(row["width"]))
            checks[page] += int(row["checks"])
            violations[page] += int(row["violations"])
    except (OSError, ValueError, KeyError, TypeError):
        current_app.logger.warning("accessibility results unreadable: %s", path)
        return None
    return results, [
        PageResult(
            page,
            {language: sorted(widths) for language, widths in tested[page].items()},
            checks[page],
            violations[page],
        )
        for page in sorted(tested)
    ]


@bp.route("/accessibility/results")
def accessibility_results() -> ResponseReturnValue:
    """ウェブアクセシビリティ試験結果: the pages the browser tests checked with axe-core, the
    date and the result for each page, as the guideline asks a municipal site to publish."""
    found = _test_results(Path(current_app.config["ACCESSIBILITY_RESULTS_FILE"]))
    results, pages = found if found else ({}, [])
    languages = {"ja": _("Japanese"), "en": _("English")}
    return render_template(
        "core/accessibility_results.html",
        results=results,
        pages=pages,
        languages=languages,
        failing=sum(1 for page in pages if page.violations),
    )
