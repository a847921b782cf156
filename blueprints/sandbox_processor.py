"""The sandbox processor's hosted forms, under /sandbox-processor/ (it stands for the processor's
own domain): a card form and a bank account form.

They are registered only while the sandbox is the gateway (blueprints.PROCESSOR_PAGES). The
app links here with `return_to`, a path on the app; the form takes the details, the sandbox
turns them into a token, and the payer goes back to `return_to` with `?token=…`. The app's own
routes never receive a card or an account number, and these pages never show one again: a
refused form asks for the number anew, with the processor's message beside it.
"""

from flask import Blueprint, abort, current_app, render_template, request, url_for

from blueprints.blur import CheckUrls, answer_check
from blueprints.payment_method_flow import back_with_token
from forms.sandbox_processor import BankForm, CardForm, bank_country
from payments import gateway_for
from payments.sandbox import DetailsRefused
from request_input import safe_next

bp = Blueprint("sandbox_processor", __name__, url_prefix="/sandbox-processor")


def add_links(return_to: str) -> list[tuple[str, str]]:
    """The links to the forms, each coming back to return_to (blueprints.PROCESSOR_PAGES)."""
    return [("Add a card", url_for("sandbox_processor.card", return_to=return_to)),
            ("Add a bank account", url_for("sandbox_processor.bank", return_to=return_to))]


def _return_to(form) -> str:
    """The app's path the payer came from; a processor refuses a form without a valid one."""
    target = form.return_to.data if request.method == "POST" else safe_next(request.args.get("return_to"), "")
    if not target:
        abort(400, "The form was opened without a valid return address on the app.")
    form.return_to.data = target
    return target


def _refused(form, refused: DetailsRefused) -> None:
    """The processor's refusal, each message by its field (or the first field, if it has none)."""
    for field, message in refused.errors.items():
        target = form._fields.get(field) or next(iter(form))
        target.errors = [message]


@bp.route("/card", methods=["GET", "POST"])
def card():
    form = CardForm()
    return_to = _return_to(form)
    if request.method == "POST" and form.validate():
        try:
            method = gateway_for(current_app).tokenize_card(
                number=request.form.get("number", ""), exp_month=request.form.get("exp_month", ""),
                exp_year=request.form.get("exp_year", ""), cvc=request.form.get("cvc", ""),
                name=request.form.get("name", ""))
        except DetailsRefused as refused:
            _refused(form, refused)
        else:
            return back_with_token(return_to, method.token)
    status = 422 if form.errors else 200
    return render_template("sandbox_processor/card.html", form=form, return_to=return_to,
                           check_url=CheckUrls("sandbox_processor.check_card")), status


@bp.route("/bank", methods=["GET", "POST"])
def bank():
    country = bank_country(request.values.get("country"))
    form = BankForm(country=country)
    return_to = _return_to(form)
    if request.method == "POST" and form.validate():
        try:
            method = gateway_for(current_app).tokenize_bank(
                country=country, account_number=request.form.get("account_number", ""),
                account_holder=request.form.get("account_holder", ""),
                routing_number=request.form.get("routing_number", ""),
                institution_number=request.form.get("institution_number", ""),
                transit_number=request.form.get("transit_number", ""),
                # Submitting a US form accepts the ACH authorization it shows; Canada's box was ticked.
                mandate_accepted=country == "US" or form.pad_agreement.data)
        except DetailsRefused as refused:
            _refused(form, refused)
        else:
            return back_with_token(return_to, method.token)
    status = 422 if form.errors else 200
    return render_template("sandbox_processor/bank.html", form=form, return_to=return_to, country=country,
                           check_url=CheckUrls("sandbox_processor.check_bank")), status


@bp.post("/card/check/<name>")
def check_card(name: str):
    return answer_check(CardForm, name, CheckUrls("sandbox_processor.check_card"), "sandbox_processor/_fields.html")


@bp.post("/bank/check/<name>")
def check_bank(name: str):
    def make_form(**kwargs):
        return BankForm(country=bank_country(request.form.get("country")), **kwargs)

    return answer_check(make_form, name, CheckUrls("sandbox_processor.check_bank"), "sandbox_processor/_fields.html")
