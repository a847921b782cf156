from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, as a naive datetime (both backends store it the same way)."""
    return datetime.now(UTC).replace(tzinfo=None)
