"""Who may see the partner dashboard."""

from flask import Blueprint
from flask_login import current_user

from extensions import login_manager
from sign_in import StaffPrincipal


def require_staff(bp: Blueprint) -> None:
    """Every view of bp needs a partner's staff login (a portal login is not one)."""

    @bp.before_request
    def _check():
        if not (current_user.is_authenticated and isinstance(current_user._get_current_object(), StaffPrincipal)):
            return login_manager.unauthorized()
        return None
