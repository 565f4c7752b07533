"""The rows of a JSON Schema form in a real browser: static/schema_rows.js adds, removes and numbers rows under the
Content-Security-Policy, and what the browser then posts reads back as the rows left on the page."""

from flask import render_template_string
from werkzeug.datastructures import MultiDict

from forms.schema_forms import SchemaForm
from forms.schema_html import read_formdata, render_schema_form
from tests.e2e.screens import snap
from workflow_app.core.security_headers import SECURITY_HEADERS

SCHEMA = {
    "type": "object",
    "required": ["unit", "trainees"],
    "properties": {
        "unit": {"type": "string", "title": "见习单位"},
        "trainees": {
            "type": "array",
            "title": "见习人员",
            "minItems": 1,
            "maxItems": 4,
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "title": "姓名"},
                    "months": {"type": "integer", "title": "见习月数"},
                    "degree": {
                        "type": "string",
                        "title": "学历",
                        "oneOf": [{"const": "bachelor", "title": "本科"}, {"const": "master", "title": "硕士研究生"}],
                    },
                },
            },
        },
        "sites": {
            "type": "array",
            "title": "见习基地",
            "items": {
                "type": "object",
                "properties": {
                    "site": {"type": "string", "title": "基地名称"},
                    "mentors": {
                        "type": "array",
                        "title": "带教老师",
                        "items": {"type": "object", "properties": {"mentor": {"type": "string", "title": "老师姓名"}}},
                    },
                },
            },
        },
    },
}
PAGE = """{% extends "base.html" %}{% block content %}<section class="card"><div class="card-body">
<form method="post" novalidate id="task-form">{{ fields }}<button class="btn btn-primary" type="submit">提交</button>
</form></div></section>{% endblock %}"""
PATH = "/a-page-of-this-test"  # answered by the browser from the HTML rendered here; the app has no such route


def open_form(page, live_server, live_app, values=None, errors=None):
    """Show the form as a page of the site (its CSP, its static files) and return the SchemaForm."""
    form = SchemaForm(SCHEMA, {"trainees": {"items": {"degree": {"ui:widget": "select"}}}})
    with live_app.test_request_context():
        html = render_template_string(PAGE, fields=render_schema_form(form, values or {}, errors or {}))
    page.route(
        f"{live_server}{PATH}",
        lambda route: route.fulfill(
            status=200, body=html, headers={"Content-Type": "text/html; charset=utf-8", **SECURITY_HEADERS}
        ),
    )
    page.goto(f"{live_server}{PATH}")
    return form


def posted(page, live_app, form) -> dict:
    pairs = page.evaluate("() => Array.from(new FormData(document.getElementById('task-form')).entries())")
    with live_app.test_request_context():
        return read_formdata(form, MultiDict(pairs))


def rows(page, name):
    return page.locator(f'[data-name="{name}"] > [data-row-list] > [data-row]')


def test_rows_are_added_removed_and_renumbered_and_post_what_is_left(live_server, live_app, page, artifacts):
    form = open_form(page, live_server, live_app)
    trainees = page.locator('[data-name="data.trainees"]')
    # of the blank rows offered to pages without scripts, one is left; the last row cannot be removed
    assert rows(page, "data.trainees").count() == 1
    assert trainees.locator("[data-row-remove]").is_disabled()

    for _ in range(2):
        trainees.locator("> [data-row-add]").click()
    assert rows(page, "data.trainees").count() == 3
    assert page.evaluate("document.activeElement.name") == "data.trainees.4.name"  # the new row's first field
    for index, name in [(0, "张三"), (3, "李四"), (4, "王五")]:
        page.fill(f'[name="data.trainees.{index}.name"]', name)
    page.select_option('[name="data.trainees.4.degree"]', "master")
    page.fill('[name="data.trainees.4.months"]', "6")
    rows(page, "data.trainees").nth(1).locator("[data-row-remove]").click()

    assert rows(page, "data.trainees").locator("[data-row-number]").all_inner_texts() == ["1", "2"]
    assert posted(page, live_app, form)["trainees"] == [
        {"name": "张三"},
        {"name": "王五", "months": 6, "degree": "master"},
    ]
    trainees.locator("> [data-row-add]").click()
    trainees.locator("> [data-row-add]").click()
    assert trainees.locator("> [data-row-add]").is_disabled()  # maxItems 4
    snap(page, artifacts / "schema-rows-desktop.png")


def test_a_row_added_inside_a_new_row_gets_its_own_names(live_server, live_app, page):
    form = open_form(page, live_server, live_app)
    sites = page.locator('[data-name="data.sites"]')
    page.fill('[name="data.sites.0.site"]', "一号基地")
    page.fill('[name="data.sites.0.mentors.0.mentor"]', "陈老师")

    sites.locator("> [data-row-add]").click()
    page.fill('[name="data.sites.2.site"]', "二号基地")
    page.locator('[data-name="data.sites.2.mentors"] > [data-row-add]').click()
    page.fill('[name="data.sites.2.mentors.0.mentor"]', "刘老师")
    page.fill('[name="data.sites.2.mentors.1.mentor"]', "赵老师")

    assert posted(page, live_app, form)["sites"] == [
        {"site": "一号基地", "mentors": [{"mentor": "陈老师"}]},
        {"site": "二号基地", "mentors": [{"mentor": "刘老师"}, {"mentor": "赵老师"}]},
    ]


def test_on_a_phone_rows_are_cards_named_by_their_number(live_server, live_app, page, artifacts):
    page.set_viewport_size({"width": 390, "height": 844})
    values = {"unit": "华宇", "trainees": [{"name": ""}, {"name": "李四", "months": "六"}]}
    open_form(page, live_server, live_app, values, {"trainees.1.months": "第 2 行“见习月数”应填写整数"})

    second = rows(page, "data.trainees").nth(1)
    assert second.locator("[data-row-label]").first.inner_text() == "第 2 行"
    assert not second.locator("[data-row-number]").is_visible()
    assert second.locator('label[for="f-data.trainees.1.months"]').is_visible()  # a label above each field
    assert second.locator(".invalid-feedback").inner_text() == "第 2 行“见习月数”应填写整数"
    assert page.input_value('[name="data.trainees.1.months"]') == "六"
    snap(page, artifacts / "schema-rows-phone.png")
