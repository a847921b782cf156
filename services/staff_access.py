"""Staff logins' own emails: today the reset link of "Forgot password?" on /login
(the links themselves: services/password_links.py, shared with portal logins)."""

from datetime import datetime

from models import StaffLink
from services import password_links

RESET_PATH = "/reset/"  # the route of blueprints/auth.py


def request_reset(email: str, *, now: datetime | None = None) -> None:
    """A reset link for the staff login of this email, if there is one. Says nothing back."""
    password_links.request_reset(StaffLink, email, path=RESET_PATH, template="staff_reset",
                                 subject="Reset your Receivables password", now=now)
