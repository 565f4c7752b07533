"""Reads for the administration pages: process versions, stopped cases, pages of results."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, undefer

from workflow_app.auth.models import User
from workflow_app.cases.models import Case
from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion
from workflow_app.extensions import db


@dataclass
class StoppedCase:
    """A process instance in error or suspended, with its case number and since when."""

    instance: ProcessInstance
    case_number: str | None
    case_title: str | None
    since: object


def list_process_versions() -> list[tuple[ProcessVersion, User | None]]:
    """Return every version of every process (newest version first) with who deployed it."""
    deployer = aliased(User)
    rows = db.session.execute(
        sa.select(ProcessVersion, deployer).outerjoin(deployer, deployer.id == ProcessVersion.deployed_by_id)
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc()))
    return [(version, user) for version, user in rows]


def get_process_version_with_files(version_id: int) -> ProcessVersion | None:
    return db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.id == version_id)
                             .options(undefer(ProcessVersion.files)))


def count_processes() -> int:
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(ProcessVersion.process_id))))


def stopped_cases(status: str) -> list[StoppedCase]:
    """Return the instances with `status` (error or suspended), longest stopped first."""
    since = (sa.select(AuditEvent.instance_id, sa.func.max(AuditEvent.at).label("since"))
             .where(AuditEvent.kind == f"instance_{status}").group_by(AuditEvent.instance_id).subquery())
    rows = db.session.execute(
        sa.select(ProcessInstance, Case.number, Case.title, since.c.since)
        .outerjoin(Case, Case.instance_id == ProcessInstance.id)
        .outerjoin(since, since.c.instance_id == ProcessInstance.id)
        .where(ProcessInstance.status == status)
        .order_by(since.c.since, ProcessInstance.id))
    return [StoppedCase(instance, number, title, when or instance.updated_at) for instance, number, title, when in rows]


def count_instances_with_status(status: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)
                             .where(ProcessInstance.status == status))


def case_of_instance(instance_id: int) -> Case | None:
    return db.session.scalar(sa.select(Case).where(Case.instance_id == instance_id))
