"""Reads for the administration pages: process versions, stopped cases, pages of results."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, undefer

from workflow_app.auth.models import User
from workflow_app.cases.models import Case
from workflow_app.engine.models import AuditEvent, ProcessInstance, ProcessVersion, RetiredProcess
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
        sa.select(ProcessVersion, deployer)
        .outerjoin(deployer, deployer.id == ProcessVersion.deployed_by_id)
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())
    )
    return [(version, user) for version, user in rows]


@dataclass
class ProcessSummary:
    """A deployed process as the administration lists it: its newest version, its unfinished cases and whether it
    is retired (and since when, by whom)."""

    process_id: str
    label: str
    newest_version: int
    unfinished: int
    retired: RetiredProcess | None
    retired_by: User | None


def process_summaries() -> list[ProcessSummary]:
    """Every deployed process, by id, with its newest version, its unfinished cases and its retirement if any."""
    numbers = (
        sa.select(ProcessVersion.process_id, sa.func.max(ProcessVersion.version).label("version"))
        .group_by(ProcessVersion.process_id)
        .subquery()
    )
    newest = db.session.execute(
        sa.select(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.name)
        .join(
            numbers,
            sa.and_(ProcessVersion.process_id == numbers.c.process_id, ProcessVersion.version == numbers.c.version),
        )
        .order_by(ProcessVersion.process_id)
    ).all()
    unfinished = dict(
        db.session.execute(
            sa.select(ProcessInstance.process_id, sa.func.count())
            .where(ProcessInstance.status.in_(("running", "suspended", "error")))
            .group_by(ProcessInstance.process_id)
        ).all()
    )
    retirer = aliased(User)
    retired = {
        row.process_id: (row, user)
        for row, user in db.session.execute(
            sa.select(RetiredProcess, retirer).outerjoin(retirer, retirer.id == RetiredProcess.retired_by_id)
        )
    }
    return [
        ProcessSummary(
            process_id,
            (name or "").strip() or process_id,
            version,
            unfinished.get(process_id, 0),
            *retired.get(process_id, (None, None)),
        )
        for process_id, version, name in newest
    ]


def get_process_version_with_files(version_id: int) -> ProcessVersion | None:
    return db.session.scalar(
        sa.select(ProcessVersion).where(ProcessVersion.id == version_id).options(undefer(ProcessVersion.files))
    )


def previous_version_with_files(version: ProcessVersion) -> ProcessVersion | None:
    """The version of the same process just before `version`, with its files (None for a first version)."""
    return db.session.scalar(
        sa.select(ProcessVersion)
        .where(ProcessVersion.process_id == version.process_id, ProcessVersion.version < version.version)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
        .options(undefer(ProcessVersion.files))
    )


def count_processes() -> int:
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(ProcessVersion.process_id))))


def stopped_cases(status: str) -> list[StoppedCase]:
    """Return the instances with `status` (error or suspended), longest stopped first."""
    since = (
        sa.select(AuditEvent.instance_id, sa.func.max(AuditEvent.at).label("since"))
        .where(AuditEvent.kind == f"instance_{status}")
        .group_by(AuditEvent.instance_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ProcessInstance, Case.number, Case.title, since.c.since)
        .outerjoin(Case, Case.instance_id == ProcessInstance.id)
        .outerjoin(since, since.c.instance_id == ProcessInstance.id)
        .where(ProcessInstance.status == status)
        .order_by(since.c.since, ProcessInstance.id)
    )
    return [StoppedCase(instance, number, title, when or instance.updated_at) for instance, number, title, when in rows]


def count_instances_with_status(status: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ProcessInstance).where(ProcessInstance.status == status)
    )


def case_of_instance(instance_id: int) -> Case | None:
    return db.session.scalar(sa.select(Case).where(Case.instance_id == instance_id))
