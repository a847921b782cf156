"""Partner staff sign-in and sign-out."""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from extensions import db, limiter
from forms.auth import SignInForm
from keys import email_key
from models import StaffUser
from models._time import utcnow
from request_input import safe_next

bp = Blueprint("auth", __name__)

BAD_CREDENTIALS = "The email address or password is not right"


def _email_key() -> str:
    return "signin-email:" + email_key(request.form.get("email", "").strip())


def _failed(_response) -> bool:
    return bool(g.get("sign_in_failed"))


@bp.route("/")
def home():
    return redirect(url_for("customers.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_email_key, methods=["POST"], deduct_when=_failed)
@limiter.limit("50 per hour", methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated and isinstance(current_user._get_current_object(), StaffUser):
        return redirect(url_for("customers.index"))
    form = SignInForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email_key == email_key(form.email.data)))
        password_ok = (
            user.check_password(form.password.data)
            if user
            else StaffUser.check_no_password(form.password.data)
        )
        if user and password_ok:
            user.last_login_at = utcnow()
            db.session.commit()
            # A new session id at sign-in: nothing from before carries over.
            session.clear()
            login_user(user)
            current_app.session_interface.regenerate(session)
            return redirect(safe_next(request.args.get("next"), url_for("customers.index")), code=303)
        g.sign_in_failed = True
        form.form_errors.append(BAD_CREDENTIALS)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    current_app.session_interface.regenerate(session)
    return redirect(url_for("auth.login"), code=303)
