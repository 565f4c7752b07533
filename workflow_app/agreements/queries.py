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


def case_agreements(case_id: int) -> list[Agreement]:
    """A case's agreements, newest first (a redrafted schedule leaves the earlier one declined)."""
    return list(db.session.scalars(
        sa.select(Agreement).options(selectinload(Agreement.installments).selectinload(Installment.proof))
        .where(Agreement.case_id == case_id).order_by(Agreement.id.desc())))


def current_agreement(case_id: int) -> Agreement | None:
    """The agreement that counts for a case: the newest one not declined (else the newest)."""
    agreements = case_agreements(case_id)
    return next((a for a in agreements if a.status != "declined"), agreements[0] if agreements else None)


def get_agreement(agreement_id: int) -> Agreement | None:
    return db.session.get(Agreement, agreement_id)


def get_installment(installment_id: int) -> Installment | None:
    return db.session.get(Installment, installment_id)


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
