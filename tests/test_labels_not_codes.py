"""No page or export of the demo shows people a code where a label exists (issue 30.2).

Every demo user walks every page they can reach from the home page (links and the diagram's source), GETs only; the walk reads what a person reads: the text of each page without its tags and scripts, the
tooltips and names of its elements, the values of its text fields, the cells of the CSV and XLSX exports, the strings
of the JSON the pages fetch and the names in the BPMN the diagram draws. None of it may hold a process id, a role
code, an org unit's code, an instance, task or agreement status, a priority, or a value of a form's choice that has a
title.

Shown as codes on purpose, and so left out of the reading:
- text inside <code>: a code shown as the thing itself (an admin's code column, a user name, a process id on the
  version page, a variable's name, a gateway's condition, a file's source);
- CODE_FIELDS: the fields of the admin's forms where the code is what is typed.
"""

import csv
import io
import json
import re
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa

from tests.e2e.conftest import DEMO_PASSWORD, seeded_app
from workflow_app.extensions import db

PER_KIND = 30  # pages of one kind (one path with other ids, the same query keys) read per user
NOT_READ = re.compile(r"^/(static|api|metrics|healthz|readyz|logout|language)(/|$)|/attachments/|/files/")
CODE_FIELDS = {"code", "username", "name", "process_id"}  # an admin form's code fields (admin pages only)
BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The demo as `make run` seeds it (`flask seed-demo`), on its own SQLite database."""
    app = seeded_app(tmp_path_factory.mktemp("codes") / "demo.sqlite", with_cases=True, csrf=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def codes_of(app) -> set[str]:
    """The codes a person must never read where a label exists, from the database and the models."""
    from workflow_app.agreements.models import AGREEMENT_STATUSES
    from workflow_app.auth.models import OrgUnit, Role
    from workflow_app.cases.models import PRIORITIES
    from workflow_app.engine.models import INSTANCE_STATUSES, TASK_STATES, ProcessVersion

    with app.app_context():
        codes = set(db.session.scalars(sa.select(ProcessVersion.process_id)))
        codes |= set(db.session.scalars(sa.select(Role.name))) | set(db.session.scalars(sa.select(OrgUnit.code)))
        codes |= set(INSTANCE_STATUSES) | set(TASK_STATES) | set(AGREEMENT_STATUSES) | set(PRIORITIES)
        for files in db.session.scalars(sa.select(ProcessVersion.files)):
            for name, text in (files or {}).items():
                if name.endswith(".json"):
                    codes |= titled_choices(json.loads(text))
        db.session.remove()
    return codes


def words_of(codes) -> re.Pattern:
    """A pattern finding any of `codes` as a whole word (the longest first)."""
    alternatives = "|".join(map(re.escape, sorted(codes, key=len, reverse=True)))
    return re.compile(r"(?<![A-Za-z0-9_])(" + alternatives + r")(?![A-Za-z0-9_])")


def titled_choices(node) -> set[str]:
    """The values of a JSON Schema's choices that have a title other than themselves (oneOf/anyOf consts with a
    title, enum with x-enumNames)."""
    found = set()
    if isinstance(node, dict):
        for option in (node.get("oneOf") or []) + (node.get("anyOf") or []):
            if isinstance(option, dict) and isinstance(option.get("const"), str) and option.get("title"):
                found |= {option["const"]} - {option["title"]}
        names = node.get("x-enumNames")
        if isinstance(node.get("enum"), list) and isinstance(names, list):
            found |= {v for v, t in zip(node["enum"], names, strict=False) if isinstance(v, str) and v != t}
        for value in node.values():
            found |= titled_choices(value)
    elif isinstance(node, list):
        for value in node:
            found |= titled_choices(value)
    return found


def read_html(body: bytes, path: str) -> tuple[str, list[str]]:
    """(what a person reads on the page, the addresses it links to or fetches)."""
    page = lxml.html.fromstring(body)
    links = page.xpath("//a/@href") + page.xpath("//@data-source")
    for element in page.xpath("//script|//style|//template|//code"):
        element.drop_tree()
    texts = [page.text_content()]
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        texts += [element.get(name) for name in ("title", "aria-label", "alt", "placeholder") if element.get(name)]
        kind = (element.get("type") or "text").lower()
        if element.tag == "input" and element.get("value") and kind not in ("hidden", "checkbox", "radio", "file"):
            if not (path.startswith("/admin/") and element.get("name") in CODE_FIELDS):
                texts.append(element.get("value"))
    return "\n".join(texts), links


def read_bpmn(body: bytes) -> str:
    """The names the diagram draws: of the BPMN elements (lanes, steps, flows), and the text annotations."""
    root = lxml.etree.fromstring(body, parser=lxml.etree.XMLParser(resolve_entities=False, no_network=True))
    shown = []
    for element in root.iter(f"{{{BPMN_MODEL}}}*"):
        if element.get("name"):
            shown.append(element.get("name"))
        if element.tag == f"{{{BPMN_MODEL}}}text" and element.text:
            shown.append(element.text)
    return "\n".join(shown)


def strings_of(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return [value] if isinstance(value, str) else []


def read(response, path) -> tuple[str, list[str]]:
    """(what a person reads in a response, the addresses it leads to)."""
    kind, body = response.content_type or "", response.get_data()
    if "html" in kind:
        return read_html(body, path)
    if "csv" in kind:
        return "\n".join(" | ".join(row) for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))), []
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(body))
        cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        return "\n".join(cells + [sheet.title for sheet in book]), []
    if "json" in kind:
        return "\n".join(strings_of(json.loads(body))), []
    if "xml" in kind:
        return read_bpmn(body), []
    return "", []


def kind_of(url: str) -> str:
    parts = urlsplit(url)
    return re.sub(r"/\d+", "/<id>", parts.path) + "?" + ",".join(sorted(re.findall(r"([^&=]+)=", parts.query)))


def walk(client, username: str, pattern) -> tuple[int, list[str]]:
    """Sign in and read every page reachable from the home page; return (pages read, codes found)."""
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{username} could not sign in"
    queue, seen, kinds, found = deque(["/"]), set(), Counter(), []
    while queue:
        url = queue.popleft()
        if url in seen or kinds[kind_of(url)] >= PER_KIND:
            continue
        seen.add(url)
        kinds[kind_of(url)] += 1
        response = client.get(url)
        assert response.status_code < 500, f"{username} GET {url}: {response.status_code}"
        if response.status_code in (301, 302, 303):
            queue.appendleft(_local(response.headers["Location"], url))
            continue
        if response.status_code >= 400:
            continue
        path = urlsplit(url).path
        text, links = read(response, path)
        for line in text.splitlines():
            found += [f"{username} {url}: {m.group(1)!r} in {line.strip()[:100]!r}" for m in pattern.finditer(line)]
        for link in links:
            local = _local(link, url)
            if local is not None and local not in seen and not NOT_READ.search(urlsplit(local).path):
                queue.append(local)
    return len(seen), found


def _local(link: str, base: str) -> str | None:
    parts = urlsplit(urljoin("http://localhost" + base, link))
    if parts.netloc != "localhost":
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def test_no_page_or_export_shows_a_code_where_a_label_exists(demo_app):
    codes = codes_of(demo_app)
    assert {"referral", "county_handler", "kuiwen", "running", "normal", "send_back"} <= codes  # the model's codes
    pattern = words_of(codes)
    with demo_app.app_context():
        from workflow_app.auth.models import User

        usernames = db.session.scalars(
            sa.select(User.username).where(User.active.is_(True)).order_by(User.username)
        ).all()
        db.session.remove()
    read_pages, found = 0, []
    for username in usernames:
        pages, shown = walk(demo_app.test_client(), username, pattern)
        read_pages += pages
        found += shown
    assert read_pages > 30 * len(usernames)  # the walk found the pages
    assert found == [], f"{len(found)} codes shown:\n" + "\n".join(found[:60])


def test_the_reading_finds_a_code_in_each_kind_of_response(demo_app):
    """The walk's reading is no blind spot: a code in a page's text, a tooltip, a field, a CSV cell, a JSON string or a
    lane's name is read, and one inside <code> or a script is not."""
    pattern = re.compile(r"(?<![A-Za-z0-9_])(kuiwen)(?![A-Za-z0-9_])")
    page = b'<html><body><p>to kuiwen</p><span title="kuiwen"></span><input name="q" value="kuiwen"><code>kuiwen</code><script>var a = "kuiwen"</script></body></html>'
    text, _links = read_html(page, "/inbox")
    assert len(pattern.findall(text)) == 3
    text, _links = read_html(b'<html><body><input name="code" value="kuiwen"></body></html>', "/admin/org-units/1")
    assert pattern.findall(text) == []
    lane = f'<definitions xmlns="{BPMN_MODEL}"><process id="p"><laneSet><lane id="l" name="kuiwen"/></laneSet></process></definitions>'
    assert pattern.findall(read_bpmn(lane.encode())) == ["kuiwen"]
    assert strings_of({"a": [{"b": "kuiwen"}]}) == ["kuiwen"]


def test_a_stale_task_page_shows_what_was_chosen_by_its_title(bureau, referral, client_as):
    """The box of a page posted after someone else did the task lists the typed answers as the form shows them."""
    from tests.conftest import PASSWORD, open_task_of
    from workflow_app.auth.operations import create_user

    create_user("kuiwen_handler2", ["county_handler"], "kuiwen", PASSWORD, "第二经办")
    db.session.commit()
    task = open_task_of(referral, "sign_for")
    first, second = client_as("kuiwen_handler"), client_as("kuiwen_handler2")
    assert first.post(f"/tasks/{task.id}", data={"data.sign_decision": "sign"}).status_code == 302
    response = second.post(
        f"/tasks/{task.id}", data={"data.sign_decision": "return", "data.return_reason": "不属于本区管辖"}
    )
    assert response.status_code == 409
    box = lxml.html.fromstring(response.get_data()).get_element_by_id("your-input").text_content()
    assert "退回：不属本辖区" in box and "不属于本区管辖" in box
    assert not re.search(r"\breturn\b", box)


def signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    return client


def test_the_case_export_gives_the_process_status_and_priority_by_their_labels(demo_app):
    rows = list(
        csv.DictReader(io.StringIO(signed_in(demo_app, "admin").get("/cases/export.csv").data.decode("utf-8-sig")))
    )
    assert {row["流程"] for row in rows} >= {"问题需求转办", "贷款展期"}
    assert {row["状态"] for row in rows} >= {"办理中", "已办结"} and {row["优先级"] for row in rows} == {"普通", "紧急"}


def test_the_diagram_names_each_lane_by_its_roles_label(demo_app):
    client = signed_in(demo_app, "admin")
    with demo_app.app_context():
        from workflow_app.cases.models import Case

        case_id = db.session.scalar(sa.select(Case.id).where(Case.process_id == "referral").limit(1))
        db.session.remove()
    root = lxml.etree.fromstring(client.get(f"/cases/{case_id}/diagram.bpmn").data)
    lanes = {lane.get("id"): lane.get("name") for lane in root.iter(f"{{{BPMN_MODEL}}}lane")}
    assert lanes["Lane_county_handler"] == "县级经办人" and lanes["Lane_section_reviewer"] == "科室审核人"


def test_an_enum_with_x_enum_names_is_shown_by_its_names(app):
    """A package may name an enum's values in the schema itself (x-enumNames): the history shows the names."""
    from forms.schema_forms import SchemaForm, schema_problems
    from forms.schema_html import describe_values

    schema = {
        "type": "object",
        "properties": {
            "level": {"type": "string", "title": "风险等级", "enum": ["low", "high"], "x-enumNames": ["低", "高"]}
        },
    }
    assert schema_problems("level-schema.json", schema) == []  # a package may say it
    assert titled_choices(schema) == {"low", "high"}
    assert describe_values(SchemaForm(schema), {"level": "high"}) == [("风险等级", "高")]


def test_a_redispatch_reads_as_the_countys_name_in_the_history(app):
    """The issue's "派发至 kuiwen": the referral's redispatch form names each county by its title."""
    from pathlib import Path

    from forms.schema_forms import SchemaForm
    from forms.schema_html import describe_values

    package = Path(__file__).resolve().parents[1] / "bpmn" / "referral"
    form = SchemaForm(json.loads((package / "redispatch-schema.json").read_text()))
    assert (
        dict(describe_values(form, {"county": "kuiwen", "redispatch_note": "请奎文区办理"}))["重新派发至"] == "奎文区"
    )
