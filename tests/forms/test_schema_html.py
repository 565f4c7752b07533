"""A JSON Schema form drawn as Bootstrap fields and read back: what a browser posts of the page is the values again."""

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import lxml.html
import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema
from werkzeug.datastructures import CombinedMultiDict, FileStorage, MultiDict

from forms.schema_forms import SchemaForm
from forms.schema_html import SPARE_ROWS, read_formdata, render_schema_form

TRAINEES = {
    "type": "array",
    "title": "见习人员",
    "minItems": 1,
    "maxItems": 20,
    "items": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "title": "姓名"},
            "id_card": {"type": "string", "title": "身份证号", "format": "cn-id-card"},
            "months": {"type": "integer", "title": "见习月数", "minimum": 1, "maximum": 12},
            "degree": {
                "type": "string",
                "title": "学历",
                "oneOf": [{"const": "bachelor", "title": "本科"}, {"const": "master", "title": "硕士研究生"}],
            },
            "graduated": {"type": "boolean", "title": "已毕业"},
        },
    },
}
APPLICATION = {
    "type": "object",
    "required": ["unit", "amount", "trainees", "kind"],
    "properties": {
        "unit": {"type": "string", "title": "见习单位", "description": "营业执照上的全称"},
        "uscc": {"type": "string", "title": "统一社会信用代码", "format": "uscc"},
        "headcount": {"type": "integer", "title": "在职人数", "minimum": 0},
        "rate": {"type": "number", "title": "留用率"},
        "amount": {"type": "string", "title": "申请金额", "format": "money-yuan"},
        "kind": {
            "type": "string",
            "title": "单位类型",
            "oneOf": [{"const": "enterprise", "title": "企业"}, {"const": "institution", "title": "事业单位"}],
        },
        "size": {"type": "string", "title": "规模", "enum": ["small", "medium", "large"]},
        "level": {"type": "integer", "title": "等级", "enum": [1, 2, 3]},
        "start": {"type": "string", "title": "开始日期", "format": "date"},
        "signed_at": {"type": "string", "title": "签订时间", "format": "date-time"},
        "note": {"type": "string", "title": "说明"},
        "channel": {"type": "string", "title": "渠道"},
        "tags": {
            "type": "array",
            "title": "岗位类别",
            "uniqueItems": True,
            "items": {
                "type": "string",
                "oneOf": [
                    {"const": "tech", "title": "技术"},
                    {"const": "admin", "title": "管理"},
                    {"const": "service", "title": "服务"},
                ],
            },
        },
        "agreed": {"type": "boolean", "title": "已阅读并同意"},
        "contact": {
            "type": "object",
            "title": "联系人",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "title": "联系人姓名"},
                "mobile": {"type": "string", "title": "手机号", "format": "cn-mobile"},
                "address": {
                    "type": "object",
                    "title": "地址",
                    "properties": {
                        "county": {"type": "string", "title": "县市区"},
                        "street": {"type": "string", "title": "街道"},
                    },
                },
            },
        },
        "trainees": TRAINEES,
        "phones": {"type": "array", "title": "备用电话", "items": {"type": "string", "title": "电话"}},
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
                        "items": {
                            "type": "object",
                            "properties": {
                                "mentor": {"type": "string", "title": "老师姓名"},
                                "years": {"type": "integer", "title": "从业年限"},
                            },
                        },
                    },
                },
            },
        },
    },
}
APPLICATION_UI = {
    "ui:order": ["unit", "kind", "*", "note"],
    "kind": {"ui:widget": "radio"},
    "note": {"ui:widget": "textarea", "ui:placeholder": "可不填"},
    "channel": {"ui:widget": "hidden"},
    "tags": {"ui:widget": "checkboxes"},
    "amount": {"ui:help": "单位：元，最多两位小数"},
    "trainees": {"items": {"degree": {"ui:widget": "select"}}},
}
FILLED = {
    "unit": "潍坊华宇机械有限公司",
    "uscc": "91370700MA3C5LR69L",
    "headcount": 120,
    "rate": Decimal("0.85"),
    "amount": "12000.50",
    "kind": "institution",
    "size": "medium",
    "level": 2,
    "start": "2024-05-01",
    "signed_at": "2024-05-01T01:30:00Z",
    "note": "第一批\n共三人",
    "channel": "portal",
    "tags": ["tech", "service"],
    "agreed": True,
    "contact": {"name": "王芳", "mobile": "13800000000", "address": {"county": "奎文区", "street": "东风街"}},
    "trainees": [
        {"name": "张三", "id_card": "37070219990101123X", "months": 6, "degree": "bachelor", "graduated": True},
        {"name": "李四", "months": 3, "degree": "master", "graduated": False},
        {"name": "赵五", "graduated": False},
    ],
    "phones": ["0536-1234567", "13900000000"],
    "sites": [
        {"site": "一号基地", "mentors": [{"mentor": "陈老师", "years": 10}, {"mentor": "刘老师"}]},
        {"site": "二号基地"},
    ],
}


def browser_post(html: str) -> MultiDict:
    """What a browser sends of the rendered fields: enabled named controls, ticked boxes, chosen options."""
    page = lxml.html.fragment_fromstring(html, create_parent="form")
    for template in list(page.iter("template")):  # inert: a browser never sends a template's fields
        template.drop_tree()
    pairs = []
    for element in page.iter("input", "select", "textarea"):
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        if element.tag == "select":
            chosen = [o for o in element.iter("option") if o.get("selected") is not None]
            if not chosen and element.get("multiple") is None:
                chosen = list(element.iter("option"))[:1]
            pairs += [(name, option.get("value")) for option in chosen]
        elif element.tag == "textarea":
            pairs.append((name, element.text or ""))
        elif element.get("type") in ("checkbox", "radio"):
            if element.get("checked") is not None:
                pairs.append((name, element.get("value", "on")))
        elif element.get("type") != "file":
            pairs.append((name, element.get("value", "")))
    return MultiDict(pairs)


def field_box(html: str, name: str):
    """The element holding a field's input and what is said beside it (its wrapper or fieldset)."""
    page = lxml.html.fragment_fromstring(html, create_parent="div")
    control = page.xpath(f'(//*[@name="{name}"])[last()]')[0]
    return control.xpath('ancestor::*[contains(@class, "mb-3") or contains(@class, "schema-cell")][1]')[0]


@pytest.fixture
def create_form():
    def factory(schema=APPLICATION, ui_schema=APPLICATION_UI):
        return SchemaForm(schema, ui_schema)

    return factory


@pytest.fixture
def form(create_form):
    return create_form()


def test_what_a_browser_posts_of_a_filled_form_reads_back_as_the_same_values(request_context, form):
    html = str(render_schema_form(form, FILLED, {}))

    values = read_formdata(form, browser_post(html))

    assert values == FILLED
    assert form.validate(values) == {}


def test_field_names_are_the_prefix_and_the_path(request_context, form):
    html = str(render_schema_form(form, FILLED, {}, prefix="start"))
    posted = browser_post(html)

    assert posted["start.trainees.1.name"] == "李四"
    assert posted["start.contact.address.county"] == "奎文区"
    assert posted["start.sites.0.mentors.1.mentor"] == "刘老师"
    assert posted["start.phones.1"] == "13900000000"
    assert posted["start.agreed"] == "y"  # a ticked checkbox posts "y"
    assert posted.getlist("start.tags") == ["tech", "service"]
    assert read_formdata(form, posted, prefix="start") == FILLED
    assert read_formdata(form, posted) == {"agreed": False}  # another prefix reads nothing of it


def test_rows_are_read_in_number_order_with_gaps_and_blank_rows_dropped(request_context, form):
    posted = MultiDict(
        [
            ("data.trainees.7.name", "孙七"),
            ("data.trainees.0.name", "张三"),
            ("data.trainees.0.months", "2"),
            ("data.trainees.3.name", " "),
            ("data.trainees.3.months", ""),
            ("data.trainees.3.degree", ""),  # blank
            ("data.trainees.12.name", "周八"),
            ("data.trainees.__row__.name", "模板"),
            ("data.trainees.01.name", "x"),
            ("data.phones.0", ""),
            ("data.phones.2", "110"),
        ]
    )

    values = read_formdata(form, posted)

    assert values["trainees"] == [
        {"name": "张三", "months": 2, "graduated": False},
        {"name": "孙七", "graduated": False},
        {"name": "周八", "graduated": False},
    ]
    assert values["phones"] == ["110"]


def test_values_are_typed_by_the_schema_and_what_does_not_parse_stays_as_typed(request_context, form):
    posted = MultiDict(
        [
            ("data.headcount", " １２０ "),
            ("data.rate", "0.50"),
            ("data.level", "3"),
            ("data.kind", "enterprise"),
            ("data.trainees.0.name", "张三"),
            ("data.trainees.0.months", "六个月"),
            ("data.trainees.1.name", "李四"),
            ("data.trainees.1.months", "1e3"),
            ("data.trainees.1.graduated", "y"),
            ("data.unit", "  华宇  "),
            ("data.signed_at", "2024-05-01T09:30"),
            ("data.amount", "12,000"),
            ("data.size", "huge"),
        ]
    )

    values = read_formdata(form, posted)

    assert values["headcount"] == 120 and values["level"] == 3  # full-width digits are digits
    assert values["rate"] == Decimal("0.50") and isinstance(values["rate"], Decimal)  # never a float
    assert values["trainees"] == [
        {"name": "张三", "months": "六个月", "graduated": False},
        {"name": "李四", "months": "1e3", "graduated": True},
    ]
    assert values["unit"] == "华宇"
    assert values["signed_at"] == "2024-05-01T01:30:00Z"  # typed in Beijing time, kept in UTC
    assert values["amount"] == "12,000" and values["size"] == "huge"  # validation names what is wrong
    assert values["agreed"] is False  # an unticked box is a no
    assert "note" not in values and "contact" not in values  # empty fields and groups are left out
    errors = form.validate(values)
    assert set(errors) >= {"trainees.0.months", "trainees.1.months", "amount", "size"}


def test_an_integer_too_long_to_convert_stays_text(request_context, form):
    values = read_formdata(form, MultiDict([("data.headcount", "9" * 5000)]))

    assert values["headcount"] == "9" * 5000


def test_a_required_group_left_empty_is_kept_so_its_fields_errors_show(request_context, create_form):
    schema = {
        "type": "object",
        "required": ["contact"],
        "properties": {"contact": APPLICATION["properties"]["contact"], "other": APPLICATION["properties"]["contact"]},
    }
    form = create_form(schema, {})

    values = read_formdata(form, MultiDict([("data.contact.name", ""), ("data.other.name", "")]))

    assert values == {"contact": {}}
    assert "contact.name" in form.validate(values)


def test_a_refused_page_keeps_what_was_typed_with_each_error_beside_its_field(request_context, form):
    posted = MultiDict(
        [
            ("data.unit", "华宇"),
            ("data.headcount", "一百"),
            ("data.kind", "enterprise"),
            ("data.amount", "-5"),
            ("data.trainees.0.name", ""),
            ("data.trainees.0.months", "13"),
            ("data.trainees.4.name", "李四"),
            ("data.trainees.4.months", "0"),
            ("data.contact.name", "王芳"),
            ("data.contact.mobile", "12345"),
            ("data.tags", "tech"),
            ("data.tags", "forged"),
        ]
    )
    values = read_formdata(form, posted)
    errors = form.validate(values)
    assert {
        "headcount",
        "amount",
        "trainees.0.name",
        "trainees.0.months",
        "trainees.1.months",
        "contact.mobile",
        "tags.1",
    } <= set(errors)

    html = str(render_schema_form(form, values, errors))

    assert browser_post(html)["data.headcount"] == "一百"
    for path, name in [
        ("headcount", "data.headcount"),
        ("amount", "data.amount"),
        ("trainees.0.months", "data.trainees.0.months"),
        ("trainees.1.months", "data.trainees.1.months"),
        ("contact.mobile", "data.contact.mobile"),
        ("tags.1", "data.tags"),
    ]:
        box = field_box(html, name)
        assert errors[path] in box.xpath('string(.//*[contains(@class, "invalid-feedback")])'), path
        assert "is-invalid" in box.xpath(f'.//*[@name="{name}"]')[-1].get("class"), path
    # the rows are numbered as the errors name them: the fifth row posted is the second row read
    assert browser_post(html)["data.trainees.1.name"] == "李四"
    assert browser_post(html)["data.trainees.1.months"] == "0"
    assert "amount" not in read_formdata(form, MultiDict([("data.amount", "")]))


def test_errors_for_the_whole_form_and_for_no_field_shown_are_listed_above_the_fields(request_context, form):
    html = str(
        render_schema_form(
            form, {}, {"": "整张表单有误", "unknown": "多余的字段", "channel": "渠道有误", "unit": "见习单位必填"}
        )
    )
    page = lxml.html.fragment_fromstring(html, create_parent="div")

    listed = page.xpath("//*[@data-form-errors]//li/text()")
    assert listed == ["整张表单有误", "多余的字段", "渠道有误"]  # a hidden field's error has nowhere else to go
    assert "见习单位必填" in field_box(html, "data.unit").text_content()


def test_titles_help_choices_and_values_from_a_package_are_escaped(request_context, create_form):
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    schema = {
        "type": "object",
        "title": attack,
        "properties": {
            "a": {"type": "string", "title": attack, "description": attack},
            "b": {"type": "string", "oneOf": [{"const": '"><script>alert(3)</script>', "title": attack}]},
            "c": {"type": "boolean", "title": attack},
            "rows": {
                "type": "array",
                "title": attack,
                "items": {"type": "object", "properties": {"d": {"type": "string", "title": attack}}},
            },
            "e": {"type": "string", "enum": [attack], "title": "e"},
        },
    }
    form = create_form(schema, {"a": {"ui:help": attack, "ui:placeholder": attack}, "b": {"ui:widget": "radio"}})

    html = str(
        render_schema_form(
            form, {"a": attack, "b": '"><script>alert(3)</script>', "e": attack, "rows": [{"d": attack}]}, {"a": attack}
        )
    )

    page = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [s.get("src") for s in page.iter("script")] == ["/static/schema_rows.js"]
    assert not page.xpath("//img")
    assert not [a for e in page.iter() for a in e.attrib if a.startswith("on")]
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert read_formdata(form, browser_post(html)) == {
        "a": attack,
        "b": '"><script>alert(3)</script>',
        "c": False,
        "e": attack,
        "rows": [{"d": attack}],
    }


def test_one_of_shows_titles_and_posts_values_and_enum_shows_its_values(request_context, form):
    html = str(render_schema_form(form, {"kind": "enterprise", "trainees": [{"name": "张三", "degree": "master"}]}, {}))
    page = lxml.html.fragment_fromstring(html, create_parent="div")

    kinds = page.xpath('//input[@name="data.kind"]')
    assert [(k.get("type"), k.get("value"), k.get("checked") is not None) for k in kinds] == [
        ("radio", "enterprise", True),
        ("radio", "institution", False),
    ]
    assert [page.xpath(f'string(//label[@for="{k.get("id")}"])') for k in kinds] == ["企业", "事业单位"]
    degree = page.xpath('//select[@name="data.trainees.0.degree"]/option')
    assert [(o.get("value"), o.text, o.get("selected") is not None) for o in degree] == [
        ("", "请选择…", False),
        ("bachelor", "本科", False),
        ("master", "硕士研究生", True),
    ]
    sizes = page.xpath('//select[@name="data.size"]/option')
    assert [(o.get("value"), o.text) for o in sizes][1:] == [
        ("small", "small"),
        ("medium", "medium"),
        ("large", "large"),
    ]
    assert [o.text for o in page.xpath('//select[@name="data.level"]/option')][1:] == ["1", "2", "3"]
    tags = page.xpath('//input[@name="data.tags"]')
    assert [(t.get("type"), t.get("value")) for t in tags] == [
        ("checkbox", "tech"),
        ("checkbox", "admin"),
        ("checkbox", "service"),
    ]


def test_labels_required_marks_help_and_the_ui_schema_are_honoured(request_context, form):
    html = str(render_schema_form(form, {}, {}))
    page = lxml.html.fragment_fromstring(html, create_parent="div")

    names = [e.get("name") for e in page.xpath("//*[@name][not(ancestor::template)]")]
    top = list(dict.fromkeys(n.split(".")[1] for n in names))
    assert top[:2] == ["unit", "kind"] and top[-1] == "note"  # ui:order with "*"
    unit = field_box(html, "data.unit")
    assert unit.xpath("string(.//label)").strip() == "见习单位 *"
    assert unit.xpath(".//input")[0].get("aria-required") == "true"
    assert unit.xpath('string(.//*[@class="form-text"])') == "营业执照上的全称"  # the schema's description
    assert "单位：元，最多两位小数" in field_box(html, "data.amount").text_content()  # ui:help
    assert field_box(html, "data.amount").xpath('string(.//*[@class="input-group-text"])') == "元"
    assert "*" not in field_box(html, "data.headcount").xpath("string(.//label)")
    note = page.xpath('//textarea[@name="data.note"]')[0]
    assert note.get("placeholder") == "可不填"
    assert page.xpath('//input[@name="data.channel"]')[0].get("type") == "hidden"
    assert page.xpath('//input[@name="data.start"]')[0].get("type") == "date"
    assert page.xpath('//input[@name="data.signed_at"]')[0].get("type") == "datetime-local"
    assert page.xpath('//input[@name="data.contact.mobile"]')[0].get("type") == "tel"
    assert page.xpath('//input[@name="data.headcount"]')[0].get("inputmode") == "numeric"
    assert page.xpath('//input[@name="data.agreed"]')[0].get("value") == "y"
    assert page.xpath('string(//fieldset[@id="f-data.contact"]/legend)') == "联系人"


def test_readonly_fields_show_their_value_and_still_post_it(request_context, create_form):
    schema = {
        "type": "object",
        "properties": {
            "unit": {"type": "string", "title": "单位"},
            "kind": APPLICATION["properties"]["kind"],
            "size": APPLICATION["properties"]["size"],
            "agreed": {"type": "boolean", "title": "同意"},
            "tags": APPLICATION["properties"]["tags"],
            "trainees": TRAINEES,
        },
    }
    form = create_form(
        schema,
        {
            "unit": {"ui:readonly": True},
            "kind": {"ui:widget": "radio", "ui:readonly": True},
            "size": {"ui:readonly": True},
            "agreed": {"ui:readonly": True},
            "tags": {"ui:readonly": True},
            "trainees": {"ui:readonly": True},
        },
    )
    values = {
        "unit": "华宇",
        "kind": "enterprise",
        "size": "large",
        "agreed": True,
        "tags": ["admin"],
        "trainees": [{"name": "张三", "degree": "bachelor", "graduated": False}],
    }

    html = str(render_schema_form(form, values, {}))

    page = lxml.html.fragment_fromstring(html, create_parent="div")
    assert page.xpath('//input[@name="data.unit"]')[0].get("readonly") is not None
    assert all(e.get("disabled") is not None for e in page.xpath('//select|//input[@type="radio" or @type="checkbox"]'))
    assert page.xpath('//input[@name="data.trainees.0.name"]')[0].get("readonly") is not None
    assert not page.xpath("//button")  # no rows to add or remove
    assert len(page.xpath("//div[@data-row-list]/div[@data-row]")) == 1  # and no blank rows offered
    assert read_formdata(form, browser_post(html)) == values


def test_new_forms_show_the_defaults_and_a_refused_one_what_was_sent(request_context, create_form):
    schema = {
        "type": "object",
        "properties": {
            "size": {**APPLICATION["properties"]["size"], "default": "small"},
            "city": {"type": "string", "title": "城市", "default": "潍坊"},
        },
    }
    form = create_form(schema, {})

    fresh = browser_post(str(render_schema_form(form, {}, {})))
    refused = browser_post(str(render_schema_form(form, {"size": "large"}, {"size": "不对"})))

    assert (fresh["data.size"], fresh["data.city"]) == ("small", "潍坊")
    assert (refused["data.size"], refused["data.city"]) == ("large", "")


def test_arrays_offer_two_blank_rows_beyond_the_filled_ones_and_a_template_for_the_script(request_context, form):
    html = str(render_schema_form(form, FILLED, {}))
    page = lxml.html.fragment_fromstring(html, create_parent="div")

    box = page.xpath('//fieldset[@data-name="data.trainees"]')[0]
    rows = box.xpath("./div[@data-row-list]/div[@data-row]")
    assert len(rows) == len(FILLED["trainees"]) + SPARE_ROWS
    assert [r.get("data-spare") is not None for r in rows] == [False, False, False, True, True]
    assert rows[4].xpath('.//input[@type="text"]')[0].get("name") == "data.trainees.4.name"
    assert box.get("data-next-index") == "5" and box.get("data-min") == "1" and box.get("data-max") == "20"
    template = box.xpath("./template[@data-row-template]")[0]
    assert template.xpath(".//input")[0].get("name") == "data.trainees.__row__.name"
    assert box.xpath("./button[@data-row-add]")[0].get("hidden") is not None  # shown by the script
    assert "添加一行" in box.xpath("string(./button[@data-row-add])")
    assert box.get("data-row-text") == "第 {n} 行"
    # the blank rows posted as they are (as without JavaScript) change nothing
    assert read_formdata(form, browser_post(html)) == FILLED
    sites = page.xpath('//fieldset[@data-name="data.sites"]')[0]
    assert "schema-row-stacked" in sites.xpath(".//div[@data-row]")[0].get("class")  # rows holding rows are cards
    empty = lxml.html.fragment_fromstring(str(render_schema_form(form, {}, {})), create_parent="div")
    assert len(empty.xpath('//fieldset[@data-name="data.trainees"]/div[@data-row-list]/div')) == 1 + SPARE_ROWS


def test_blank_rows_stop_at_max_items(request_context, create_form):
    form = create_form({"type": "object", "properties": {"rows": {**TRAINEES, "maxItems": 3}}}, {})

    html = str(render_schema_form(form, {"rows": [{"name": "张三"}, {"name": "李四"}]}, {}))

    page = lxml.html.fragment_fromstring(html, create_parent="div")
    assert len(page.xpath("//div[@data-row-list]/div[@data-row]")) == 3


def test_a_file_field_gives_the_chosen_files_and_asks_for_them_again_on_a_refusal(request_context, create_form):
    schema = {
        "type": "object",
        "properties": {
            "licence": {"type": "string", "title": "营业执照"},
            "proofs": {"type": "array", "title": "证明材料", "items": {"type": "string"}},
        },
    }
    form = create_form(schema, {"licence": {"ui:widget": "file"}, "proofs": {"ui:widget": "file"}})
    files = MultiDict(
        [
            ("data.licence", FileStorage(BytesIO(b"%PDF"), "licence.pdf")),
            ("data.proofs", FileStorage(BytesIO(b"a"), "a.pdf")),
            ("data.proofs", FileStorage(BytesIO(b""), "")),  # an empty file input
            ("data.proofs", FileStorage(BytesIO(b"b"), "b.pdf")),
        ]
    )

    values = read_formdata(form, CombinedMultiDict([files, MultiDict()]))

    assert [f.filename for f in values["licence"]] == ["licence.pdf"]
    assert [f.filename for f in values["proofs"]] == ["a.pdf", "b.pdf"]
    html = str(render_schema_form(form, values, {"licence": "太大了"}))
    page = lxml.html.fragment_fromstring(html, create_parent="div")
    assert page.xpath('//input[@name="data.proofs"]')[0].get("multiple") is not None
    assert page.xpath('//input[@name="data.licence"]')[0].get("multiple") is None
    assert "a.pdf、b.pdf" in field_box(html, "data.proofs").text_content()


def test_local_references_and_conditional_fields_are_shown_and_read(request_context, create_form):
    schema = {
        "type": "object",
        "$defs": {"person": {"type": "object", "properties": {"name": {"type": "string", "title": "姓名"}}}},
        "properties": {
            "kind": APPLICATION["properties"]["kind"],
            "owner": {"$ref": "#/$defs/person", "title": "负责人"},
        },
        "if": {"properties": {"kind": {"const": "institution"}}},
        "then": {"properties": {"approval": {"type": "string", "title": "批准文号"}}, "required": ["approval"]},
    }
    form = create_form(schema, {})
    values = {"kind": "institution", "owner": {"name": "王芳"}, "approval": "潍人社〔2024〕1号"}

    html = str(render_schema_form(form, values, {}))

    assert field_box(html, "data.owner.name").xpath("string(.//label)") == "姓名"
    assert read_formdata(form, browser_post(html)) == values


def test_a_schema_that_refers_to_itself_is_shown_to_a_depth_and_read_as_far(request_context, create_form):
    schema = {
        "$ref": "#/$defs/unit",
        "$defs": {
            "unit": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "title": "名称"},
                    "parent": {"$ref": "#/$defs/unit", "title": "上级单位"},
                    "branches": {"type": "array", "title": "分支机构", "items": {"$ref": "#/$defs/unit"}},
                },
            }
        },
    }
    form = create_form(schema, {})
    values = {
        "name": "潍坊",
        "parent": {"name": "山东", "parent": {"name": "中国"}},
        "branches": [{"name": "奎文", "branches": [{"name": "东关"}]}],
    }

    html = str(render_schema_form(form, values, {}))

    assert field_box(html, "data.name").xpath("string(.//label)") == "名称 *"
    assert read_formdata(form, browser_post(html)) == values
    assert len(html) < 100_000  # it stops: one level beyond the values, not a page without end


def test_buttons_and_row_labels_are_in_english_for_english_users(request_context, form):
    with force_locale("en"):
        html = str(render_schema_form(form, {}, {}))

    assert "Add a row" in html and 'data-row-text="Row {n}"' in html and "Choose…" in html


WORD = r"^[^\s\x00-\x1f\x7f]+$"  # no blanks around it (they are trimmed) and no control characters (no form posts them)
ROUND_TRIP = {
    "type": "object",
    "required": ["name", "count", "agreed", "group", "rows"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[^\s\x00-\x1f\x7f]+( [^\s\x00-\x1f\x7f]+)*$"},
        "count": {"type": "integer", "minimum": -(10**12), "maximum": 10**12},
        "agreed": {"type": "boolean"},
        "kind": {"type": "string", "oneOf": [{"const": "a", "title": "甲"}, {"const": "b", "title": "乙"}]},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "group": {
            "type": "object",
            "required": ["flag"],
            "additionalProperties": False,
            "properties": {"flag": {"type": "boolean"}, "label": {"type": "string", "pattern": WORD}},
        },
        "rows": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {
                "type": "object",
                "required": ["name", "done"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": WORD},
                    "months": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "done": {"type": "boolean"},
                    "parts": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 3,
                        "items": {
                            "type": "object",
                            "required": ["part"],
                            "additionalProperties": False,
                            "properties": {"part": {"type": "string", "pattern": WORD}},
                        },
                    },
                },
            },
        },
    },
    "additionalProperties": False,
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(values=from_schema(ROUND_TRIP))
def test_any_values_of_a_schema_survive_the_page_and_back(request_context, values):
    """Strings without leading or trailing blanks, booleans present and rows not blank: nothing is lost."""
    form = SchemaForm(ROUND_TRIP, {"kind": {"ui:widget": "radio"}})

    html = str(render_schema_form(form, values, {}))

    assert read_formdata(form, browser_post(html)) == values


def test_a_date_time_is_shown_in_beijing_time(request_context, form):
    html = str(render_schema_form(form, {"signed_at": "2024-12-31T20:00:00Z"}, {}))

    shown = browser_post(html)["data.signed_at"]
    assert shown == "2025-01-01T04:00"
    assert datetime.fromisoformat(read_formdata(form, browser_post(html))["signed_at"]) == datetime(
        2024, 12, 31, 20, tzinfo=UTC
    )
