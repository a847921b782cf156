"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping what it accepts.

    with SmtpServer(port) as server: ...   # server.messages, server.envelopes
"""

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A port nothing listens on (until someone starts a server there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None  # the user the client signed in as, if it did


@dataclass
class _Handler:
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    envelopes: list[Envelope] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        with self.lock:
            self.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), message, login))
        return "250 OK"


class SmtpServer:
    """aiosmtpd's Controller on 127.0.0.1:port. `users` = {login: password} turns AUTH on
    (over plain text: these tests have no certificate). smtputf8=False: a server that cannot
    take addresses beyond ASCII."""

    def __init__(self, port: int, *, refuse: set[str] = frozenset(), users: dict[str, str] | None = None,
                 smtputf8: bool = True):
        self.handler = _Handler(refuse=set(refuse))
        auth = {"authenticator": self._authenticate, "auth_require_tls": False} if users else {}
        self.users = users or {}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port,
                                     enable_SMTPUTF8=smtputf8, **auth)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    @property
    def envelopes(self) -> list[Envelope]:
        with self.handler.lock:
            return list(self.handler.envelopes)

    @property
    def messages(self) -> list[EmailMessage]:
        return [e.message for e in self.envelopes]

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
