"""The session: Flask's signed cookie, its signature verified once per worker and value;
and the CSRF tokens posted with it, each accepted token remembered the same way.

A signed-in tab sends the same cookie with every request until the session changes, and
verifying it (the HMAC, zlib, the tagged JSON, and a serializer Flask builds each time)
was a tenth of a blur check's cost. RememberedSignatures keeps, per worker, what it
verified of the last cookie values it saw: the same string again is the same signed
content, so a request only checks its age again (PERMANENT_SESSION_LIFETIME, as
itsdangerous does) and gets its own copy. Any other string is verified in full, so a
forged or altered cookie is refused exactly as before, and an expired one still starts an
empty session. Nothing but verified content is kept; a changed SECRET_KEY (or its
fallbacks) starts afresh.
"""

import copy
import logging
import math
import time

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, same_origin, validate_csrf
from itsdangerous import BadSignature
from itsdangerous.encoding import base64_decode, bytes_to_int
from wtforms import ValidationError

log = logging.getLogger("flask_wtf.csrf")  # where CSRFProtect says why it refused a token

REMEMBERED = 2048  # cookie values (about 1 kB each), or tokens, per worker: then the memory starts afresh


class RememberedSignatures(SecureCookieSessionInterface):
    def __init__(self):
        self._keys = None
        self._serializer = None
        self._verified: dict[str, tuple[int, dict]] = {}  # cookie value -> (signed at, content)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
            self._verified = {}
        return self._serializer

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._verified.get(value)
        if known is None:
            try:
                content, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:  # altered, forged or expired
                return self.session_class()
            if len(self._verified) >= REMEMBERED:
                self._verified = {}
            known = self._verified[value] = (int(signed_at.timestamp()), content)
        signed_at, content = known
        age = int(time.time()) - signed_at
        if age > max_age or age < 0:  # itsdangerous's own test
            return self.session_class()
        # The session's own copy: a view may change a list in it (the flashed messages).
        return self.session_class({key: copy.deepcopy(item) if isinstance(item, (dict, list)) else item
                                   for key, item in content.items()})

    def save_session(self, app, session, response):
        """Flask's, but for the usual request (a session read and kept as it is: no cookie to
        send) only its Vary: Cookie is written, without reading the cookie settings or parsing
        Vary into a set and back."""
        if session.modified or not session or self.should_set_cookie(app, session):
            return super().save_session(app, session, response)
        if session.accessed:
            vary = response.headers.get("Vary")
            if not vary:
                response.headers["Vary"] = "Cookie"
            elif "cookie" not in {name.strip().lower() for name in vary.split(",")}:
                response.headers["Vary"] = f"{vary}, Cookie"
        return None


class RememberedTokens(CSRFProtect):
    """CSRFProtect whose token check remembers, per worker, the tokens it accepted.

    Flask-WTF's validate_csrf builds a serializer, derives its key and checks the HMAC on
    every POST (a sixth of a blur check's cost), and a tab posts its page's one token with
    every check. A token accepted for a session's CSRF secret (under this SECRET_KEY) is
    the same token next time: a request that sends it again with that secret only has its
    age checked against WTF_CSRF_TIME_LIMIT, as itsdangerous would. Anything else (another
    token, another session's secret, a token past its limit, none) goes to validate_csrf
    itself, which refuses it with its own reason. protect() is Flask-WTF 1.3's, with that
    check in place of its call to validate_csrf (Flask-WTF has no hook for it).
    """

    def __init__(self, app=None):
        self._accepted: dict[tuple, float] = {}  # (token, session's secret, signing key) -> valid until
        super().__init__(app)

    def check_token(self, token: str | None) -> None:
        config = current_app.config
        secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        key = (token, session.get(config["WTF_CSRF_FIELD_NAME"]), secret)
        if token and key[1] is not None and int(time.time()) <= self._accepted.get(key, -1):
            return
        validate_csrf(token)  # raises ValidationError with the reason
        limit = config.get("WTF_CSRF_TIME_LIMIT", 3600)
        if len(self._accepted) >= REMEMBERED:
            self._accepted = {}
        if limit is None:
            self._accepted[key] = math.inf
        else:  # the token was just verified: its next-to-last part is the time it was signed at
            self._accepted[key] = bytes_to_int(base64_decode(token.rsplit(".", 2)[1])) + limit

    def protect(self, apply_exemptions=False):
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            self.check_token(self._get_csrf_token())
        except ValidationError as error:
            log.info(error.args[0])
            self._error_response(error.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # the forms' own token fields then pass, as under CSRFProtect
