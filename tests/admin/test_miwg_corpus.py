"""Every model of the OMG BPMN interchange test suite (tests/data/bpmn-miwg, CC BY 3.0, see its README),
uploaded through the admin's deploy page: it deploys, or it is refused with lines that name the file, the
element and the reason. Never a 500, a traceback or a Python object in the message; nothing half-stored."""

import html
import re

import pytest
import sqlalchemy as sa

from tests.admin.test_processes import stored_versions, upload
from tests.conftest import DATA
from workflow_app.engine.models import ProcessVersion
from workflow_app.extensions import db

CORPUS = sorted((DATA / "bpmn-miwg").glob("*.bpmn"))
# file, element (or file line), reason (after a Chinese colon: the page is in the default language)
PROBLEM = re.compile(r"^(?P<file>[\w.]+\.bpmn)(:\d+)?(, (?P<element>bpmn:\w+|\w+) '[^']+')?(：|: )(?P<reason>.{8,})$")


def test_the_corpus_is_all_there():
    assert len(CORPUS) == 21


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_each_miwg_model_deploys_or_is_refused_naming_element_and_reason(client, path):
    response = upload(client, {path.name: path.read_bytes()})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 302, 422) and "Traceback" not in page
    if response.status_code == 422:
        problems = [
            html.unescape(p)
            for p in re.findall(r'<li><code class="text-danger text-wrap">(.*?)</code></li>', page, re.S)
        ]
        assert problems, page
        for problem in problems:
            match = PROBLEM.match(problem)
            assert match and match["file"] == path.name, problem
            assert match["element"] or "不含 bpmn:process" in problem, problem
            assert "0x" not in problem and "<Element" not in problem, problem
        assert stored_versions() == []
    else:
        versions = db.session.scalars(sa.select(ProcessVersion)).all()
        assert versions and all(v.source_file == path.name for v in versions)


def test_the_executable_one_is_refused_for_its_unquoted_timers_and_runs_once_they_are_quoted(client, create_case):
    from workflow_app.engine.queries import instance_timers, open_tasks

    path = DATA / "bpmn-miwg" / "C.9.1.bpmn"
    refused = upload(client, {path.name: path.read_bytes()})
    assert refused.status_code == 422
    assert "定时器表达式 &#39;R6/P1D&#39; 是 ISO 8601 字面量" in refused.get_data(as_text=True)
    quoted = path.read_text().replace(">R6/P1D<", '>"R6/P1D"<').replace(">P7D<", '>"P7D"<')
    assert upload(client, {path.name: quoted}).status_code == 302
    case = create_case("requestDocument_en")
    assert case.instance.status == "running"
    assert open_tasks(case.instance_id) == [] and len(instance_timers(case.instance_id)) == 2  # waits for the document
