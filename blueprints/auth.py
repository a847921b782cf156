"""Partner staff sign-in and sign-out."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from forms.auth import SignInForm
from models import StaffUser
from sign_in import failure_limits, sign_in_page, sign_out

bp = Blueprint("auth", __name__)


@bp.route("/")
def home():
    return redirect(url_for("customers.index"))


@bp.route("/login", methods=["GET", "POST"])
@failure_limits("signin")
def login():
    if current_user.is_authenticated and isinstance(current_user._get_current_object(), StaffUser):
        return redirect(url_for("customers.index"))
    return sign_in_page(StaffUser, SignInForm(), "auth/login.html", url_for("customers.index"))


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out()
    return redirect(url_for("auth.login"), code=303)
