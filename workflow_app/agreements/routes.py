"""An agreement's full text (printable) and its fingerprint check, for its enterprise and the staff of its case."""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from workflow_app.agreements.queries import agreement_late_fees, fingerprint, get_agreement
from workflow_app.cases.queries import visible_case
from workflow_app.core.time import local_today

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


def _visible_agreement(agreement_id):
    agreement = get_agreement(agreement_id) or abort(404)
    case = visible_case(current_user, agreement.case_id) or abort(404)
    return agreement, case


@bp.route("/<int:agreement_id>")
@login_required
def agreement_page(agreement_id):
    agreement, case = _visible_agreement(agreement_id)
    today = local_today()
    return render_template(
        "agreements/agreement.html",
        agreement=agreement,
        case=case,
        today=today,
        late_fees=agreement_late_fees(agreement, today),
    )


@bp.route("/<int:agreement_id>/verify")
@login_required
def verify(agreement_id):
    agreement, case = _visible_agreement(agreement_id)
    return render_template("agreements/verify.html", agreement=agreement, case=case, check=fingerprint(agreement))
