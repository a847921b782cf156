"""The customer portal: its own sign-in, set-password and reset links, and the company's home."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select, update

from extensions import db, limiter
from forms.portal import ChooseCompanyForm, ForgotPasswordForm, PortalSignInForm, SetPasswordForm
from keys import email_key
from models import Customer, CustomerUser, PortalAccount
from models._time import utcnow
from services import portal_access
from services.portal_access import LinkError
from sign_in import failure_limits, sign_in_page, sign_out
from unit_of_work import unit_of_work

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


# -- sign in and out ---------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@failure_limits("portal")
def login():
    if _portal_account() is not None:
        return redirect(url_for(".home"))
    return sign_in_page(PortalAccount, PortalSignInForm(), "portal/login.html", url_for(".home"))


@bp.post("/logout")
def logout():
    sign_out()
    return redirect(url_for(".login"), code=303)


# -- the company's home ----------------------------------------------------------

def _memberships(account: PortalAccount) -> list[CustomerUser]:
    """The login's companies, at every partner that invited it."""
    return db.session.scalars(
        select(CustomerUser).join(Customer)
        .where(CustomerUser.portal_account_id == account.id, Customer.archived_at.is_(None))
        .order_by(Customer.company_sort, Customer.id)
    ).all()


def _record_seen(membership: CustomerUser) -> None:
    """The portal showed this company to its user: the partner's Users tab says Active
    (bookkeeping on a GET: idempotent, and never on HEAD)."""
    if request.method != "GET":
        return
    now = utcnow()
    with unit_of_work():
        db.session.execute(
            update(CustomerUser).where(CustomerUser.id == membership.id)
            .values(portal_last_seen_at=now,
                    portal_first_seen_at=db.func.coalesce(CustomerUser.portal_first_seen_at, now)),
            execution_options={"synchronize_session": False},
        )


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
    page = render_template("portal/home.html", account=account, customer=membership.customer,
                           several=len(memberships) > 1)
    _record_seen(membership)
    return page


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
# The emailed link's page checks the token, moves it into the session and redirects at once
# to the same page without it, so the token never stays in the address bar, the history or
# an access log (as Django's PasswordResetConfirmView does). The form posts to that page.

LINK = "portal_link"  # [purpose, raw token] of the link being used


def _link_problem(reason: str, purpose: str):
    status = 404 if reason == "unknown" else 410
    return render_template("portal/link_problem.html", reason=reason, purpose=purpose), status


def _open_link(raw: str, purpose: str, endpoint: str):
    try:
        portal_access.find_link(raw, purpose)
    except LinkError as error:
        return _link_problem(error.reason, purpose)
    session[LINK] = [purpose, raw]
    return redirect(url_for(endpoint), code=303)


def _password_page(purpose: str):
    stored = session.get(LINK)
    raw = stored[1] if isinstance(stored, list) and len(stored) == 2 and stored[0] == purpose else ""
    try:
        token = portal_access.find_link(raw, purpose)
    except LinkError as error:
        return _link_problem(error.reason, purpose)
    form = SetPasswordForm(email=token.account.email)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                portal_access.use_link(token, form.password.data)
        except LinkError as error:
            return _link_problem(error.reason, purpose)
        session.pop(LINK, None)
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for(".login"), code=303)
    status = 422 if form.errors else 200
    return render_template("portal/set_password.html", form=form, account=token.account, purpose=purpose), status


@bp.get("/set-password/<raw>")
def open_invitation(raw: str):
    return _open_link(raw, "invite", ".set_password")


@bp.route("/set-password", methods=["GET", "POST"])
def set_password():
    return _password_page("invite")


@bp.get("/reset/<raw>")
def open_reset(raw: str):
    return _open_link(raw, "reset", ".reset")


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    return _password_page("reset")


def _reset_email_key() -> str:
    return "portal-reset:" + email_key(request.form.get("email", "").strip())


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per hour", key_func=_reset_email_key, methods=["POST"])
@limiter.limit("20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with unit_of_work():
            portal_access.request_reset(form.email.data)
        flash(RESET_SENT, "info")
        return redirect(url_for(".login"), code=303)
    status = 422 if form.errors else 200
    return render_template("portal/forgot_password.html", form=form), status
