"""Add customer: step 1 (details), step 2 (users), Create Customer."""

from flask import Blueprint, render_template

from blueprints.guards import require_staff

bp = Blueprint("onboarding", __name__, url_prefix="/customers/new")
require_staff(bp)


@bp.route("", methods=["GET", "POST"])
def details():
    return render_template("onboarding/details.html")
