import json

import pytest
import sqlalchemy as sa

from tests.conftest import let_time_pass
from workflow_app.engine.models import ProcessInstance, Task
from workflow_app.engine.projections import ready_human_tasks
from workflow_app.engine.serialization import dump_workflow, load_workflow
from workflow_app.extensions import db


@pytest.fixture
def check_round_trip(app):
    """Reload an instance's stored workflow, save it again and check that nothing changed."""

    def check(instance_id):
        db.session.expire_all()
        instance = db.session.get(ProcessInstance, instance_id)
        version = instance.process_version
        workflow = load_workflow(instance.state_json, version.sha256, lambda: version.spec_json)
        assert json.loads(dump_workflow(workflow)) == json.loads(instance.state_json)
        open_ids = set(
            db.session.scalars(
                sa.select(Task.spiff_task_id).where(Task.instance_id == instance_id, Task.state == "open")
            )
        )
        assert open_ids == {str(t.id) for t in ready_human_tasks(workflow)}
        from workflow_app.engine.queries import instance_inconsistencies

        assert instance_inconsistencies(instance) == []
        return workflow

    return check


@pytest.fixture
def open_task(app):
    """Return the one open task of an instance with the given BPMN id."""

    def find(instance_id, bpmn_id):
        rows = db.session.scalars(
            sa.select(Task).where(Task.instance_id == instance_id, Task.state == "open", Task.bpmn_id == bpmn_id)
        ).all()
        assert len(rows) == 1, f"expected one open task {bpmn_id}, found {len(rows)}"
        return rows[0]

    return find


@pytest.fixture
def open_bpmn_ids(app):
    def ids(instance_id):
        return sorted(
            db.session.scalars(sa.select(Task.bpmn_id).where(Task.instance_id == instance_id, Task.state == "open"))
        )

    return ids


def wait_until_due(seconds):
    let_time_pass(seconds)
