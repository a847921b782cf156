"""The partner's settings: changed in the caller's unit of work, like every write."""

from extensions import db
from models import Partner
from models.partner import logo_type


def update_settings(partner: Partner, values: dict, *, logo: bytes | None = None, remove_logo: bool = False) -> None:
    """values: the settings form's cleaned() fields; logo: a new logo's bytes (checked by the form)."""
    for name, value in values.items():
        setattr(partner, name, value)
    if logo is not None:
        partner.logo, partner.logo_type = logo, logo_type(logo)
    elif remove_logo:
        partner.logo = partner.logo_type = None
    db.session.flush()
