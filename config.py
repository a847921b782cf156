"""Configuration, read from the environment once, when the app is created."""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment asks for something the app refuses to run with."""


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'receivables.sqlite3'}"
    # A plain postgresql:// URL should work with the driver we ship (psycopg 3).
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when APP_ENV=production.")
    # Development: make one once and keep it, so sessions survive a restart.
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _trusted_proxies() -> int:
    # How many proxies in front of the app append to X-Forwarded-For (0: none, the header is ignored).
    raw = os.environ.get("TRUSTED_PROXIES", "").strip() or "0"
    if not re.fullmatch(r"[0-9]{1,2}", raw):
        raise ConfigError("TRUSTED_PROXIES must be a whole number of proxies, from 0 to 99.")
    return int(raw)


def _whole_days(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not re.fullmatch(r"[0-9]{1,3}", raw) or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of days, from 1 to 999.")
    return int(raw)


def load_config(instance_path: str) -> dict:
    """Build the app's config from the environment."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app_env = os.environ.get("APP_ENV", "development").strip() or "development"
    if app_env not in ("development", "production", "test"):
        raise ConfigError("APP_ENV must be development, production or test.")
    production = app_env == "production"
    database_url = _database_url(instance)
    base_url = os.environ.get("BASE_URL", "").strip().rstrip("/")
    if production and not base_url:
        raise ConfigError("BASE_URL must be set when APP_ENV=production.")

    config = {
        "APP_ENV": app_env,
        "SECRET_KEY": _secret_key(instance, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No pre-ping: connections that sat idle are pinged at checkout (extensions.py). A
        # connection is replaced after 30 minutes whatever happens (a firewall may drop it quietly).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
        "BASE_URL": base_url or "http://127.0.0.1:5000",
        # Sessions: Flask's signed cookie, holding the login, its session epoch, the CSRF
        # secret and the current draft's token (the draft itself is a row: services/drafts.py).
        # It lasts 12 hours from its last change (sign_in makes it permanent); a request
        # that only reads the session does not write it back.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Sign-in rate limits count failures; memory unless Redis is named.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # 200 users of 450 bytes fit many times over; anything larger is refused (413).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "TRUSTED_PROXIES": _trusted_proxies(),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25") or 25),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0").lower() in ("1", "true", "yes"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "billing@localhost"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", "").strip() or str(instance / "mail"),
        # seed-demo keeps the demo logins here so they survive a restart (development only).
        # Which payment processor: "sandbox" (test mode, the default) or "stripe" (payments/__init__.py).
        "PAYMENT_GATEWAY": os.environ.get("PAYMENT_GATEWAY", "").strip().lower() or "sandbox",
        # PAYMENT_GATEWAY=stripe: the account's keys, and another API to talk to (localstripe) if set.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", "").strip(),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", "").strip(),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", "").strip(),
        # Automation never sends a step (a reminder, a summary) whose moment is older than this.
        "AUTOMATION_WINDOW_DAYS": _whole_days("AUTOMATION_WINDOW_DAYS", 7),
        "DEMO_LOGIN_FILE": str(instance / "demo-login.txt") if app_env == "development" else None,
    }
    # Webhooks to 127.0.0.1 / ::1 (tests and development only: production refuses to start with it).
    config["WEBHOOK_ALLOW_LOOPBACK"] = os.environ.get("WEBHOOK_ALLOW_LOOPBACK", "0") == "1"
    if production and config["WEBHOOK_ALLOW_LOOPBACK"]:
        raise ConfigError("WEBHOOK_ALLOW_LOOPBACK cannot be set when APP_ENV=production.")
    if production:
        config["DEBUG"] = False
    return config
