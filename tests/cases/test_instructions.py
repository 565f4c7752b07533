"""A task's instructions from its model (instructionsForEndUser): Markdown with Jinja over the task's data, rendered in
the sandbox and sanitised, on the staff task page, the portal's task page and the API's task detail."""

import re
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, open_task_of
from workflow_app.auth.models import Enterprise
from workflow_app.cases.instructions import render_instructions
from workflow_app.cases.operations import start_case
from workflow_app.extensions import db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle /></svg>",
    '<a href="javascript:alert(1)" onclick="alert(2)">click</a>',
    "<p onmouseover='alert(1)'>hover</p>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


def unsafe_parts(html: str) -> list[str]:
    """Every element, attribute or URL in `html` that could run script or restyle the page."""
    found = []
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        if element.tag in (
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "svg",
            "img",
            "form",
            "input",
            "meta",
            "link",
            "base",
        ):
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() == "style" and element.tag not in ("th", "td"):
                found.append(f"{element.tag}@{name}")
            scheme = urlsplit(value.strip()).scheme.lower()
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href") and scheme not in (
                "",
                "http",
                "https",
                "mailto",
            ):
                found.append(f"{element.tag}@{name}={value}")
    return found


@pytest.fixture
def render(app):
    with app.test_request_context():
        yield lambda source, data=None: str(render_instructions(source, {} if data is None else data))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_the_instructions_leaves_no_script_handler_or_javascript_url(render, payload):
    html = render(f"Read this: {payload} **then** go on")
    assert unsafe_parts(html) == [], html
    assert "<strong>then</strong>" in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_in_the_task_data_is_shown_as_text(render, payload):
    html = render(
        "Applicant: {{ name }}. [Their site]({{ url }}) {{ rows | join(', ') }}",
        {"name": payload, "url": payload, "rows": [payload, "ok"]},
    )
    assert unsafe_parts(html) == [], html
    if payload.startswith("<"):
        assert "&lt;" in html  # what was typed is there, as text


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ range.__globals__['__builtins__'] }}",
        "{{ self.__dict__ }}",
        "{{ data.__class__.__base__.__subclasses__() }}",
        "{% set x = namespace(a=1) %}{{ x }}",
        "{{ 'a'.format }}{{ '{0.__class__}'.format('') }}",
        "{{ lipsum(10) }}",
        "{{ ''|attr('__class__') }}",
    ],
)
def test_the_sandbox_refuses_to_reach_python_internals(render, source):
    html = render(source, {"data": {"a": 1}})
    assert 'class="text-danger"' in html or html.strip() in ("", "<p></p>"), html  # refused, or nothing shown
    for leak in ("&lt;class", "<class", "__name__", "jinja2", "Namespace", "sys.", "os."):
        assert leak not in html, html


@pytest.mark.parametrize(
    "source, reason",
    [
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "10000"),
        ("{{ 'x' * 10**9 }}", "100000"),
        ("{{ 2 ** 100000000 }}", "100000"),
        ("{{ '%999999999d' % 1 }}", "100000"),
        ("{% set s = big ~ big %}{% set s = s ~ s %}{% set s = s ~ s %}{{ s }}", "100000"),
        ("{{ ([big] * 100) | join(big) }}", "100000"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "50"),
        ("{{ 'a'.ljust(10**9) }}", "ljust"),
    ],
)
def test_instructions_that_would_run_long_or_grow_large_are_refused_quickly(render, source, reason):
    started = time.monotonic()
    html = render(source, {"big": "x" * 60_000})
    assert time.monotonic() - started < 3
    assert 'class="text-danger"' in html and reason in html and len(html) < 1000


def test_markdown_renders_emphasis_lists_tables_and_safe_links(render):
    html = render(
        "**{{ who }}** 请：\n\n1. 核对\n2. 签字\n\n| 项 | 金额 |\n|---|---|\n{% for r in rows %}| {{ r.name }} | "
        "{{ r.amount }} |\n{% endfor %}\n[通知](https://hrss.weifang.gov.cn/n?a=1&b=2)",
        {"who": "华宇 & 子公司", "rows": [{"name": "见习补贴", "amount": "1,200.00"}]},
    )
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    assert tree.findtext(".//strong") == "华宇 & 子公司"
    assert [li.text for li in tree.iter("li")] == ["核对", "签字"]
    assert [td.text for td in tree.iter("td")] == ["见习补贴", "1,200.00"]
    [link] = tree.iter("a")
    assert link.get("href") == "https://hrss.weifang.gov.cn/n?a=1&b=2" and "noopener" in link.get("rel")


def test_a_template_error_is_said_in_the_readers_language_not_raised(app, client_as):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        html = str(render_instructions("{% if %}", {}))
    assert 'class="text-danger"' in html and "无法显示" in html


class Untouchable(Mapping):
    def __getitem__(self, key):
        raise AssertionError("the data was read")

    def __iter__(self):
        raise AssertionError("the data was read")

    def __len__(self):
        raise AssertionError("the data was read")


def test_instructions_without_a_variable_do_not_read_the_task_data(render):
    assert render("请核对材料。", Untouchable()) == "<p>请核对材料。</p>\n"
    assert render("{% for i in range(2) %}{{ i }}{% endfor %}", Untouchable()) == "<p>01</p>\n"


# --- on the pages and in the API ----------------------------------------------------------------------------------


@pytest.fixture
def instructed_case(bureau, deploy):
    deploy("instructions.bpmn")
    enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == HUAYU))
    handler = bureau["kuiwen_handler"]
    case = start_case(
        "instructed",
        {"applicant": "<img src=x onerror=alert(4)>华宇", "missing": "<iframe>营业执照"},
        handler.org_unit_id,
        handler.id,
        "指导语测试",
        enterprise_id=enterprise.id,
    )
    db.session.commit()
    return case


def instructions_on(html: str) -> str:
    return re.search(
        r'<div class="alert alert-info small instructions" id="instructions">(.*?)</div>', html, re.S
    ).group(1)


def test_the_staff_task_page_shows_the_models_instructions_filled_in_and_safe(instructed_case, client_as):
    task = open_task_of(instructed_case, "review")
    html = client_as("kuiwen_handler").get(f"/tasks/{task.id}").get_data(as_text=True)
    shown = instructions_on(html)
    assert "<strong>核对</strong>" in shown and "&lt;img src=x onerror=alert(4)&gt;华宇" in shown
    assert "缺少：&lt;iframe&gt;营业执照" in shown and 'href="https://hrss.weifang.gov.cn/notice"' in shown
    assert unsafe_parts(shown) == []
    assert "<script>alert" not in html and "onerror=alert" not in html.replace("onerror=alert(4)&gt;", "").replace(
        "onerror=alert(2)&gt;", ""
    )
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;审核申请" in html  # the task's name, as text


def test_the_portal_task_page_shows_the_enterprise_its_steps_instructions(instructed_case, client_as, bureau):
    from workflow_app.engine.operations import complete_task

    complete_task(open_task_of(instructed_case, "review").id, {}, bureau["kuiwen_handler"].id)
    db.session.commit()
    task = open_task_of(instructed_case, "supply")
    html = client_as("ent_huayu").get(f"/portal/tasks/{task.id}").get_data(as_text=True)
    shown = instructions_on(html)
    assert "请补充 <em>&lt;iframe&gt;营业执照</em>，并上传扫描件。" in shown and unsafe_parts(shown) == []
