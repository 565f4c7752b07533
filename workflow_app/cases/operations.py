"""Writes: start a case (a numbered record over a new process instance)."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from workflow_app.cases.models import PRIORITIES, Case, CaseNumberSequence
from workflow_app.core.errors import InvalidInput
from workflow_app.core.time import SHANGHAI, utcnow
from workflow_app.engine.operations import start_instance
from workflow_app.extensions import db

# Case number prefixes of the bureau's processes; any other process gets AJ (案件).
CASE_PREFIXES = {"referral": "ZB", "installment_agreement": "FQ", "loan_extension": "ZQ", "health_check": "TJ"}


def next_case_number(process_id: str, now=None) -> str:
    """Return the next number in the process's yearly sequence (row-locked, so no duplicates)."""
    prefix = CASE_PREFIXES.get(process_id, "AJ")
    year = (now or utcnow()).astimezone(SHANGHAI).year
    key = {"prefix": prefix, "year": year}
    sequence = db.session.scalar(sa.select(CaseNumberSequence).filter_by(**key).with_for_update())
    if sequence is None:
        sequence = CaseNumberSequence(**key, last_value=0)
        db.session.add(sequence)
    sequence.last_value += 1
    return f"{prefix}-{year}-{sequence.last_value:06d}"


def start_case(process_id: str, data: dict, org_unit_id: int, actor_id: int | None, title: str,
               enterprise_id: int | None = None, priority: str = "normal") -> Case:
    """Start a process and record the case that tracks it."""
    if priority not in PRIORITIES:
        raise InvalidInput(_l("Unknown priority '%(p)s'", p=priority))
    if not (title or "").strip():
        raise InvalidInput(_l("A case needs a title"))
    number = next_case_number(process_id)
    instance_data = {"case_number": number, "priority": priority, **data}
    instance = start_instance(process_id, instance_data, org_unit_id, actor_id)
    case = Case(number=number, instance_id=instance.id, process_id=process_id, enterprise_id=enterprise_id,
                title=title.strip()[:300], priority=priority, created_by_id=actor_id)
    db.session.add(case)
    db.session.flush()
    return case
