"""Writes of the portal that are the enterprise's own: withdrawing (撤回) an application before it is reviewed.

An enterprise may withdraw an application it made itself while nobody at the agency has taken it up: the case is
running and no staff task of it has been completed, claimed or given to a person (a claim released again counts
too: someone has looked at it). The case is then cancelled (its open tasks leave every inbox, its timers stop),
and its history records who withdrew it, when and why (`application_withdrawn`, beside `instance_cancelled`).
"""

from flask_babel import lazy_gettext as _l

from workflow_app.cases.models import Case
from workflow_app.core.errors import ConflictError, InvalidInput
from workflow_app.core.time import utcnow
from workflow_app.engine.operations import cancel_instance
from workflow_app.engine.projections import record_audit
from workflow_app.portal.queries import WITHDRAWN, withdrawal_refusal

REASON_MAX_CHARS = 500


def withdraw_application(case: Case, user, reason: str = "") -> Case:
    """Withdraw the enterprise's application (see the module's docstring): refused once the agency has taken it up."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_CHARS:
        raise InvalidInput(_l("A reason can have at most %(n)d characters", n=REASON_MAX_CHARS))
    refusal = withdrawal_refusal(case, lock=True)
    if refusal:
        raise ConflictError(refusal)
    now = utcnow()
    record_audit(case.instance, WITHDRAWN, user.id, now, data={"reason": reason} if reason else None)
    cancel_instance(case.instance_id, reason or str(_l("Withdrawn by the enterprise")), user.id)
    return case
