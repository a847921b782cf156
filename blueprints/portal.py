"""The customer portal: its own sign-in, set-password and reset links, and the company's home."""

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select, update

from extensions import db
from forms.portal import ChooseCompanyForm, PortalSignInForm
from models import AccessToken, Customer, CustomerUser, PortalAccount
from models._time import utcnow
from password_pages import PasswordPages, add_password_routes
from request_input import int_value
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
    """The signed-in portal login, its companies and the one chosen (the portal shows its invoices;
    None for a view that opens any of the login's companies' objects)."""

    account: PortalPrincipal
    memberships: list[CustomerUser]
    membership: CustomerUser | None

    @property
    def customers(self) -> list[Customer]:
        return [membership.customer for membership in self.memberships]

    def membership_for(self, customer_id: int | None) -> CustomerUser:
        """The login's membership of this company: another customer's object is a 404."""
        found = next((m for m in self.memberships if m.customer_id == customer_id), None)
        if found is None:
            abort(404)
        return found


def _in_view(chosen: bool) -> tuple[InView | None, Response | str | None]:
    """(what the view works on, None), or (None, the answer to give instead): sign in; with
    `chosen`, no access, or choose among several companies."""
    account = _portal_account()
    if account is None:
        return None, redirect(url_for("portal.login", next=request.full_path.rstrip("?")))
    memberships = memberships_of(account)
    if not chosen:
        return InView(account, memberships, None), None
    if not memberships:
        return None, render_template("portal/no_access.html", account=account)
    membership = next((m for m in memberships if m.customer_id == session.get(CHOSEN)), None)
    if membership is None:
        if len(memberships) > 1:
            return None, redirect(url_for("portal.choose"))
        membership = memberships[0]
    return InView(account, memberships, membership), None


def portal_view(*, chosen: bool = True):
    """Every signed-in portal view starts here: it gets the InView as its first argument, or the
    request gets _in_view's answer instead. chosen=False: a view of any of the login's companies'
    objects (an emailed invoice link, a receipt), which finds the object and its membership_for."""

    def decorate(view_function):
        @wraps(view_function)
        def view(*args, **kwargs):
            seen, answer = _in_view(chosen)
            if answer is not None:
                return answer
            return view_function(seen, *args, **kwargs)

        return view

    return decorate


def choose_company(customer_id: int) -> None:
    """The portal now shows this company (one of the login's: the caller checked)."""
    session[CHOSEN] = customer_id


@bp.get("")
@portal_view()
def home(view: InView):
    customer = view.membership.customer
    page = render_template("portal/home.html", account=view.account, customer=customer,
                           several=len(view.memberships) > 1, invoices=portal_invoices.summary(customer))
    _record_seen(view.membership)
    return page


@bp.route("/choose", methods=["GET", "POST"])
@portal_view(chosen=False)
def choose(view: InView):
    form = ChooseCompanyForm()
    if form.validate_on_submit():
        choose_company(view.membership_for(int_value(form.customer_id.data, low=1)).customer_id)
        return redirect(url_for(".home"), code=303)
    return render_template("portal/choose.html", memberships=view.memberships, form=form)
