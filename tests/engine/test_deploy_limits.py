"""Deploying hostile model files: a DTD in any encoding, and expressions too large to compile, are refused with one
line naming the file and the element, on the page, in the CLI and in the operation; nothing is stored."""

import io

import pytest
import sqlalchemy as sa

from tests.conftest import DATA
from tests.engine.test_deploy import one_task
from tests.poisons import BY_HAND, DMN, poisoned_bpmn, script, timer
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import ProcessVersion
from workflow_app.extensions import db

HUGE = "+".join(["1"] * 30000)  # 30,000 terms: the parser recursed once per term and failed with RecursionError
DEEP = "(" * 500 + "1" + ")" * 500


def _models():
    gateway = (DATA / "exclusive_gateway.bpmn").read_text().replace("amount &gt; 100", HUGE)
    decision = DMN.replace("len([x for x in range(10**7) for y in range(10**7)]) &gt; ?", HUGE)
    return {
        "script": (
            {"poisoned.bpmn": poisoned_bpmn("poisoned", script(f"x = {HUGE}"), BY_HAND)},
            "poisoned.bpmn, ScriptTask 'poison': script: ",
        ),
        "nested script": (
            {"poisoned.bpmn": poisoned_bpmn("poisoned", script(f"x = {DEEP}"), BY_HAND)},
            "poisoned.bpmn, ScriptTask 'poison': script: ",
        ),
        "condition": ({"exclusive_gateway.bpmn": gateway}, "exclusive_gateway.bpmn, ExclusiveGateway 'gw'"),
        "timer": (
            {"poisoned.bpmn": poisoned_bpmn("poisoned", timer(HUGE), BY_HAND)},
            "poisoned.bpmn, IntermediateCatchEvent 'poison'",
        ),
        "property": (
            {"one_task.bpmn": one_task(props=f'<spiffworkflow:property name="assignee" value="{HUGE}" />')},
            "one_task.bpmn, UserTask 'ask'",
        ),
        "DMN cell": (
            {"looping.dmn": decision, "poisoned.bpmn": poisoned_bpmn("poisoned", script("x = 1"), BY_HAND)},
            "looping.dmn",
        ),
    }


def _stored():
    return db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion))


@pytest.mark.parametrize("kind", sorted(_models()))
def test_an_expression_too_large_to_compile_is_one_line_naming_its_element(deploy, kind):
    sources, where = _models()[kind]
    with pytest.raises(InvalidInput) as refused:
        deploy(sources=sources)
    db.session.rollback()
    [line] = refused.value.details
    assert line.startswith(where) and "\n" not in line and len(line) < 300, line[:300]
    assert _stored() == 0


def test_an_expression_too_large_is_refused_on_the_upload_page_and_in_the_cli(app, client_as, create_user, tmp_path):
    sources, where = _models()["script"]
    create_user("root", roles=("admin",), org="weifang")
    files = {"files": [(io.BytesIO(text.encode()), name) for name, text in sources.items()]}
    page = client_as("root").post("/admin/processes/deploy", data=files, content_type="multipart/form-data")
    assert page.status_code == 422 and "poisoned.bpmn, ScriptTask &#39;poison&#39;" in page.get_data(as_text=True)
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    cli = app.test_cli_runner().invoke(args=["processes", "deploy", str(tmp_path)])
    assert cli.exit_code != 0 and "Traceback" not in cli.output and where in cli.output
    assert _stored() == 0


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-8"])
def test_a_dtd_is_refused_in_any_encoding(deploy, encoding):
    """The refusal is the parser's reading of the document, not a byte search (which UTF-16 slipped past)."""
    text = one_task().replace("?>", '?>\n<!DOCTYPE bpmn:definitions [<!ENTITY name "Ask">]>', 1)
    text = text.replace('name="Ask"', 'name="&name;"').replace('encoding="UTF-8"', f'encoding="{encoding}"')
    assert 'encoding="' + encoding in text
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"evil.bpmn": text.encode(encoding.lower())})
    db.session.rollback()
    assert refused.value.details == ["evil.bpmn：BPMN/DMN 文件中不允许 DOCTYPE 和 ENTITY 声明"]
    assert _stored() == 0


@pytest.mark.parametrize("what", ["task name", "task id", "process id"])
def test_an_id_or_name_longer_than_its_column_is_refused_at_deploy(deploy, what):
    """On PostgreSQL such a name failed only when a step stored the task (a 500, then a case stuck running)."""
    text = one_task()
    if what == "task name":
        text = text.replace('name="Ask"', f'name="{"问" * 301}"')
    elif what == "task id":
        text = text.replace('"ask"', f'"{"a" * 201}"')
    else:
        text = text.replace('id="one_task"', f'id="{"p" * 101}"')
    with pytest.raises(InvalidInput) as refused:
        deploy(sources={"long.bpmn": text})
    db.session.rollback()
    [line] = refused.value.details
    assert line.startswith("long.bpmn") and len(line) < 300, line
    assert _stored() == 0
