"""Reads of agreements: a case's agreements, the schedule's states, the fingerprint check."""
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from workflow_app.agreements.models import Agreement, Installment
from workflow_app.agreements.text import text_hash
from workflow_app.cases.models import Case
from workflow_app.extensions import db

# how many days before its due date an unpaid installment is shown as a reminder
REMINDER_DAYS = 15


@dataclass(frozen=True)
class Fingerprint:
    stored: str
    computed: str

    @property
    def matches(self) -> bool:
        return self.stored == self.computed


def fingerprint(agreement: Agreement) -> Fingerprint:
    """The stored SHA-256 of the agreement beside the one computed now from the stored text."""
    return Fingerprint(agreement.text_sha256, text_hash(agreement.text))


def _agreements_of(case_ids) -> list[Agreement]:
    return list(db.session.scalars(
        sa.select(Agreement).options(selectinload(Agreement.installments).selectinload(Installment.proof))
        .where(Agreement.case_id.in_(case_ids)).order_by(Agreement.id.desc())))


def case_agreements(case_id: int) -> list[Agreement]:
    """A case's agreements, newest first (a redrafted schedule leaves the earlier one declined)."""
    return _agreements_of([case_id])


def current_of(agreements: list[Agreement]) -> Agreement | None:
    """Of a case's agreements (newest first), the one that counts: the newest not declined, else the newest."""
    return next((a for a in agreements if a.status != "declined"), agreements[0] if agreements else None)


def current_agreement(case_id: int) -> Agreement | None:
    return current_of(case_agreements(case_id))


def current_agreements(case_ids) -> dict[int, Agreement]:
    """The agreement that counts for each of the cases that has one (one query for them all)."""
    by_case = {}
    for agreement in _agreements_of(case_ids):
        by_case.setdefault(agreement.case_id, []).append(agreement)
    return {case_id: current_of(agreements) for case_id, agreements in by_case.items()}


def get_agreement(agreement_id: int) -> Agreement | None:
    return db.session.get(Agreement, agreement_id)


def next_unpaid(agreement: Agreement) -> Installment | None:
    return next((i for i in agreement.installments if i.paid_on is None), None)


@dataclass(frozen=True)
class Reminder:
    case: Case
    installment: Installment
    overdue: bool


def installment_reminders(enterprise_id: int, today: date) -> list[Reminder]:
    """Unpaid installments of the enterprise's agreements in force that are overdue or due within REMINDER_DAYS."""
    rows = db.session.execute(
        sa.select(Installment, Case).join(Agreement, Agreement.id == Installment.agreement_id)
        .join(Case, Case.id == Agreement.case_id)
        .where(Agreement.enterprise_id == enterprise_id, Agreement.status == "active", Installment.paid_on.is_(None),
               Installment.due_date <= today + timedelta(days=REMINDER_DAYS))
        .order_by(Installment.due_date))
    return [Reminder(case, installment, installment.due_date < today) for installment, case in rows]
