"""Writes of supervision: a supervisor acknowledges a notice with what is being done."""

from flask_babel import lazy_gettext as _l

from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import utcnow
from workflow_app.engine.models import AuditEvent
from workflow_app.extensions import db
from workflow_app.sla.models import SupervisionNotice


def acknowledge_notice(notice: SupervisionNotice, user_id: int, response: str) -> SupervisionNotice:
    """Record that a supervisor has taken up a notice, and what they are doing about it; audited on the case."""
    response = (response or "").strip()
    if not response:
        raise InvalidInput(_l("Say what is being done about the overdue work"))
    if notice.acknowledged_at is not None:
        raise InvalidInput(_l("This notice was already acknowledged"))
    now = utcnow()
    notice.acknowledged_at, notice.acknowledged_by_id, notice.response = now, user_id, response[:2000]
    db.session.add(
        AuditEvent(
            instance_id=notice.instance_id,
            actor_id=user_id,
            kind="notice_acknowledged",
            at=now,
            data={"notice": notice.number, "level": notice.level, "response": notice.response},
        )
    )
    return notice
