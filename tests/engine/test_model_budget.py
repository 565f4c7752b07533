"""Model code runs within a budget: a looping or greedy model stops its own case in error, in a web request and
in the worker, and everything else goes on (issue: hostile models)."""
import time

import pytest
import sqlalchemy as sa

from workflow_app.engine.models import ProcessInstance
from workflow_app.engine.queries import open_tasks
from workflow_app.engine.worker import run_worker_pass
from workflow_app.extensions import db

BPMN = '''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="clerks" name="clerk"><bpmn:flowNodeRef>first</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>after</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {first}
    {poison}
    <bpmn:userTask id="after" name="After"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="poison" />
    <bpmn:sequenceFlow id="f3" sourceRef="poison" targetRef="after" />
    <bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end" />
  </bpmn:process>
  <bpmn:process id="calls_itself" isExecutable="true">
    <bpmn:startEvent id="again_start"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="again" name="Call myself" calledElement="calls_itself"><bpmn:incoming>g1</bpmn:incoming>
      <bpmn:outgoing>g2</bpmn:outgoing></bpmn:callActivity>
    <bpmn:endEvent id="again_end"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="again_start" targetRef="again" />
    <bpmn:sequenceFlow id="g2" sourceRef="again" targetRef="again_end" />
  </bpmn:process>
</bpmn:definitions>'''
# the step before the poison: a person's task (the web request runs the poison) or a short timer (the worker does)
BY_HAND = '<bpmn:userTask id="first" name="Go"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
BY_TIMER = ('<bpmn:intermediateCatchEvent id="first" name="Wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2'
            '</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>"PT0.1S"</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
DMN = '''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="Loop" namespace="n">
  <decision id="looping_decision" name="Loop">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="i1" label="Spin"><inputExpression id="ie1" typeRef="integer"><text>1</text></inputExpression></input>
      <output id="o1" label="Out" name="out" typeRef="string" />
      <rule id="r1"><inputEntry id="r1i"><text>len([x for x in range(10**7) for y in range(10**7)]) &gt; ?</text></inputEntry><outputEntry id="r1o"><text>"done"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>'''


def script(source):
    return (f'<bpmn:scriptTask id="poison" name="Poison"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3'
            f'</bpmn:outgoing><bpmn:script>{source}</bpmn:script></bpmn:scriptTask>')


def timer(expression, kind="timeDuration"):
    return (f'<bpmn:intermediateCatchEvent id="poison" name="Poison"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>'
            f'f3</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:{kind}>{expression}</bpmn:{kind}>'
            f'</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


DECISION = ('<bpmn:businessRuleTask id="poison" name="Poison"><bpmn:extensionElements><spiffworkflow:calledDecisionId>'
            'looping_decision</spiffworkflow:calledDecisionId></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming>'
            '<bpmn:outgoing>f3</bpmn:outgoing></bpmn:businessRuleTask>')
CALL_ITSELF = ('<bpmn:callActivity id="poison" name="Poison" calledElement="calls_itself"><bpmn:incoming>f2'
               '</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:callActivity>')

# Point 1: model code that never ends or takes too much; each ends in error within the budget.
BUDGET_POISONS = {
    "looping script": (script("while True:\n    pass"), "MODEL_CPU_SECONDS"),
    "looping DMN cell": (DECISION, "MODEL_CPU_SECONDS"),
    "looping timer expression": (timer('"PT1H" if [x for x in range(10**7) for y in range(10**7)] else ""'),
                                 "MODEL_CPU_SECONDS"),
    "recursive call activity": (CALL_ITSELF, "MODEL_CPU_SECONDS"),
    "1 GB allocation": (script('blob = "x" * (1024 ** 3)'), "MODEL_MEMORY_MB"),
    # the memory freed by earlier tests may serve it without the process growing: then the data's size stops it
    "growing allocation": (script('chunks = []\nwhile True:\n    chunks.append("x" * 1000000)'), "M"),
    "deep recursion": (script("def down(n):\n    return down(n + 1)\ndown(0)"), "MODEL_CALL_DEPTH"),
}
# Point 2: steps that failed outside SpiffWorkflow's own errors and left cases running with a dead task.
DATA_POISONS = {
    "generator left in data": (script("numbers = (n for n in [1, 2])"), "generator"),
    "bytes left in data": (script('raw = "abc".encode()'), "bytes"),
    "cyclic list": (script("loop = []\nloop.append(loop)"), "TASK_DATA_MAX_DEPTH"),
    "100,000-deep list": (script("deep = []\nfor i in range(100000):\n    deep = [deep]"), "TASK_DATA_MAX_DEPTH"),
    "5,000-digit int": (script("big = 10 ** 5000"), "19"),
    "timer of P99999Y": (timer('"P99999Y"'), "poison"),
    "non-ISO timer": (timer('"next tuesday"'), "poison"),
    "overflowing timer date": (timer('"99999-01-01T00:00:00Z"', "timeDate"), "poison"),
    "script raising SystemExit": (script("raise SystemExit"), "SystemExit"),
    "script raising KeyboardInterrupt": (script("raise KeyboardInterrupt"), "KeyboardInterrupt"),
}


@pytest.fixture
def small_budget(app, monkeypatch):
    monkeypatch.setitem(app.config, "MODEL_CPU_SECONDS", 0.5)
    monkeypatch.setitem(app.config, "MODEL_MEMORY_MB", 128)


@pytest.fixture
def deploy_poison(deploy, small_budget):
    def factory(poison, first=BY_HAND, pid="poisoned"):
        deploy(sources={f"{pid}.bpmn": BPMN.format(pid=pid, first=first, poison=poison), "looping.dmn": DMN})
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
def test_a_poisoned_step_in_a_web_request_stops_its_case_in_error(name, deploy_poison, create_case, create_user,
                                                                   client_as):
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
def test_a_poisoned_step_in_the_worker_stops_its_case_and_the_worker_goes_on(name, deploy_poison, deploy, create_case,
                                                                             create_user, client_as):
    poison, expected = BUDGET_POISONS.get(name) or DATA_POISONS[name]
    pid = deploy_poison(poison, first=BY_TIMER)
    deploy("timer_then_script.bpmn")
    bad = create_case(pid)
    good = create_case("timer_then_script", {"total": 10, "parts": 2})
    time.sleep(0.2)
    started = time.monotonic()
    counts = run_worker_pass()
    assert time.monotonic() - started < 10
    assert counts["instances"] == 2
    assert [t.bpmn_id for t in open_tasks(good.instance_id)] == ["check"]  # the other case's due timer fired
    _assert_in_repair(client_as, create_user, _instance(bad), expected)
    assert run_worker_pass()["instances"] == 0  # not fired again and again


def test_ordinary_scripts_keep_working_within_the_budget(deploy_poison, create_case, client_as, create_user):
    pid = deploy_poison(script("total = sum(n * n for n in range(1000))\ndef double(n):\n    return 2 * n\n"
                               "doubled = [double(n) for n in [1, 2, 3]]\nlabel = f'{total}'\nwidth = 'x' * 10"))
    case = create_case(pid)
    [task] = open_tasks(case.instance_id)
    create_user("handler", roles=("clerk",), org="kuiwen")
    assert client_as("handler").post(f"/tasks/{task.id}", data={}).status_code == 302
    assert _instance(case).status == "running"
    assert [t.bpmn_id for t in open_tasks(case.instance_id)] == ["after"]


def test_a_start_whose_first_step_fails_stores_nothing(deploy_poison, create_case):
    from workflow_app.cases.models import Case
    from workflow_app.core.errors import ConflictError
    pid = deploy_poison(script("numbers = (n for n in [1])"), first=script("x = 1").replace('id="poison"', 'id="first"')
                        .replace("f2</bpmn:incoming>", "f1</bpmn:incoming>").replace(">f3<", ">f2<"))
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
