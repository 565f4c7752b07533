"""Reads of the portal: only the signed-in enterprise's own cases, tasks, agreements and files."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from forms.schema_html import describe_values
from workflow_app.agreements.models import Agreement, Installment
from workflow_app.agreements.queries import current_agreements, next_unpaid
from workflow_app.auth.models import User
from workflow_app.cases.models import SHARED, Attachment, Case
from workflow_app.cases.permissions import ENTERPRISE_ROLE
from workflow_app.cases.schema_tasks import start_schema_form
from workflow_app.core.money import format_yuan
from workflow_app.core.pagination import paginate
from workflow_app.core.time import format_local
from workflow_app.engine.models import AuditEvent, ProcessInstance, Task
from workflow_app.engine.process_facts import (
    PORTAL_OUTCOME,
    PORTAL_TODO,
    PORTAL_WAITING,
    render_text,
    template_reads_data,
)
from workflow_app.engine.queries import current_data, ended_through, load_stored_workflows, step_properties
from workflow_app.engine.waits import TimerWait, case_waits, timer_waits
from workflow_app.extensions import db


@dataclass
class PortalCase:
    """A case as the enterprise sees it: what it is, where it stands, in words."""

    case: Case
    instance: ProcessInstance
    state: str
    todo: list = field(default_factory=list)  # the enterprise's open tasks
    attention: bool = False  # something waits for the enterprise (or is overdue)


def own_case(user, case_id: int) -> Case | None:
    """The case if it belongs to the user's enterprise (else None: 404)."""
    if user.enterprise_id is None:
        return None
    return db.session.scalar(sa.select(Case).where(Case.id == case_id, Case.enterprise_id == user.enterprise_id))


def own_task(user, task_id: int) -> Task | None:
    """An enterprise-lane task of one of the enterprise's cases (else None: 404)."""
    found = own_task_and_case(user, task_id)
    return found[0] if found else None


def own_task_and_case(user, task_id: int) -> tuple[Task, Case] | None:
    """An enterprise-lane task of one of the enterprise's cases, and that case (else None: 404)."""
    if user.enterprise_id is None:
        return None
    found = db.session.execute(
        sa.select(Task, Case)
        .join(Case, Case.instance_id == Task.instance_id)
        .where(Task.id == task_id, Task.role == ENTERPRISE_ROLE, Case.enterprise_id == user.enterprise_id)
    ).first()
    return tuple(found) if found else None


def own_installment(user, installment_id: int) -> Installment | None:
    if user.enterprise_id is None:
        return None
    return db.session.scalar(
        sa.select(Installment)
        .join(Agreement, Agreement.id == Installment.agreement_id)
        .where(Installment.id == installment_id, Agreement.enterprise_id == user.enterprise_id)
    )


def own_attachment(user, attachment_id: int) -> Attachment | None:
    """A file of one of the enterprise's cases that is shared with it (else None: 404); its own are all shared."""
    if user.enterprise_id is None:
        return None
    return db.session.scalar(
        sa.select(Attachment)
        .join(Case, Case.id == Attachment.case_id)
        .where(
            Attachment.id == attachment_id, Case.enterprise_id == user.enterprise_id, Attachment.visibility == SHARED
        )
    )


def open_tasks_by_instance(instance_ids) -> dict[int, list[Task]]:
    """The open tasks of the instances (the enterprise's and the agency's), by instance, in one query."""
    found = {}
    if not instance_ids:
        return found
    for task in db.session.scalars(
        sa.select(Task).where(Task.instance_id.in_(instance_ids), Task.state == "open").order_by(Task.id)
    ):
        found.setdefault(task.instance_id, []).append(task)
    return found


def enterprise_open_tasks(user, page: int = 1, per_page: int = 25):
    """A page of (Task, Case) rows: the open enterprise-lane tasks of the user's enterprise, oldest first."""
    return paginate(
        sa.select(Task, Case)
        .join(Case, Case.instance_id == Task.instance_id)
        .where(
            Task.state == "open",
            Task.role == ENTERPRISE_ROLE,
            Case.enterprise_id == user.enterprise_id if user.enterprise_id is not None else sa.false(),
        )
        .order_by(Task.id),
        page,
        per_page,
    )


def enterprise_todo(open_tasks: list[Task]) -> list[Task]:
    """Of a case's open tasks, those that wait for the enterprise."""
    return [task for task in open_tasks if task.role == ENTERPRISE_ROLE]


def _words_of_open_tasks(instance: ProcessInstance, open_tasks: list[Task]) -> tuple[Task, str | None] | None:
    """The open task whose words the portal shows, and its model's template: the enterprise's first task
    (portalTodo), else the first staff task whose model says what the enterprise waits for (portalWaiting)."""
    todo = enterprise_todo(open_tasks)
    if todo:
        return todo[0], step_properties(instance, todo[0].bpmn_id).get(PORTAL_TODO) or None
    for task in open_tasks:
        source = step_properties(instance, task.bpmn_id).get(PORTAL_WAITING)
        if source:
            return task, source
    return None


def _needs_data(instance: ProcessInstance, open_tasks: list[Task], waits: list[TimerWait] = ()) -> bool:
    """Whether the words of a case need its data (a workflow load): how it ended, or a template naming data."""
    if instance.status == "completed":
        return True
    found = _words_of_open_tasks(instance, open_tasks)
    if found is None:
        return any(wait.portal_waiting and template_reads_data(wait.portal_waiting) for wait in waits)
    return found[1] is not None and template_reads_data(found[1])


def case_state(
    case: Case,
    instance: ProcessInstance,
    open_tasks: list[Task],
    agreement: Agreement | None,
    data: dict | None,
    today: date,
    waits: list[TimerWait] | None = None,
) -> tuple[str, bool]:
    """The case's state in the enterprise's words, and whether it needs the enterprise's attention.

    The words are the model's (portalTodo of the enterprise's open task, portalWaiting of the staff task it waits
    on, portalOutcome of the end event it ended through) over the case's data; a case with an installment
    agreement in force tells its next installment. A case that waits on a timer alone (`waits`: its timers, read
    here when not given) says until when, in the timer event's portalWaiting or in general words.
    """
    found = _words_of_open_tasks(instance, open_tasks)
    if found is not None and found[0].role == ENTERPRISE_ROLE:
        task, source = found
        text = render_text(source, data) if source else ""
        return text or str(_l("Please complete “%(step)s”", step=task.name)), True
    if instance.status == "cancelled":
        return str(_l("Withdrawn")), False
    if instance.status in ("error", "suspended"):
        return str(_l("On hold at the agency")), False
    if agreement is not None and agreement.status == "active":
        unpaid = next_unpaid(agreement)
        if unpaid is not None:
            words = dict(seq=unpaid.seq, day=unpaid.due_date.isoformat(), amount=format_yuan(unpaid.amount_fen))
            if unpaid.due_date < today:
                return str(_l("Installment %(seq)d (%(amount)s yuan) was due on %(day)s: overdue", **words)), True
            return str(_l("Installment %(seq)d (%(amount)s yuan) due on %(day)s", **words)), False
    if instance.status == "completed":
        return _outcome(instance, data or {}), False
    if found is not None:
        task, source = found
        text = render_text(source, data)
        if text:
            return text, False
    if found is None and instance.status == "running":
        waits = [wait for wait in (case_waits(instance) if waits is None else waits) if not wait.on_task]
        if waits:
            words = render_text(waits[0].portal_waiting, data) if waits[0].portal_waiting else ""
            day = format_local(waits[0].due_at, "%Y-%m-%d")
            return str(
                _l("%(waiting)s (until %(day)s)", waiting=words or _l("Waiting for the next step"), day=day)
            ), False
    return str(_l("Being handled by the agency")), False


def _outcome(instance: ProcessInstance, data: dict) -> str:
    """How a completed case ended: the portalOutcome of the end event it ended through, over its end data."""
    end_event = ended_through(instance)
    source = step_properties(instance, end_event).get(PORTAL_OUTCOME) if end_event else None
    text = render_text(source, data) if source else ""
    if text:
        return text
    return str(_l("Closed"))


def enterprise_cases(enterprise_id: int, today: date) -> list[PortalCase]:
    """The enterprise's cases, newest first, each with its state in words."""
    rows = db.session.execute(
        sa.select(Case, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
        .where(Case.enterprise_id == enterprise_id)
        .order_by(Case.id.desc())
    ).all()
    open_tasks = open_tasks_by_instance([instance.id for _case, instance in rows])
    agreements = current_agreements([case.id for case, _instance in rows])
    # a running case without open tasks waits on a timer: its words say until when
    waits = timer_waits(
        [instance for _case, instance in rows if instance.status == "running" and instance.id not in open_tasks]
    )
    # the data is read only where the words need it (how a case ended, a template naming data): a workflow load
    needing_data = {
        instance.id
        for _case, instance in rows
        if _needs_data(instance, open_tasks.get(instance.id, []), waits.get(instance.id, []))
    }
    load_stored_workflows(needing_data)
    cases = []
    for case, instance in rows:
        tasks = open_tasks.get(instance.id, [])
        state, attention = case_state(
            case,
            instance,
            tasks,
            agreements.get(case.id),
            current_data(instance) if instance.id in needing_data else None,
            today,
            waits.get(instance.id, []),
        )
        cases.append(PortalCase(case, instance, state, enterprise_todo(tasks), attention))
    return cases


def application_values(instance: ProcessInstance, data: dict) -> list[tuple[str, str]]:
    """The case's application as its start form names it: (field's title, value shown) with choices by their titles;
    none for a process whose start has no JSON Schema form."""
    form = start_schema_form(instance.process_version)
    return describe_values(form, data) if form is not None else []


def application_files(case: Case, data: dict, files: list[Attachment]) -> list[Attachment]:
    """Of the case's files the enterprise sees, those it sent with its application: uploaded by the applicant outside
    any step, under a name its start data holds (a start form's file widget keeps the names)."""
    names = {
        item
        for value in (data or {}).values()
        for item in (value if isinstance(value, list) else [value])
        if isinstance(item, str)
    }
    return [f for f in files if f.task_id is None and f.uploaded_by_id == case.created_by_id and f.file_name in names]


def steps_done(instance_id: int) -> list:
    """The case's finished steps, oldest first: (name, when), without the handlers' internal data."""
    return list(
        db.session.execute(
            sa.select(AuditEvent.task_name, AuditEvent.at)
            .where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "task_completed")
            .order_by(AuditEvent.id)
        )
    )


WITHDRAWN = "application_withdrawn"  # the audit event's kind
# audit events that show the agency has taken the application up, whatever became of the task since
TAKEN_UP = ("task_claimed", "task_reassigned")


def withdrawal_refusal(case: Case, lock: bool = False) -> str | None:
    """Why the enterprise cannot withdraw the case now (None: it can); `lock` holds its staff tasks' rows until the
    transaction ends, so that no claim slips in between the check and the withdrawal."""
    instance = case.instance
    if instance.status != "running":
        return str(_l("The case is closed or on hold at the agency; it can no longer be withdrawn"))
    applicant = db.session.get(User, case.created_by_id) if case.created_by_id else None
    if applicant is None or applicant.enterprise_id != case.enterprise_id:
        return str(_l("The agency started this case; only an application the enterprise made can be withdrawn"))
    staff_tasks = sa.select(Task.state, Task.assignee_id).where(
        Task.instance_id == instance.id, Task.role != ENTERPRISE_ROLE
    )
    rows = db.session.execute(staff_tasks.with_for_update() if lock else staff_tasks).all()
    taken_up = any(state == "completed" or assignee_id is not None for state, assignee_id in rows)
    taken_up = taken_up or db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.kind.in_(TAKEN_UP))
    )
    if taken_up:
        return str(_l("The agency has taken up your application; ask it to close the case instead"))
    return None


def withdrawal_of(instance_id: int) -> AuditEvent | None:
    """The enterprise's withdrawal of a case (who, when, why), if it was withdrawn."""
    return db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.kind == WITHDRAWN).limit(1)
    )
