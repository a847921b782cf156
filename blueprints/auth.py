"""Partner staff sign-in and sign-out, and "Forgot password?"."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from forms.auth import SignInForm
from models import StaffLink, StaffUser
from password_pages import PasswordPages, add_password_routes
from services import staff_access
from sign_in import StaffPrincipal, failure_limits, sign_in_page, sign_out

bp = Blueprint("auth", __name__)
HOME = "overview.index"  # where a signed-in partner lands

PASSWORD_PAGES = PasswordPages(
    name="staff", links=StaffLink, layout="auth/_card.html",
    login_endpoint="auth.login", forgot_endpoint="auth.forgot_password",
    request_reset=staff_access.request_reset,
    sent_message=("If that email address has a login to this dashboard, we have sent it a link to "
                  "choose a new password. Check your inbox."),
)
add_password_routes(bp, PASSWORD_PAGES)  # /forgot-password, /reset/<token> to /reset


@bp.route("/")
def home():
    return redirect(url_for(HOME))


@bp.route("/login", methods=["GET", "POST"])
@failure_limits("signin")
def login():
    if current_user.is_authenticated and isinstance(current_user._get_current_object(), StaffPrincipal):
        return redirect(url_for(HOME))
    return sign_in_page(StaffUser, SignInForm(), "auth/login.html", url_for(HOME))


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out()
    return redirect(url_for("auth.login"), code=303)

