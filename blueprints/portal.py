"""The customer portal: its own sign-in, set-password and reset links, and the company's home."""

from flask import (
    Blueprint,
    abort,
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

from blueprints.auth import BAD_CREDENTIALS
from extensions import db, limiter
from forms.portal import ChooseCompanyForm, ForgotPasswordForm, PortalSignInForm, SetPasswordForm
from keys import email_key
from models import Customer, CustomerUser, PortalAccount, StaffUser
from models._time import utcnow
from request_input import safe_next
from services import portal_access
from services.portal_access import LinkError

bp = Blueprint("portal", __name__, url_prefix="/portal")

CHOSEN = "portal_customer_id"
RESET_SENT = ("If that email address has a portal login, we have sent it a link to choose a new "
              "password. Check your inbox.")


def _portal_account() -> PortalAccount | None:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return user if isinstance(user, PortalAccount) else None


def _require_account():
    account = _portal_account()
    if account is None:
        return None, redirect(url_for(".login", next=request.full_path.rstrip("?")))
    return account, None


def _email_key_for_limit() -> str:
    return "portal-email:" + email_key(request.form.get("email", "").strip())


def _failed(_response) -> bool:
    return bool(g.get("sign_in_failed"))


# -- sign in and out ---------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_email_key_for_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit("50 per hour", methods=["POST"], deduct_when=_failed)
def login():
    if _portal_account() is not None:
        return redirect(url_for(".home"))
    form = PortalSignInForm()
    if form.validate_on_submit():
        # One email may have a login at several partners: the password says which.
        accounts = db.session.scalars(
            select(PortalAccount).where(PortalAccount.email_key == email_key(form.email.data))
        ).all()
        account = next((a for a in accounts if a.check_password(form.password.data)), None)
        if not accounts:
            StaffUser.check_no_password(form.password.data)  # the same time as a real check
        if account is not None:
            account.last_login_at = utcnow()
            db.session.commit()
            session.clear()
            login_user(account)
            current_app.session_interface.regenerate(session)
            return redirect(safe_next(request.args.get("next"), url_for(".home")), code=303)
        g.sign_in_failed = True
        form.form_errors.append(BAD_CREDENTIALS)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("portal/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    current_app.session_interface.regenerate(session)
    return redirect(url_for(".login"), code=303)


# -- the company's home ----------------------------------------------------------

def _memberships(account: PortalAccount) -> list[CustomerUser]:
    return db.session.scalars(
        select(CustomerUser).join(Customer)
        .where(CustomerUser.portal_account_id == account.id, Customer.partner_id == account.partner_id,
               Customer.archived_at.is_(None))
        .order_by(Customer.company_sort)
    ).all()


@bp.get("")
def home():
    account, redirect_ = _require_account()
    if redirect_:
        return redirect_
    memberships = _memberships(account)
    if not memberships:
        return render_template("portal/no_access.html", account=account)
    chosen = session.get(CHOSEN)
    membership = next((m for m in memberships if m.customer_id == chosen), None)
    if membership is None:
        if len(memberships) > 1:
            return redirect(url_for(".choose"))
        membership = memberships[0]
    return render_template("portal/home.html", account=account, customer=membership.customer,
                           several=len(memberships) > 1)


@bp.route("/choose", methods=["GET", "POST"])
def choose():
    account, redirect_ = _require_account()
    if redirect_:
        return redirect_
    memberships = _memberships(account)
    form = ChooseCompanyForm()
    if form.validate_on_submit():
        chosen = next((m for m in memberships if str(m.customer_id) == form.customer_id.data), None)
        if chosen is None:
            abort(404)
        session[CHOSEN] = chosen.customer_id
        return redirect(url_for(".home"), code=303)
    return render_template("portal/choose.html", memberships=memberships, form=form)


# -- links: set a password (invitation) or choose a new one (reset) -------------------

def _password_page(raw: str, purpose: str):
    try:
        token = portal_access.find_link(raw, purpose)
    except LinkError as error:
        status = 404 if error.reason == "unknown" else 410
        return render_template("portal/link_problem.html", reason=error.reason, purpose=purpose), status
    form = SetPasswordForm(email=token.account.email)
    if form.validate_on_submit():
        try:
            portal_access.use_link(token, form.password.data)
        except LinkError as error:
            db.session.rollback()
            return render_template("portal/link_problem.html", reason=error.reason, purpose=purpose), 410
        db.session.commit()
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for(".login"), code=303)
    status = 422 if form.errors else 200
    return render_template("portal/set_password.html", form=form, account=token.account, purpose=purpose), status


@bp.route("/set-password/<raw>", methods=["GET", "POST"])
def set_password(raw: str):
    return _password_page(raw, "invite")


@bp.route("/reset/<raw>", methods=["GET", "POST"])
def reset(raw: str):
    return _password_page(raw, "reset")


def _reset_email_key() -> str:
    return "portal-reset:" + email_key(request.form.get("email", "").strip())


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per hour", key_func=_reset_email_key, methods=["POST"])
@limiter.limit("20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        portal_access.request_reset(form.email.data)
        db.session.commit()
        flash(RESET_SENT, "info")
        return redirect(url_for(".login"), code=303)
    status = 422 if form.errors else 200
    return render_template("portal/forgot_password.html", form=form), status
