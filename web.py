"""Cross-cutting HTTP behaviour: security headers, compression, sign-in wiring.

What templates may call (filters and globals) is registered by templating.py.
"""

from collections.abc import Callable
from functools import partial, wraps
from urllib.parse import urlencode, urlsplit

from flask import Flask, redirect, request, url_for
from flask.globals import request_ctx
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

from extensions import limiter, login_manager
from request_input import safe_next
from sign_in import load_login
from templating import install_template_helpers

CSP_DIRECTIVES = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


def content_security_policy(**more: tuple[str, ...]) -> str:
    """The app's policy, with more sources for some directives (script_src=("https://js.stripe.com",)):
    a page that needs a processor's script sets it on its own response (security_headers keeps it)."""
    directives = dict(CSP_DIRECTIVES)
    for name, sources in more.items():
        directive = name.replace("_", "-")
        directives[directive] = directives.get(directive, CSP_DIRECTIVES["default-src"]) + sources
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


CSP = content_security_policy()
ONE_YEAR = 365 * 24 * 3600
HSTS = "max-age=63072000; includeSubDomains"  # two years
compress = Compress()


def is_partial() -> bool:
    """True for htmx requests that swap a fragment (htmx 4 also flags boosted and
    history-restore requests with HX-Request, which want the whole page)."""
    return request.headers.get("HX-Request-Type") == "partial"


_URL_MARK = 9_876_543_210_123  # no route has such digits of its own


def url_by_id(endpoint: str, name: str) -> Callable[[int], str]:
    """url_for(endpoint, <name>=an id) for many ids at the cost of one url_for (some 20 µs each,
    and a list links every row): built once with a marker id, which each id then replaces."""
    head, tail = url_for(endpoint, **{name: _URL_MARK}).split(str(_URL_MARK))
    return lambda row_id: f"{head}{int(row_id)}{tail}"


def install_web_defaults(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    login_manager.user_loader(load_login)

    # Behind TRUSTED_PROXIES proxies, the client's address and scheme are the ones the
    # nearest of them appended; with none, X-Forwarded-* headers are anybody's and ignored.
    # Not X-Forwarded-Host: the proxy passes Host on as it is.
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR  # static URLs carry a fingerprint
    install_template_helpers(app)

    # Browsers and tools that ask for /favicon.ico without reading the page's <link rel="icon">.
    @app.get("/favicon.ico")
    def favicon():
        return redirect(app.jinja_env.globals["static_url"]("favicon.svg"))

    # Text responses of 1 kB or more go out compressed (zstd, br or gzip) when the client
    # accepts it: a smaller one (a blur check's row) would save a few hundred bytes of a
    # packet it fills anyway, for a tenth of a millisecond. after_request handlers run
    # last-registered first, so compression comes after read_static_files and
    # security_headers, on the final response.
    app.config.setdefault("COMPRESS_MIN_SIZE", 1000)
    # gzip at level 1, as nginx's gzip_comp_level defaults to: a list page (30-60 kB of HTML)
    # compresses 3-4x faster than at Flask-Compress's default 6 (0.13 against 0.40 ms) and
    # comes out about 15% larger. Browsers ask for zstd or br first, which keep their levels.
    app.config.setdefault("COMPRESS_LEVEL", 1)
    # Streamed bodies stay as they are: Flask-Compress would drop the file's close() and
    # would compress a range request's part. Static files are read whole instead.
    app.config.setdefault("COMPRESS_STREAMS", False)
    # Flask-Compress's hook is called only for a body it may compress: for a smaller one it
    # would only add Vary, which security_headers writes (a tenth of a blur check's hooks).
    app.config["COMPRESS_REGISTER"] = False
    compress.init_app(app)
    smallest = app.config["COMPRESS_MIN_SIZE"]

    @app.after_request
    def compress_if_large(response):
        if response.content_length is not None and response.content_length < smallest:
            return response
        return compress.after_request(response)

    _rate_limits_where_declared(app)

    @app.after_request
    def read_static_files(response):
        # Every whole static file (all small) is read here and its file closed at once: text for
        # compression, and any other so that a client leaving mid-file (a browser dropping a
        # favicon it no longer needs) never leaves a file open for the garbage collector.
        # The file is closed here too, not when the server closes the response: the dev server
        # skips that close when a dropped connection fails its last read. A 304 ("not
        # modified") sends no body, but send_file opened the file all the same.
        if request.endpoint == "static" and response.status_code in (200, 304):
            opened = response.response
            if response.status_code == 200:
                response.direct_passthrough = False
                response.get_data()
            if hasattr(opened, "close"):
                opened.close()
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
        back = safe_next(current.path + (f"?{current.query}" if current.query else ""), url_for("customers.index"))
        if current.netloc != request.host:
            back = url_for("customers.index")
        response.status_code = 401
        response.set_data(b"")
        del response.headers["Location"]
        response.headers["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return response

    always = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
    if app.config["APP_ENV"] == "production":
        # Sent over plain HTTP too: TLS ends at the proxy, and browsers heed it only over HTTPS.
        always["Strict-Transport-Security"] = HSTS
    # Vary: a fragment and its page share a URL, and so may a compressed body and a plain one
    # (compress_if_large leaves Vary to this hook).
    usual = [("Content-Security-Policy", CSP), *always.items(), ("Cache-Control", "no-store"),
             ("Vary", "HX-Request-Type, Accept-Encoding")]
    ours = {name.lower() for name, _ in usual}

    @app.after_request
    def security_headers(response):
        headers = response.headers
        if request.endpoint != "static" and ours.isdisjoint(name.lower() for name, _ in headers.items()):
            headers.extend(usual)  # the usual case: a view that set none of these, all added at once
            return response
        headers.setdefault("Content-Security-Policy", CSP)
        headers.update(always)
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        for name in ("HX-Request-Type", "Accept-Encoding"):
            response.vary.add(name)
        return response


def _rate_limits_where_declared(app: Flask) -> None:
    """Flask-Limiter checks every request for the application's default, shared and
    blueprint limits (a before_request hook), and each limited view again in its decorator.
    This app's limits are all on views (sign-in, password reset), so the hook only costs
    time; it is dropped while no limit of those kinds exists. The after_request (failures
    deducted, headers) and teardown hooks stay, but run only for a request in which a limit
    was checked: Flask-Limiter keeps a request's state on the request context, made when a
    limit is first checked, and for a request without it they would make an empty one to
    deduct nothing from, add no header and reset it."""
    manager = limiter.limit_manager
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit not in hooks:  # RATELIMIT_ENABLED=0: Flask-Limiter added none
        return
    if not (manager.default_limits or manager.application_limits or manager._blueprint_limits
            or limiter._meta_limits):
        hooks.remove(limiter._check_request_limit)
    for registry in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
        registry[:] = [_when_a_limit_was_checked(hook) if _limiters(hook) else hook for hook in registry]


_LIMITER_STATE = "_limiter_request_context"  # Flask-Limiter's attribute on the request context


def _limiters(hook) -> bool:
    """A hook of Flask-Limiter's: a method of the limiter, or a partial of one (after_request)."""
    if isinstance(hook, partial):
        return hook.args[:1] == (limiter,)
    return getattr(hook, "__self__", None) is limiter


def _when_a_limit_was_checked(hook):
    @wraps(hook)
    def hook_if_limited(value):
        return hook(value) if hasattr(request_ctx, _LIMITER_STATE) else value
    return hook_if_limited
