"""The session: Flask's signed cookie, its signature verified once per worker and value.

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
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

REMEMBERED = 2048  # cookie values per worker (about 1 kB each): then the memory starts afresh


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
