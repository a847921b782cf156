"""Cross-cutting HTTP behaviour: security headers, fingerprinted static URLs, sign-in wiring."""

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, request, url_for

from extensions import db, login_manager
from models import StaffUser

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ONE_YEAR = 365 * 24 * 3600


def is_partial() -> bool:
    """True for htmx requests that swap a fragment (htmx 4 also flags boosted and
    history-restore requests with HX-Request, which want the whole page)."""
    return request.headers.get("HX-Request-Type") == "partial"


def install_web_defaults(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        kind, _, raw_id = user_id.partition(":")
        if kind == "staff" and raw_id.isdigit():
            return db.session.get(StaffUser, int(raw_id))
        return None

    # Fingerprinted static URLs: the query changes whenever the file does,
    # so browsers may keep each version for a year.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR
    static_root = Path(app.static_folder)

    @cache
    def fingerprint(filename: str) -> str:
        return hashlib.sha256((static_root / filename).read_bytes()).hexdigest()[:12]

    def static_url(filename: str) -> str:
        return url_for("static", filename=filename, v=fingerprint(filename))

    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["is_partial"] = is_partial

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("HX-Request-Type")
        return response
