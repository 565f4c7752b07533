"""Model code runs within a budget: a looping or greedy model stops its own case in error, in a web request and
in the worker, and everything else goes on (issue: hostile models)."""

import time

import pytest
import sqlalchemy as sa

from tests.conftest import let_time_pass
from tests.poisons import BUDGET_POISONS, BY_HAND, BY_TIMER, DATA_POISONS, DMN, poisoned_bpmn, script
from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.queries import open_tasks
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db


@pytest.fixture
def small_budget(app, monkeypatch):
    monkeypatch.setitem(app.config, "MODEL_CPU_SECONDS", 0.5)
    monkeypatch.setitem(app.config, "MODEL_MEMORY_MB", 128)


@pytest.fixture
def deploy_poison(deploy, small_budget):
    def factory(poison, first=BY_HAND, pid="poisoned"):
        deploy(sources={f"{pid}.bpmn": poisoned_bpmn(pid, poison, first), "looping.dmn": DMN})
        return pid

    return factory


def _instance(case):
    db.session.expire_all()
    return db.session.get(ProcessInstance, case.instance_id)


def _assert_in_repair(client_as, create_user, instance, expected):
    assert instance.status == "error", instance.error_message
    assert expected.lower() in instance.error_message.lower()
    create_user("root", roles=("admin",), org="weifang")
    listed = client_as("root").get("/admin/repair").get_data(as_text=True)
    assert f"/admin/repair/{instance.id}" in listed


@pytest.mark.parametrize("name", sorted(BUDGET_POISONS) + sorted(DATA_POISONS))
def test_a_poisoned_step_in_a_web_request_stops_its_case_in_error(
    name, deploy_poison, create_case, create_user, client_as
):
    poison, expected = BUDGET_POISONS.get(name) or DATA_POISONS[name]
    pid = deploy_poison(poison)
    case = create_case(pid)
    [task] = open_tasks(case.instance_id)
    create_user("handler", roles=("clerk",), org="kuiwen")
    started = time.monotonic()
    response = client_as("handler").post(f"/tasks/{task.id}", data={}, follow_redirects=True)
    assert time.monotonic() - started < 10
    # refused (409: the step could not be saved, so neither was the completion) or saved with the failing task
    # in error (SpiffWorkflow's own errors): either way the person is told and the case waits for an admin
    assert response.status_code in (200, 409)
    assert "等待管理员处理" in response.get_data(as_text=True)
    instance = _instance(case)
    _assert_in_repair(client_as, create_user, instance, expected)
    open_ids = [t.bpmn_id for t in open_tasks(instance.id)]
    assert open_ids == (["first"] if response.status_code == 409 else [])


@pytest.mark.parametrize("name", sorted(BUDGET_POISONS) + sorted(DATA_POISONS))
def test_a_poisoned_step_in_the_worker_stops_its_case_and_the_worker_goes_on(
    name, deploy_poison, deploy, create_case, create_user, client_as
):
    poison, expected = BUDGET_POISONS.get(name) or DATA_POISONS[name]
    pid = deploy_poison(poison, first=BY_TIMER)
    deploy("timer_then_script.bpmn")
    bad = create_case(pid)
    good = create_case("timer_then_script", {"total": 10, "parts": 2})
    let_time_pass(0.2)
    started = time.monotonic()
    counts = run_worker_pass()
    assert time.monotonic() - started < 10
    assert counts["instances"] == 2
    assert [t.bpmn_id for t in open_tasks(good.instance_id)] == ["check"]  # the other case's due timer fired
    _assert_in_repair(client_as, create_user, _instance(bad), expected)
    assert run_worker_pass()["instances"] == 0  # not fired again and again


def test_ordinary_scripts_keep_working_within_the_budget(deploy_poison, create_case, client_as, create_user):
    pid = deploy_poison(
        script(
            "total = sum(n * n for n in range(1000))\ndef double(n):\n    return 2 * n\n"
            "doubled = [double(n) for n in [1, 2, 3]]\nlabel = f'{total}'\nwidth = 'x' * 10"
        )
    )
    case = create_case(pid)
    [task] = open_tasks(case.instance_id)
    create_user("handler", roles=("clerk",), org="kuiwen")
    assert client_as("handler").post(f"/tasks/{task.id}", data={}).status_code == 302
    assert _instance(case).status == "running"
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["after"]


def test_a_start_whose_first_step_fails_stores_nothing(deploy_poison, create_case):
    from workflow_app.cases.models import Case
    from workflow_app.core.errors import ConflictError

    pid = deploy_poison(
        script("numbers = (n for n in [1])"),
        first=script("x = 1")
        .replace('id="poison"', 'id="first"')
        .replace("f2</bpmn:incoming>", "f1</bpmn:incoming>")
        .replace(">f3<", ">f2<"),
    )
    with pytest.raises(ConflictError, match="generator"):
        create_case(pid)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_an_admin_cancels_a_case_whose_step_is_looping(app, deploy_poison, create_case, create_user, monkeypatch):
    """The looping step holds the case's row lock (PostgreSQL) only until its budget ends; the cancel then wins."""
    import threading

    from workflow_app.engine.operations import cancel_instance, complete_task

    monkeypatch.setitem(app.config, "MODEL_CPU_SECONDS", 1.5)
    pid = deploy_poison(script("while True:\n    pass"))
    case = create_case(pid)
    [task] = open_tasks(case.instance_id)
    admin = create_user("root", roles=("admin",), org="weifang")
    looping_started = threading.Event()
    outcome = {}

    def complete():
        with app.app_context():
            looping_started.set()
            try:
                complete_task(task.id, {}, None)
            except Exception as exc:  # collected and asserted below
                outcome["completion"] = exc
            finally:
                db.session.remove()

    thread = threading.Thread(target=complete)
    thread.start()
    looping_started.wait()
    time.sleep(0.3)  # the completion holds the lock and loops
    started = time.monotonic()
    cancel_instance(case.instance_id, "模型死循环", admin.id)
    db.session.commit()
    waited = time.monotonic() - started
    thread.join(10)
    assert waited < 10
    # PostgreSQL: the cancel waited for the step, which stopped the case in error; SQLite: the cancel wrote first and
    # the step's write lost (a conflict)
    from workflow_app.core.errors import ConflictError

    assert outcome.get("completion") is None or isinstance(outcome["completion"], ConflictError)
    assert _instance(case).status == "cancelled"


def test_an_admins_retry_of_a_poisoned_case_stops_it_again_with_the_reason(
    deploy_poison, create_case, create_user, client_as
):
    pid = deploy_poison(DATA_POISONS["bytes left in data"][0], first=BY_TIMER)
    case = create_case(pid)
    let_time_pass(0.2)
    run_worker_pass()
    assert _instance(case).status == "error"
    create_user("root", roles=("admin",), org="weifang")
    admin = client_as("root")
    retried = admin.post(f"/admin/repair/{case.instance_id}/retry", data={"data_fix": ""}, follow_redirects=True)
    assert retried.status_code == 200  # the due timer fired again in the retry, and the step failed again
    instance = _instance(case)
    assert instance.status == "error" and "bytes" in instance.error_message
    from workflow_app.engine.models import AuditEvent

    kinds = db.session.scalars(
        sa.select(AuditEvent.kind).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id)
    ).all()
    assert kinds.count("instance_error") == 2  # the retry itself went with its rolled-back step
