"""The library internals docs/upgrading.md lists: its versions are the pinned ones, and each place it names a test for
that had none is guarded here (a library that changes under the code fails one of these)."""

import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from workflow_app.engine.queries import current_data

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "upgrading.md"


def _pins() -> dict[str, str]:
    """{distribution name, lower case: version} of pyproject.toml's exact pins."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = {}
    for requirement in requirements:
        name, _, pinned = requirement.partition("==")
        pins[re.sub(r"\[.*\]", "", name).strip().lower()] = pinned.strip()
    return pins


def _listed_versions() -> list[tuple[str, str, str]]:
    """(library, version, how: "pinned" or "installed") of each row of the guide's table."""
    rows = []
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or cells[0] in ("library", "---"):
            continue
        pinned = re.fullmatch(r"`([\w-]+)(?:\[\w+\])?==([\w.]+)`", cells[1])
        if pinned:
            rows.append((pinned[1], pinned[2], "pinned"))
        else:
            rows.append((cells[0], cells[1].split()[0], "installed"))
    return rows


def test_the_guide_names_the_pinned_and_installed_versions():
    rows, pins = _listed_versions(), _pins()
    assert len(rows) >= 10
    for library, listed, how in rows:
        if how == "pinned":
            assert pins.get(library.lower()) == listed, f"docs/upgrading.md checked {library} {listed}: pin changed"
        assert version(library) == listed, f"docs/upgrading.md checked {library} {listed}, {version(library)} runs"


def test_the_task_iterators_go_deeper_than_the_librarys_default():
    import inspect

    from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
    from SpiffWorkflow.util.task import TaskIterator

    from workflow_app.engine.spiff_patches import UNLIMITED_DEPTH

    for iterator in (TaskIterator, BpmnTaskIterator):
        assert inspect.signature(iterator.__init__).parameters["max_depth"].default == UNLIMITED_DEPTH


def _chain(steps: int) -> str:
    nodes = "".join(
        f'<bpmn:scriptTask id="s{n}"><bpmn:incoming>f{n}</bpmn:incoming><bpmn:outgoing>f{n + 1}</bpmn:outgoing>'
        f"<bpmn:script>n = {n}</bpmn:script></bpmn:scriptTask>"
        f'<bpmn:sequenceFlow id="f{n + 1}" sourceRef="s{n}" targetRef="{f"s{n + 1}" if n + 1 < steps else "end"}" />'
        for n in range(steps)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="chain" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="s0" />
    {nodes}
    <bpmn:endEvent id="end"><bpmn:incoming>f{steps}</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_sequential_chain_of_600_steps_deploys(deploy):
    assert sys.getrecursionlimit() >= 20000
    result = deploy(sources={"chain.bpmn": _chain(600)})
    assert [version.process_id for version in result.created] == ["chain"]


def test_a_script_leaves_no_helper_in_the_task_data(deploy, create_case):
    from tests.engine.test_scripts import process

    deploy(sources=process("total = money('1.50') + money(2)&#10;def twice(x):&#10;    return x * 2&#10;y = twice(2)"))
    case = create_case("scripted", {"given": 1})
    assert case.instance.status == "running", case.instance.error_message
    data = current_data(case.instance)
    assert data["given"] == 1 and data["y"] == 4 and str(data["total"]) == "3.50"
    assert not {"money", "twice", "__builtins__"} & set(data) and not [v for v in data.values() if callable(v)]


def test_the_babel_extension_finds_catalogues_through_the_request_domain(app):
    from flask import g
    from flask_babel import get_domain, gettext

    from workflow_app.core.i18n import RequestDomain

    with app.test_request_context("/inbox"):
        assert isinstance(get_domain(), RequestDomain)
        assert gettext("Sign out") == "退出"
        locale, translations = g._flask_babel.request_translations
        assert str(locale) == str(g._flask_babel.babel_locale) and translations is get_domain().get_translations()


def test_the_api_describes_a_wtforms_forms_fields_in_order(app):
    from wtforms import BooleanField, IntegerField, StringField
    from wtforms.validators import DataRequired

    from forms import TaskForm
    from workflow_app.api.forms import form_description

    class Visit(TaskForm):
        place = StringField("地点", validators=[DataRequired()])
        people = IntegerField("人数")
        done = BooleanField("已完成")

    with app.test_request_context("/api/v1/tasks/1"):
        schema = form_description(Visit(meta={"csrf": False}))["schema"]
    assert list(schema["properties"]) == ["place", "people", "done"] and schema["required"] == ["place"]


def test_the_timers_read_the_applications_clock(clock):
    from datetime import UTC, datetime

    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    from workflow_app.engine import spiff_patches  # noqa: F401  (as the engine imports it)

    clock.freeze_clock(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert timer.datetime.now(UTC) == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
