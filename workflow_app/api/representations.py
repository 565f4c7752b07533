"""How cases, tasks and events look in JSON: times in UTC (ISO 8601, "Z"), money and dates as strings."""

from datetime import UTC

from workflow_app.auth.scopes import unit_code
from workflow_app.engine.projections import json_safe
from workflow_app.sla.queries import sla_state


def iso(value):
    """An aware datetime as ISO 8601 in UTC with a Z, or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def _username(user):
    return user.username if user is not None else None


def case_summary(case, instance) -> dict:
    enterprise = case.enterprise
    return {
        "id": case.id,
        "number": case.number,
        "external_ref": case.external_ref,
        "title": case.title,
        "process": case.process_id,
        "status": instance.status,
        "priority": case.priority,
        "org_unit": unit_code(instance.org_unit_id),
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "uscc": enterprise.uscc} if enterprise else None,
        "current_step": instance.current_step,
        "created_at": iso(case.created_at),
        "updated_at": iso(instance.updated_at),
        "finished_at": iso(instance.finished_at),
    }


def task_summary(task, case, now) -> dict:
    return {
        "id": task.id,
        "case_id": case.id,
        "case_number": case.number,
        "name": task.name,
        "step": task.bpmn_id,
        "role": task.role,
        "org_unit": unit_code(task.org_unit_id),
        "assignee": _username(task.assignee),
        "state": task.state,
        "form_key": task.form_key,
        "created_at": iso(task.created_at),
        "due_at": iso(task.due_at),
        "warn_at": iso(task.warn_at),
        "sla_state": sla_state(task, now) or "none",
        "completed_at": iso(task.completed_at),
        "completed_by": _username(task.completed_by),
    }


def audit_entry(event) -> dict:
    return _audit_entry(event.at, event.kind, _username(event.actor), event.task_bpmn_id, event.task_name, event.data)


def audit_row_entry(row: dict, actor_name: str | None) -> dict:
    """An audit row as a step recorded it (engine.step.Step.audit_rows) with its actor's user name."""
    return _audit_entry(row["at"], row["kind"], actor_name, row["task_bpmn_id"], row["task_name"], row["data"])


def _audit_entry(at, kind, actor_name, step, step_name, data) -> dict:
    return {
        "at": iso(at),
        "kind": kind,
        "actor": actor_name,
        "step": step,
        "step_name": step_name,
        "data": json_safe(data) if data is not None else None,
    }


def comment_entry(comment, for_enterprise: bool = False) -> dict:
    """A comment; `for_enterprise`: without the name of the bureau's author (an enterprise's history names no one)."""
    author = comment.author
    named = not for_enterprise or author.enterprise_id is not None
    return {
        "id": comment.id,
        "case_id": comment.case_id,
        "task_id": comment.task_id,
        "author": _username(author) if named else None,
        "body": comment.body,
        "visibility": comment.visibility,
        "created_at": iso(comment.created_at),
    }


def page_of(page, items) -> dict:
    return {"items": items, "page": page.number, "per_page": page.per_page, "total": page.total}
