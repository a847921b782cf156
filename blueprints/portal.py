"""The customer portal: its own sign-in, set-password and reset links, and the company's home."""

from dataclasses import dataclass

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select, update

from extensions import db
from forms.portal import ChooseCompanyForm, PortalSignInForm
from models import AccessToken, Customer, CustomerUser, PortalAccount
from models._time import utcnow
from password_pages import PasswordPages, add_password_routes
from services import portal_access, portal_invoices
from sign_in import PortalPrincipal, failure_limits, sign_in_page, sign_out
from unit_of_work import unit_of_work

bp = Blueprint("portal", __name__, url_prefix="/portal")

CHOSEN = "portal_customer_id"
PASSWORD_PAGES = PasswordPages(
    name="portal", links=AccessToken, layout="portal/_card.html",
    login_endpoint="portal.login", forgot_endpoint="portal.forgot_password",
    request_reset=portal_access.request_reset,
    sent_message=("If that email address has a portal login, we have sent it a link to choose a new "
                  "password. Check your inbox."),
    other_way="or ask the company that invited you to send the invitation again",
)
# /portal/forgot-password, and the emailed /portal/reset/<token> and /portal/set-password/<token>
add_password_routes(bp, PASSWORD_PAGES, invitations=True)


def _portal_account() -> PortalPrincipal | None:
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return user if isinstance(user, PortalPrincipal) else None


def require_account():
    account = _portal_account()
    if account is None:
        return None, redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
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

def memberships_of(account: PortalPrincipal) -> list[CustomerUser]:
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


@dataclass(frozen=True)
class InView:
    """The signed-in portal login, its companies and the one chosen (the portal shows its invoices)."""

    account: PortalPrincipal
    memberships: list[CustomerUser]
    membership: CustomerUser


def company_in_view() -> tuple[InView | None, Response | str | None]:
    """(what the portal shows, None), or (None, the answer to give instead): sign in, no
    access, or choose among several companies."""
    account, redirect_ = require_account()
    if redirect_:
        return None, redirect_
    memberships = memberships_of(account)
    if not memberships:
        return None, render_template("portal/no_access.html", account=account)
    chosen = session.get(CHOSEN)
    membership = next((m for m in memberships if m.customer_id == chosen), None)
    if membership is None:
        if len(memberships) > 1:
            return None, redirect(url_for("portal.choose"))
        membership = memberships[0]
    return InView(account, memberships, membership), None


def choose_company(customer_id: int) -> None:
    """The portal now shows this company (one of the login's: the caller checked)."""
    session[CHOSEN] = customer_id


@bp.get("")
def home():
    view, answer = company_in_view()
    if answer is not None:
        return answer
    customer = view.membership.customer
    page = render_template("portal/home.html", account=view.account, customer=customer,
                           several=len(view.memberships) > 1, invoices=portal_invoices.summary(customer))
    _record_seen(view.membership)
    return page


@bp.route("/choose", methods=["GET", "POST"])
def choose():
    account, redirect_ = require_account()
    if redirect_:
        return redirect_
    memberships = memberships_of(account)
    form = ChooseCompanyForm()
    if form.validate_on_submit():
        chosen = next((m for m in memberships if str(m.customer_id) == form.customer_id.data), None)
        if chosen is None:
            abort(404)
        choose_company(chosen.customer_id)
        return redirect(url_for(".home"), code=303)
    return render_template("portal/choose.html", memberships=memberships, form=form)
