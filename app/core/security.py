"""Security headers on every response (DESIGN.md §2; the foundation issue's baseline)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_security(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if response.status_code >= 400 or "_user_id" in session or g.get("personal_data"):
            # Pages for a logged-in user, and receipts, show personal data: no browser or proxy
            # may keep them (the back button of a shared PC, a caching proxy). An error answer
            # is for the one who asked and must not outlive its cause in a shared cache.
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response


def configured_limit(setting: str) -> Callable[[], str]:
    """A rate limit read from a setting when the request comes (Flask-Limiter calls it), so the
    one limiter object serves apps with different settings (tests, another worker)."""
    return lambda: current_app.config[setting]


# Anonymous sign-ups: sessions, observer seats, council applications (per client address).
submission_rate_limit = configured_limit("SUBMISSION_RATE_LIMIT")


def mark_personal_data() -> None:
    """Call in a view whose page shows personal data to a visitor without an account."""
    g.personal_data = True
