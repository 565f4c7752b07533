"""Reads of agreements: a case's agreements, the schedule's states, the fingerprint check, who may sign, the late
fee of an agreement ended by default."""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from workflow_app.agreements.models import Agreement, Installment
from workflow_app.agreements.text import LATE_FEE_FROM, text_hash
from workflow_app.cases.models import Case
from workflow_app.core.time import local_today
from workflow_app.engine.queries import current_data
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
    return list(
        db.session.scalars(
            sa.select(Agreement)
            .options(selectinload(Agreement.installments).selectinload(Installment.proof))
            .where(Agreement.case_id.in_(case_ids))
            .order_by(Agreement.id.desc())
        )
    )


def case_agreements(case_id: int) -> list[Agreement]:
    """A case's agreements, newest first (a redrafted schedule leaves the earlier one declined)."""
    return _agreements_of([case_id])


def current_of(agreements: list[Agreement]) -> Agreement | None:
    """Of a case's agreements (newest first), the one that counts: the newest not declined, else the newest."""
    return next((a for a in agreements if a.status != "declined"), agreements[0] if agreements else None)


def current_agreement(case_id: int) -> Agreement | None:
    return current_of(case_agreements(case_id))


def case_agreement_values(case, _open_tasks=()) -> dict:
    """What agreements/_case_agreement.html shows of a case: its newest agreement and that one's late fees today."""
    agreement = next(iter(case_agreements(case.id)), None)
    late_fees = agreement_late_fees(agreement, local_today()) if agreement is not None else None
    return {"case_agreement": agreement, "late_fees": late_fees}


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
        sa.select(Installment, Case)
        .join(Agreement, Agreement.id == Installment.agreement_id)
        .join(Case, Case.id == Agreement.case_id)
        .where(
            Agreement.enterprise_id == enterprise_id,
            Agreement.status == "active",
            Installment.paid_on.is_(None),
            Installment.due_date <= today + timedelta(days=REMINDER_DAYS),
        )
        .order_by(Installment.due_date)
    )
    return [Reminder(case, installment, installment.due_date < today) for installment, case in rows]


def _plain_name(name: str) -> str:
    """A person's name as compared: full-width forms folded (NFKC), without spaces, Latin letters in one case."""
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def signer_problem(enterprise, typed_name: str) -> str | None:
    """Why `typed_name` cannot sign for the enterprise (it is not its registered legal representative, or the register
    names none); None when it can."""
    registered = (getattr(enterprise, "legal_representative", None) or "").strip()
    if not registered:
        return _(
            "The register holds no legal representative of %(enterprise)s, so nobody can sign for it yet; ask the "
            "agency to record the legal representative, then sign",
            enterprise=getattr(enterprise, "name", "—"),
        )
    if _plain_name(typed_name) != _plain_name(registered):
        return _(
            "Only the registered legal representative of %(enterprise)s, %(registered)s, can sign; the name typed "
            "(%(typed)s) differs. If the legal representative has changed, ask the agency to update the register "
            "first",
            enterprise=enterprise.name,
            registered=registered,
            typed=typed_name.strip(),
        )
    return None


# ---------------------------------------------------------------------------------------------------------- late fee


@dataclass(frozen=True)
class LateFeeTerms:
    """The late fee (滞纳金) a defaulted agreement owes, as its case's model set it (installment_policy.dmn): a daily
    rate (社会保险法 第八十六条: 0.0005) and what it is counted from (LATE_FEE_FROM)."""

    daily_rate: Decimal
    basis: str

    @property
    def percent(self) -> str:
        """The daily rate as a percentage: 0.0005 → 0.05%."""
        return f"{(self.daily_rate * 100).normalize():f}%"


def late_fee_terms(data) -> LateFeeTerms | None:
    """The terms in a case's data (late_fee_daily_rate, late_fee_basis); None when its model set none that can be used
    (a case of a version from before the model said them)."""
    try:
        rate = Decimal(str(data.get("late_fee_daily_rate")))
    except (InvalidOperation, ValueError):
        return None
    basis = data.get("late_fee_basis")
    if not rate.is_finite() or rate <= 0 or basis not in LATE_FEE_FROM:
        return None
    return LateFeeTerms(rate, basis)


@dataclass(frozen=True)
class LateFeeLine:
    installment: Installment
    since: date  # the first day counted
    days: int
    fee_fen: int


@dataclass(frozen=True)
class LateFeeStatement:
    terms: LateFeeTerms
    as_of: date
    lines: list

    @property
    def total_fen(self) -> int:
        return sum(line.fee_fen for line in self.lines)

    @property
    def unpaid_fen(self) -> int:
        return sum(line.installment.amount_fen for line in self.lines)


def late_fee_statement(agreement: Agreement, data, as_of: date) -> LateFeeStatement | None:
    """The late fee an agreement ended by default owes on `as_of`, by the terms in its case's data: for each unpaid
    installment, its amount x the daily rate x the days from the day after its due date (or after the deferral's end,
    by the terms' basis) to `as_of`, rounded half up to the fen per installment. None for an agreement not ended by
    default, or when the case's model set no terms."""
    if agreement.status != "defaulted":
        return None
    terms = late_fee_terms(data)
    if terms is None:
        return None
    deferral_end = data.get("deferral_end_date")
    lines = []
    for installment in agreement.installments:
        if installment.paid_on is not None:
            continue
        start = installment.due_date
        if terms.basis == "deferral_end_date" and deferral_end:
            start = date.fromisoformat(str(deferral_end)[:10])
        days = max((as_of - start).days, 0)
        fee = (Decimal(installment.amount_fen) * terms.daily_rate * days).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        lines.append(LateFeeLine(installment, start + timedelta(days=1), days, int(fee)))
    return LateFeeStatement(terms, as_of, lines)


def agreement_late_fees(agreement: Agreement, as_of: date) -> LateFeeStatement | None:
    """late_fee_statement with the data of the agreement's case (read only for an agreement ended by default)."""
    if agreement.status != "defaulted":
        return None
    case = db.session.get(Case, agreement.case_id)
    return late_fee_statement(agreement, current_data(case.instance), as_of)
