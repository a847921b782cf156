"""A small HTTP client that behaves like a partner's browser tab.

It keeps the session cookie, sends the page's hidden inputs back, asks for
gzip like a browser does, and never follows redirects by itself (the flow
checks each 303). Standard library only, so the benchmark measures the app,
not a client library.
"""

import gzip
import http.client
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

USER_AGENT = "receivables-benchmark"
HIDDEN_RE = r'name="{name}"[^>]*value="([^"]*)"'


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes  # as received on the wire (compressed when the server compressed it)
    seconds: float

    @property
    def text(self) -> str:
        raw = gzip.decompress(self.body) if self.headers.get("content-encoding") == "gzip" else self.body
        return raw.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


def hidden(html: str, name: str) -> str:
    match = re.search(HIDDEN_RE.format(name=re.escape(name)), html)
    if not match:
        raise ValueError(f"the page has no hidden input {name!r}")
    return match.group(1)


@dataclass
class Browser:
    host: str
    port: int
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None) -> Response:
        body = urlencode(form).encode() if form is not None else None
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            data = raw.read()
            received = {k.lower(): v for k, v in raw.getheaders() if k.lower() != "set-cookie"}
            for value in raw.headers.get_all("Set-Cookie") or []:
                self._keep_cookie(value)
        finally:
            conn.close()
        return Response(raw.status, received, data, time.perf_counter() - started)

    def _keep_cookie(self, header: str) -> None:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            expired = morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"])
            if expired or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict, headers: dict | None = None) -> Response:
        return self.request("POST", path, form=form, headers=headers)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/login")
        response = self.post("/login", {"email": email, "password": password,
                                        "csrf_token": hidden(page.text, "csrf_token")})
        if response.status != 303:
            raise RuntimeError(f"sign-in as {email} failed: {response.status}")
