"""A JSON Schema form shows a branch's fields only while its outcome is chosen (issue 30.14): the page marks each such
field with the conditions that show it, for static/schema_branches.js (the browser test watches it work)."""

import json
import re

from forms.schema_forms import schema_form
from forms.schema_html import outcome_title, render_schema_form
from tests.conftest import LVYUAN, open_task_of
from tests.processes.conftest import submit


def text(response):
    return response.get_data(as_text=True)


def branch_boxes(page):
    """{field name: the conditions of its branch box} of the fields a page shows only in a branch."""
    found = {}
    for conditions, inner in re.findall(
        r"<div class=\"schema-branch[^\"]*\" data-show-when='([^']*)'>(.*?name=\"[^\"]+\")", page, re.S
    ):
        name = re.findall(r'name="([^"]+)"', inner)[-1]
        found[name] = json.loads(conditions.replace("&#34;", '"'))
    return found


def test_the_sign_for_form_shows_the_return_reason_only_for_a_return(referral, client_as):
    page = text(client_as("kuiwen_handler").get(f"/tasks/{open_task_of(referral, 'sign_for').id}"))
    boxes = branch_boxes(page)
    assert boxes["data.return_reason"] == [{"control": "data.sign_decision", "values": ["return"]}]
    assert "data.sign_decision" not in boxes  # the choice itself always shows
    assert "schema_branches.js" in page


def test_the_handling_form_shows_each_outcomes_fields_under_it(create_referral, client_as, bureau):
    case = create_referral(enterprise=LVYUAN)
    submit(case, "sign_for", bureau["shouguang_handler"], {"sign_decision": "sign"})
    page = text(client_as("shouguang_handler").get(f"/tasks/{open_task_of(case, 'handle').id}"))
    boxes = branch_boxes(page)
    resolved = [{"control": "data.handle_outcome", "values": ["resolved"]}]
    extension = [{"control": "data.handle_outcome", "values": ["extension"]}]
    assert boxes["data.measures"] == resolved and boxes["data.plan_measures"] == resolved
    assert boxes["data.extension_days"] == extension and boxes["data.extension_reason"] == extension
    # a field a branch requires is marked required where it shows
    days = page[page.index('for="f-data.extension_days"') :]
    assert days[: days.index("</label>")].count('class="text-danger"') == 1


def test_else_enum_nested_and_dependent_branches(request_context):
    form = schema_form(
        ("test", "sign"),
        {
            "type": "object",
            "required": ["decision"],
            "properties": {
                "decision": {"type": "string", "oneOf": [{"const": "sign"}, {"const": "decline"}, {"const": "wait"}]},
                "name": {"type": "string"},
                "why": {"type": "string"},
                "extra": {"type": "string"},
                "comment": {"type": "string"},
                "item": {
                    "type": "object",
                    "properties": {"level": {"enum": ["none", "low"]}, "note": {"type": "string"}},
                    "if": {"properties": {"level": {"enum": ["low"]}}},
                    "then": {"required": ["note"]},
                },
            },
            "if": {"properties": {"decision": {"const": "sign"}}, "required": ["decision"]},
            "then": {"required": ["name"], "properties": {"comment": {}}},
            "else": {"required": ["why"]},
            "dependentSchemas": {"why": {"properties": {"extra": {}}}},
        },
        {"comment": {"ui:alwaysShown": True}},
    )
    page = str(render_schema_form(form, {}, {}))
    boxes = branch_boxes(page)
    assert boxes["data.name"] == [{"control": "data.decision", "values": ["sign"]}]
    assert boxes["data.why"] == [{"control": "data.decision", "values": ["decline", "wait"]}]
    assert boxes["data.extra"] == [{"control": "data.why", "values": None}]
    assert boxes["data.item.note"] == [{"control": "data.item.level", "values": ["low"]}]

    assert "data.comment" not in boxes and 'name="data.comment"' in page  # kept in view by its ui schema
    assert "data.decision" not in boxes and 'name="data.item.level"' in page


def test_the_outcome_is_the_branch_choice_title_up_to_its_colon(request_context):
    form = schema_form(
        ("test", "outcome"),
        {
            "type": "object",
            "required": ["county", "decision"],
            "properties": {
                "county": {"type": "string", "oneOf": [{"const": "kuiwen", "title": "奎文区"}]},
                "decision": {
                    "type": "string",
                    "oneOf": [{"const": "return", "title": "退回：不属本辖区"}, {"const": "sign", "title": "签收"}],
                },
                "urgent": {"type": "boolean"},
            },
            "if": {"properties": {"decision": {"const": "return"}}},
            "then": {"required": ["urgent"]},
        },
        None,
    )
    assert outcome_title(form, {"county": "kuiwen", "decision": "return"}) == "退回"  # the branch's choice first
    assert outcome_title(form, {"county": "kuiwen", "decision": "sign"}) == "签收"
    assert outcome_title(form, {"county": "kuiwen"}) == "奎文区"  # else the first required choice
    plain = schema_form(("test", "plain"), {"type": "object", "properties": {"note": {"type": "string"}}}, None)
    assert outcome_title(plain, {"note": "材料齐全"}) is None
