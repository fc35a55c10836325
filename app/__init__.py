"""Sankaku: the citizen-participation platform. `create_app` reads like a table of contents."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import MIN_SECRET_KEY_LENGTH, load_config, weak_secret_key
from app.core.urls import BoundedIntegerConverter
from app.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    refuse_weak_secret_key(app)
    proxies = int(app.config["PROXY_COUNT"])
    if proxies > 0:
        # The client's address and scheme as the trusted proxies saw them; with PROXY_COUNT=0
        # (no proxy) a client's own X-Forwarded-For is ignored, so it cannot dodge rate limits.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )

    # Before any rule is added: every <int:…> in the URL map is an id the database can hold.
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Japanese in the API
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    logging.basicConfig(level=logging.INFO)
    return app


def refuse_weak_secret_key(app: Flask) -> None:
    """Sessions, remember cookies and reset links are signed with SECRET_KEY: with the public
    development key anyone could sign their own, so production does not start without a key."""
    if app.config.get("TESTING") or app.config.get("DEVELOPMENT"):
        return
    if weak_secret_key(app.config.get("SECRET_KEY")):
        raise RuntimeError(
            "SECRET_KEY is not set, or is too short or the development key. Set SECRET_KEY to "
            f"a random value of at least {MIN_SECRET_KEY_LENGTH} characters, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_hex(32))'`, the same on every "
            "host. For development on your own machine set SANKAKU_DEVELOPMENT=1 (make does)."
        )


def register_extensions(app: Flask) -> None:
    from app.core.cache import init_cache
    from app.core.db import configure_engine
    from app.core.i18n import select_locale
    from app.core.security import init_security

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    init_cache(app)
    init_security(app)

    # Every model is imported here, so metadata (and Alembic) sees all tables.
    from app.accounts import models as accounts_models  # noqa: F401
    from app.accounts.services import load_login
    from app.consultations import models as consultations_models  # noqa: F401
    from app.core import audit, dispositions, mail, receipts, uploads  # noqa: F401
    from app.councils import models as councils_models  # noqa: F401
    from app.plan import models as plan_models  # noqa: F401
    from app.proposals import models as proposals_models  # noqa: F401
    from app.public_comment import models as public_comment_models  # noqa: F401
    from app.surveys import models as surveys_models  # noqa: F401
    from app.voice import models as voice_models  # noqa: F401

    # The session and the remember cookie carry a login's token, not the user id: a login
    # that was ended (logout, password change or reset) opens nothing any more.
    login_manager.user_loader(load_login)

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")


def register_blueprints(app: Flask) -> None:
    # Importing a domain module registers its activity kind; ActivityKind.order, not the import
    # order, sets the kinds' column order (and the order of their demo records).
    from app import (
        accounts,
        api,
        consultations,
        councils,
        plan,
        proposals,
        public_comment,
        reports,
        surveys,
        voice,
    )
    from app.core import staff_views as core_staff_views
    from app.core import views as core_views

    app.register_blueprint(core_views.bp)
    app.register_blueprint(core_staff_views.admin_bp)
    app.register_blueprint(plan.bp)
    app.register_blueprint(plan.admin_bp)
    app.register_blueprint(public_comment.bp)
    app.register_blueprint(public_comment.staff_bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(reports.staff_bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(accounts.admin_bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(councils.bp)
    app.register_blueprint(councils.staff_bp)
    app.register_blueprint(councils.review_bp)
    app.register_blueprint(consultations.bp)
    app.register_blueprint(consultations.staff_bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(proposals.staff_bp)
    app.register_blueprint(proposals.review_bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(voice.staff_bp)
    app.register_blueprint(surveys.bp)
    app.register_blueprint(surveys.staff_bp)


def register_errorhandlers(app: Flask) -> None:
    from app.core.errors import init_errors

    init_errors(app)


def register_commands(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.consultations.cli import consultations_cli
    from app.core.cli import demo_cli, mail_cli, translate_cli
    from app.plan.cli import plan_cli
    from app.public_comment.cli import public_comment_cli
    from app.reports.cli import reports_cli
    from app.surveys.cli import surveys_cli
    from app.voice.cli import voice_cli

    for group in (
        users_cli,
        demo_cli,
        mail_cli,
        translate_cli,
        plan_cli,
        consultations_cli,
        public_comment_cli,
        reports_cli,
        voice_cli,
        surveys_cli,
    ):
        app.cli.add_command(group)


def register_template_helpers(app: Flask) -> None:
    from app.core.templating import init_templating

    init_templating(app)
