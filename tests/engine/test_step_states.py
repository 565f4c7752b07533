"""The steps a case page marks done and active, read from the stored state without restoring the workflow."""

import json

from SpiffWorkflow.util.task import TaskState

from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.operations import complete_task
from workflow_app.engine.queries import open_tasks, step_states
from workflow_app.engine.serialization import SERIALIZER, load_workflow
from workflow_app.extensions import db


def restored_step_states(instance):
    """The same answer from the workflow SpiffWorkflow restores (what the page did before)."""
    version = instance.process_version
    workflow = load_workflow(instance.state_json, version.sha256, lambda: version.spec_json)
    done, active = set(), set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id or task.workflow is not workflow:
            continue
        if task.has_state(TaskState.COMPLETED):
            done.add(bpmn_id)
        elif task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR):
            active.add(bpmn_id)
    return {"done": sorted(done - active), "active": sorted(active)}


def test_the_steps_follow_a_case_through_a_parallel_split_and_join(deploy, create_case, user, check_round_trip):
    deploy("parallel_gateway.bpmn")
    case = create_case("parallel_gateway")
    instance = db.session.get(ProcessInstance, case.instance_id)
    first = step_states(instance)
    assert set(first["active"]) == {"a", "b"}
    assert first == restored_step_states(instance)
    [branch_a] = [t for t in open_tasks(case.instance_id) if t.bpmn_id == "a"]
    complete_task(branch_a.id, {}, user.id)
    db.session.commit()
    check_round_trip(case.instance_id)
    instance = db.session.get(ProcessInstance, case.instance_id)
    after = step_states(instance)
    assert "a" in after["done"] and after["active"] == ["b", "join"]  # the join waits for branch B
    assert after == restored_step_states(instance)


def test_a_called_process_s_steps_are_not_the_parents(deploy, create_case):
    deploy("call_activity.bpmn", "child_process.bpmn")
    case = create_case("call_activity")
    instance = db.session.get(ProcessInstance, case.instance_id)
    states = step_states(instance)
    assert "call_child" in states["active"] and "inside" not in states["active"] + states["done"]
    assert states == restored_step_states(instance)


def test_a_state_in_an_older_format_is_restored_by_the_library(deploy, create_case):
    deploy("parallel_gateway.bpmn")
    case = create_case("parallel_gateway")
    instance = db.session.get(ProcessInstance, case.instance_id)
    expected = step_states(instance)
    state = json.loads(instance.state_json)
    state[SERIALIZER.VERSION_KEY] = "1.0"  # a version the fast read does not know
    instance.state_json = json.dumps(state)
    assert step_states(instance) == expected
    db.session.rollback()
