"""Settings, read from the environment with safe defaults.

Every variable here is listed in the README. Nothing else in the code reads os.environ.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{instance_path / 'sankaku.sqlite3'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one we ship.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


# The key `make run` and the benchmarks use. It is public (it is in this file), so anything
# signed with it is forgeable: create_app refuses it outside development and the tests.
DEVELOPMENT_SECRET_KEY = "dev-only-change-me"
MIN_SECRET_KEY_LENGTH = 32


def weak_secret_key(key: str | bytes | None) -> bool:
    return not key or key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH


def load_config(instance_path: Path) -> dict[str, Any]:
    """Return the configuration for an app whose instance folder is `instance_path`."""
    secure_cookies = _bool("SESSION_COOKIE_SECURE", True)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        # Development on one's own machine (`make run`, the benchmarks): the public development
        # key is accepted. Never set in production.
        "DEVELOPMENT": _bool("SANKAKU_DEVELOPMENT", False),
        # How many reverse proxies stand in front of gunicorn and append X-Forwarded-For.
        # 0 when clients reach the application directly: their headers are then not believed.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "1")),
        # The proxy's X-Request-Start (nginx: "t=${msec}") is the time of receipt of a
        # submission, so one queued in front of a worker at a deadline is not late. Believed
        # only behind a proxy, and only this many seconds into the past.
        "REQUEST_START_MAX_SKEW": float(os.environ.get("REQUEST_START_MAX_SKEW", "30")),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LANGUAGES": ("ja", "en"),
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 8,
        # A login without "keep me logged in" ends after LOGIN_HOURS, one with it after
        # REMEMBER_DAYS; logging out, a password change or a reset ends it at once.
        "LOGIN_HOURS": int(os.environ.get("LOGIN_HOURS", "8")),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * int(os.environ.get("REMEMBER_DAYS", "30")),
        "WTF_CSRF_TIME_LIMIT": 60 * 60 * 4,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "COMMENT_RATE_LIMIT": os.environ.get("COMMENT_RATE_LIMIT", "20 per minute;200 per day"),
        # Sign-ups for sessions, observer seats and council applications, per client address.
        "SUBMISSION_RATE_LIMIT": os.environ.get("SUBMISSION_RATE_LIMIT", "10 per hour;50 per day"),
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "5 per hour;20 per day"),
        # How long the link in the mail that confirms a new account's address stays valid.
        "CONFIRM_EMAIL_MAX_AGE": int(os.environ.get("CONFIRM_EMAIL_MAX_AGE", str(60 * 60 * 48))),
        "GROUPING_SYNC_LIMIT": int(os.environ.get("GROUPING_SYNC_LIMIT", "5000")),
        "GROUPING_THRESHOLD": float(os.environ.get("GROUPING_THRESHOLD", "0.5")),
        "FIGURES_CACHE_SECONDS": int(os.environ.get("FIGURES_CACHE_SECONDS", "60")),
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL", ""),
        # Where several deployments share one Redis database, each names its keys apart.
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "sankaku:"),
        "RESULTS_OVERDUE_DAYS": int(os.environ.get("RESULTS_OVERDUE_DAYS", "60")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "noreply@sankaku.example.jp"),
        # The name shown beside the sender's address (From: 熊本市 さんかく <noreply@…>).
        "MAIL_SENDER_NAME": os.environ.get("MAIL_SENDER_NAME", "熊本市 さんかく"),
        # The domain of every Message-ID and calendar UID; empty: PUBLIC_BASE_URL's host.
        "MAIL_MESSAGE_ID_DOMAIN": os.environ.get("MAIL_MESSAGE_ID_DOMAIN", ""),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Who answers for the site, in every page's footer and on the policy pages (Japanese;
        # the English pages show the same, as the city's own address is written in Japanese).
        "CONTACT_ORGANISATION": os.environ.get("CONTACT_ORGANISATION", "熊本市 市民協働課"),
        "CONTACT_ADDRESS": os.environ.get(
            "CONTACT_ADDRESS", "〒860-8601 熊本市中央区手取本町1番1号"
        ),
        "CONTACT_PHONE": os.environ.get("CONTACT_PHONE", "096-328-2111"),
        "CONTACT_EMAIL": os.environ.get("CONTACT_EMAIL", ""),
        # The date the accessibility policy was set or last revised (YYYY-MM-DD).
        "ACCESSIBILITY_POLICY_DATE": os.environ.get("ACCESSIBILITY_POLICY_DATE", "2026-11-29"),
        # The browser suite's axe-core results shown at /accessibility/results (make a11y-results).
        "ACCESSIBILITY_RESULTS_FILE": os.environ.get(
            "ACCESSIBILITY_RESULTS_FILE", str(BASE_DIR / "data" / "accessibility-results.json")
        ),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(instance_path / "uploads")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        # Which department carries each coordinator duty (DESIGN.md §2), by department code.
        "COORDINATOR_DEPARTMENTS": {
            "public_comment": os.environ.get("COORDINATOR_PUBLIC_COMMENT", "kocho"),
            "councils": os.environ.get("COORDINATOR_COUNCILS", "gyosei-keiei"),
            "collaboration": os.environ.get("COORDINATOR_COLLABORATION", "shimin-kyodo"),
            # 市民の声: receives, routes and approves answers; the mayor's office approves the
            # answers to letters to the mayor (a department the admin adds; else 広聴課 does).
            "voice": os.environ.get("COORDINATOR_VOICE", "kocho"),
            "mayor_office": os.environ.get("COORDINATOR_MAYOR_OFFICE", "hisho"),
            # Surveys: approves them before they open, and runs the citizens' panel.
            "surveys": os.environ.get("COORDINATOR_SURVEYS", "kocho"),
        },
        # 市民の声: the answer is due VOICE_ANSWER_DAYS after the day of receipt (calendar days,
        # or the city's working days when VOICE_WORKING_DAYS); the division is reminded
        # VOICE_REMINDER_DAYS before; the sender who asked is sent the follow-up question
        # VOICE_FOLLOW_UP_DAYS after the close.
        "VOICE_ANSWER_DAYS": int(os.environ.get("VOICE_ANSWER_DAYS", "14")),
        "VOICE_WORKING_DAYS": _bool("VOICE_WORKING_DAYS", False),
        "VOICE_REMINDER_DAYS": int(os.environ.get("VOICE_REMINDER_DAYS", "3")),
        "VOICE_FOLLOW_UP_DAYS": int(os.environ.get("VOICE_FOLLOW_UP_DAYS", "28")),
        "PLAN_FILE": os.environ.get(
            "PLAN_FILE", str(BASE_DIR / "data" / "response_table_h23.json")
        ),
    }
