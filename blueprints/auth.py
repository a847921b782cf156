"""Partner staff sign-in and sign-out."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from forms.auth import SignInForm
from keys import email_key
from models import StaffUser
from request_input import safe_next
from sign_in import BAD_CREDENTIALS, attempt, failure_limits, sign_in, sign_out

bp = Blueprint("auth", __name__)


@bp.route("/")
def home():
    return redirect(url_for("customers.index"))


@bp.route("/login", methods=["GET", "POST"])
@failure_limits("signin", email_key)
def login():
    if current_user.is_authenticated and isinstance(current_user._get_current_object(), StaffUser):
        return redirect(url_for("customers.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = attempt(StaffUser, email_key(form.email.data), form.password.data)
        if user is not None:
            sign_in(user)
            return redirect(safe_next(request.args.get("next"), url_for("customers.index")), code=303)
        form.form_errors.append(BAD_CREDENTIALS)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    sign_out()
    return redirect(url_for("auth.login"), code=303)
