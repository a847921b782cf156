"""Cross-cutting HTTP behaviour: security headers, compression, sign-in wiring.

What templates may call (filters and globals) is registered by templating.py.
"""

from urllib.parse import urlencode, urlsplit

from flask import Flask, redirect, request, url_for
from flask_compress import Compress

from extensions import db, login_manager
from models import PortalAccount, StaffUser
from templating import install_template_helpers

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
compress = Compress()


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
        model = {"staff": StaffUser, "portal": PortalAccount}.get(kind)
        if model is not None and raw_id.isdigit():
            return db.session.get(model, int(raw_id))
        return None

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR  # static URLs carry a fingerprint
    install_template_helpers(app)

    # Browsers and tools that ask for /favicon.ico without reading the page's <link rel="icon">.
    @app.get("/favicon.ico")
    def favicon():
        return redirect(app.jinja_env.globals["static_url"]("favicon.svg"))

    # Text responses of 500 bytes or more go out compressed (zstd, br or gzip) when the
    # client accepts it. after_request handlers run last-registered first, so compression
    # comes after read_static_files and security_headers, on the final response.
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Streamed bodies stay as they are: Flask-Compress would drop the file's close() and
    # would compress a range request's part. Static files are read whole instead.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)

    @app.after_request
    def read_static_files(response):
        if (request.endpoint == "static" and response.status_code == 200
                and response.mimetype in compress.compress_mimetypes_set):
            response.direct_passthrough = False
            response.get_data()  # the file is closed with the response
        return response

    @app.after_request
    def sign_in_as_a_whole_page(response):
        # A partial htmx request from a page whose session has ended is sent to sign in. fetch
        # would follow that redirect by itself and htmx would swap the sign-in page into the
        # list; HX-Redirect makes the browser load it as a page, and come back to the page
        # the partner was on (not to the fragment's URL, which may be a POST-only check).
        if not (is_partial() and response.status_code in (301, 302, 303, 307, 308)):
            return response
        login = url_for("auth.login")
        if urlsplit(response.headers.get("Location", "")).path != login:
            return response
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = current.path + (f"?{current.query}" if current.query else "")
        if current.netloc != request.host or not back.startswith("/"):
            back = url_for("customers.index")
        response.status_code = 401
        response.set_data(b"")
        del response.headers["Location"]
        response.headers["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return response

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
