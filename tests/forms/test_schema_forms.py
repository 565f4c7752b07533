"""JSON Schema forms: each keyword and format refused naming the field; deploy refusals; the values stored."""

import json
import warnings
from copy import deepcopy
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisWarning
from hypothesis_jsonschema import from_schema

from forms.schema_forms import FORMATS, SchemaForm, register_format, schema_form, schema_problems

ID_CARD = "11010519491231002X"  # GB 11643-1999's own example
ID_CARD_2 = "370702199001011234"
USCC = "91370700MA3C4XY01B"

SCHEMA = {
    "type": "object",
    "title": "就业见习补贴申请",
    "required": ["unit_name", "uscc", "trainee_count", "trainees"],
    "properties": {
        "unit_name": {"type": "string", "title": "单位名称", "minLength": 2, "maxLength": 20},
        "uscc": {"type": "string", "title": "统一社会信用代码", "format": "uscc"},
        "trainee_count": {"type": "integer", "title": "见习人数", "minimum": 1, "maximum": 200},
        "rate": {"type": "number", "title": "补贴比例", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "months": {"type": "integer", "title": "见习月数", "multipleOf": 3},
        "amount": {"type": "string", "title": "申请金额", "format": "money-yuan"},
        "mobile": {"type": "string", "title": "联系电话", "format": "cn-mobile"},
        "email": {"type": "string", "title": "电子邮箱", "format": "email"},
        "start_date": {"type": "string", "title": "见习开始日期", "format": "date"},
        "signed_at": {"type": "string", "title": "签订时间", "format": "date-time"},
        "postcode": {"type": "string", "title": "邮政编码", "pattern": "^[0-9]{6}$"},
        "category": {"type": "string", "title": "单位类型", "enum": ["企业", "事业单位", "社会组织"]},
        "insured": {"type": "boolean", "title": "已缴纳意外伤害保险"},
        "promise": {"const": True, "title": "承诺所填内容属实"},
        "county": {
            "type": "string",
            "title": "所属区县",
            "oneOf": [{"const": "kuiwen", "title": "奎文区"}, {"const": "shouguang", "title": "寿光市"}],
        },
        "decision": {
            "type": "string",
            "title": "审核意见",
            "oneOf": [{"const": "approve", "title": "同意"}, {"const": "refuse", "title": "不同意"}],
        },
        "reason": {"type": "string", "title": "不同意的理由"},
        "agent_name": {"type": "string", "title": "经办人"},
        "agent_mobile": {"type": "string", "title": "经办人电话"},
        "items": {
            "type": "array",
            "title": "补贴项目",
            "uniqueItems": True,
            "minItems": 1,
            "maxItems": 2,
            "items": {"type": "string", "enum": ["生活补助", "保险费", "带教费"]},
        },
        "address": {"$ref": "#/$defs/address"},
        "trainees": {
            "type": "array",
            "title": "见习人员",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "type": "object",
                "required": ["name", "id_number"],
                "properties": {
                    "name": {"type": "string", "title": "姓名", "minLength": 1},
                    "id_number": {"type": "string", "title": "身份证号码", "format": "cn-id-card"},
                    "monthly": {"type": "string", "title": "月补贴", "format": "money-yuan"},
                },
            },
        },
    },
    "$defs": {
        "address": {
            "type": "object",
            "title": "通讯地址",
            "properties": {"city": {"type": "string", "title": "城市", "maxLength": 10}},
        }
    },
    "dependentRequired": {"agent_name": ["agent_mobile"]},
    "if": {"properties": {"decision": {"const": "refuse"}}, "required": ["decision"]},
    "then": {"required": ["reason"]},
}
UI_SCHEMA = {
    "ui:order": ["unit_name", "uscc", "*"],
    "unit_name": {"ui:title": "用人单位名称"},
    "reason": {"ui:widget": "textarea"},
    "trainees": {"items": {"name": {"ui:title": "见习人员姓名"}}},
}
VALID = {
    "unit_name": "潍坊华宇",
    "uscc": USCC,
    "trainee_count": 2,
    "rate": 0.5,
    "months": 6,
    "amount": "1234.50",
    "mobile": "13812345678",
    "email": "hr@huayu.cn",
    "start_date": "2024-05-01",
    "signed_at": "2024-05-01T09:30:00+08:00",
    "postcode": "261000",
    "category": "企业",
    "insured": True,
    "promise": True,
    "county": "kuiwen",
    "decision": "approve",
    "items": ["生活补助"],
    "address": {"city": "潍坊"},
    "trainees": [{"name": "张三", "id_number": ID_CARD, "monthly": "1800"}, {"name": "李四", "id_number": ID_CARD_2}],
}
GONE = object()


def changed(changes: dict) -> dict:
    """VALID with some values replaced (a dotted path reaches rows); GONE removes the key."""
    data = deepcopy(VALID)
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = data
        for step in parents:
            target = target[int(step) if step.isdigit() else step]
        last = int(last) if last.isdigit() else last
        if value is GONE:
            del target[last]
        else:
            target[last] = value
    return data


@pytest.fixture
def form():
    return SchemaForm(SCHEMA, UI_SCHEMA)


def test_the_valid_data_is_valid(request_context, form):
    assert form.validate(VALID) == {}


# (what is changed, a value within bounds): each keyword's valid side
VALID_CASES = [
    ({"unit_name": "华宇"}, "minLength reached"),
    ({"unit_name": "潍" * 20}, "maxLength reached"),
    ({"trainee_count": 1}, "minimum reached"),
    ({"trainee_count": 200}, "maximum reached"),
    ({"trainee_count": 3.0}, "an integer written 3.0"),
    ({"rate": 0.01}, "just above exclusiveMinimum"),
    ({"months": 0}, "a multiple of 3"),
    ({"postcode": "262700"}, "pattern"),
    ({"category": "社会组织"}, "enum"),
    ({"county": "shouguang"}, "oneOf const"),
    ({"insured": False}, "boolean"),
    ({"decision": "refuse", "reason": "材料不全"}, "then satisfied"),
    ({"decision": GONE}, "if not met"),
    ({"agent_name": "王五", "agent_mobile": "13900000000"}, "dependentRequired satisfied"),
    ({"agent_mobile": "13900000000"}, "dependentRequired not triggered"),
    ({"items": ["生活补助", "保险费"]}, "maxItems reached, unique"),
    ({"trainees": [{"name": "张三", "id_number": ID_CARD}] * 3}, "maxItems of rows reached"),
    ({"address": {}}, "a $ref'd object"),
    ({"rate": GONE, "months": GONE, "amount": GONE, "email": GONE}, "optional fields left out"),
    ({"amount": "0"}, "money-yuan zero"),
    ({"amount": "9999999999999.99"}, "money-yuan at core.money's bound"),
    ({"amount": "12.5"}, "money-yuan one decimal"),
    ({"uscc": "91370700MA3C4XY01B"}, "uscc"),
    ({"uscc": "９１３７０７００ＭＡ３Ｃ４ＸＹ０１Ｂ"}, "uscc typed full-width (a Chinese input method)"),
    ({"uscc": "91370700ma3c 4xy0 1b"}, "uscc in lower case with spaces"),
    ({"trainees.0.id_number": "37078220040229001" + "6"}, "cn-id-card born on a 29 February"),
    ({"mobile": "19912345678"}, "cn-mobile 19x"),
    ({"start_date": "2100-12-31"}, "date on the last typed year"),
    ({"signed_at": "2024-05-01T01:30:00.5Z"}, "date-time in UTC with a fraction"),
    ({"email": "a.b+c@mail.example.com.cn"}, "email"),
]


@pytest.mark.parametrize("changes", [case[0] for case in VALID_CASES], ids=[case[1] for case in VALID_CASES])
def test_values_within_each_keyword_and_format_are_accepted(request_context, form, changes):
    assert form.validate(changed(changes)) == {}


# (what is changed, the path of the error, its Chinese message)
INVALID_CASES = [
    ("required", {"uscc": GONE}, "uscc", "请填写‘统一社会信用代码’"),
    ("required ui:title", {"unit_name": GONE}, "unit_name", "请填写‘用人单位名称’"),
    ("required in a row", {"trainees.1.id_number": GONE}, "trainees.1.id_number", "请填写第 2 行‘身份证号码’"),
    ("required in a row ui:title", {"trainees.0.name": GONE}, "trainees.0.name", "请填写第 1 行‘见习人员姓名’"),
    ("type string", {"postcode": 261000}, "postcode", "‘邮政编码’应填写文字"),
    ("type integer", {"trainee_count": 2.5}, "trainee_count", "‘见习人数’应填写整数"),
    ("type integer bool", {"trainee_count": True}, "trainee_count", "‘见习人数’应填写整数"),
    ("type number", {"rate": "0.5"}, "rate", "‘补贴比例’应填写数字"),
    ("type number NaN", {"rate": float("nan")}, "rate", "‘补贴比例’应填写数字"),
    ("type boolean", {"insured": "y"}, "insured", "‘已缴纳意外伤害保险’应选择“是”或“否”"),
    ("type object", {"address": "潍坊"}, "address", "‘通讯地址’应为一组填写项（JSON 对象）"),
    ("type array", {"trainees": {"name": "张三"}}, "trainees", "‘见习人员’应为列表（JSON 数组）"),
    ("type money", {"amount": 1234.5}, "amount", '‘申请金额’：金额请以文本填写数字，如 "1234.56"'),
    ("enum", {"category": "个体户"}, "category", "‘单位类型’只能是以下之一：企业、事业单位、社会组织"),
    ("enum in an array", {"items": ["交通费"]}, "items.0", "‘补贴项目’第 1 行只能是以下之一：生活补助、保险费、带教费"),
    ("oneOf const", {"county": "qingzhou"}, "county", "‘所属区县’只能是以下之一：奎文区、寿光市"),
    ("const true", {"promise": False}, "promise", "请勾选‘承诺所填内容属实’"),
    ("minimum", {"trainee_count": 0}, "trainee_count", "‘见习人数’不能小于 1"),
    ("maximum", {"trainee_count": 201}, "trainee_count", "‘见习人数’不能大于 200"),
    ("exclusiveMinimum", {"rate": 0}, "rate", "‘补贴比例’应大于 0"),
    ("exclusiveMaximum", {"rate": 1}, "rate", "‘补贴比例’应小于 1"),
    ("multipleOf", {"months": 4}, "months", "‘见习月数’应为 3 的整数倍"),
    ("minLength", {"unit_name": "华"}, "unit_name", "‘用人单位名称’不能少于 2 个字"),
    ("minLength 1 empty", {"trainees.0.name": ""}, "trainees.0.name", "请填写第 1 行‘见习人员姓名’"),
    ("maxLength", {"unit_name": "潍" * 21}, "unit_name", "‘用人单位名称’不能超过 20 个字"),
    ("maxLength nested $ref", {"address": {"city": "潍" * 11}}, "address.city", "‘城市’不能超过 10 个字"),
    ("pattern", {"postcode": "26100"}, "postcode", "‘邮政编码’格式不正确"),
    ("minItems rows", {"trainees": []}, "trainees", "‘见习人员’至少填写 1 行"),
    (
        "maxItems rows",
        {"trainees": [{"name": "张三", "id_number": ID_CARD}] * 4},
        "trainees",
        "‘见习人员’最多填写 3 行",
    ),
    ("minItems choices", {"items": []}, "items", "‘补贴项目’至少选择 1 项"),
    ("maxItems choices", {"items": ["生活补助", "保险费", "带教费"]}, "items", "‘补贴项目’最多选择 2 项"),
    ("uniqueItems", {"items": ["生活补助", "生活补助"]}, "items", "‘补贴项目’有重复项"),
    ("if/then", {"decision": "refuse"}, "reason", "请填写‘不同意的理由’"),
    ("dependentRequired", {"agent_name": "王五"}, "agent_mobile", "填写了‘经办人’的，还须填写‘经办人电话’"),
    ("unknown key", {"bonus": 1}, "bonus", "‘bonus’不是本表的填写项"),
    ("unknown key in a row", {"trainees.0.age": 20}, "trainees.0.age", "‘age’不是本表的填写项"),
    ("unknown key in a $ref'd object", {"address": {"street": "胜利街"}}, "address.street", "‘street’不是本表的填写项"),
    ("format date", {"start_date": "2024/05/01"}, "start_date", "‘见习开始日期’：应为日期，格式如 2024-05-01"),
    (
        "format date no such day",
        {"start_date": "2023-02-29"},
        "start_date",
        "‘见习开始日期’：应为日期，格式如 2024-05-01",
    ),
    (
        "format date out of range",
        {"start_date": "0001-01-01"},
        "start_date",
        "‘见习开始日期’：日期应在 1900-01-01 至 2100-12-31 之间",
    ),
    (
        "format date-time",
        {"signed_at": "2024-05-01 09:30"},
        "signed_at",
        "‘签订时间’：应为日期和时间，格式如 2024-05-01T09:30:00+08:00",
    ),
    ("format email", {"email": "hr@huayu"}, "email", "‘电子邮箱’：应为电子邮箱地址，格式如 name@example.com"),
    ("format uscc length", {"uscc": USCC[:17]}, "uscc", "‘统一社会信用代码’：统一社会信用代码应为 18 位，现为 17 位"),
    (
        "format uscc characters",
        {"uscc": USCC[:16] + "I2"},
        "uscc",
        "‘统一社会信用代码’：第 17 位“I”不能出现在统一社会信用代码中（只能是数字和除 I、O、S、V、Z 以外的大写字母）",
    ),
    (
        "format uscc organisation code",
        {"uscc": "91370700MA3C4XY0X2"},
        "uscc",
        "‘统一社会信用代码’：第 9 至 17 位组织机构代码 MA3C4XY0X 的校验码（第 17 位）不符，请核对",
    ),
    (
        "format uscc check",
        {"uscc": USCC[:17] + "3"},
        "uscc",
        "‘统一社会信用代码’：校验码（最后一位）与前 17 位不符，请核对",
    ),
    (
        "format cn-id-card length",
        {"trainees.0.id_number": ID_CARD[:15]},
        "trainees.0.id_number",
        "第 1 行‘身份证号码’：应为 18 位",
    ),
    (
        "format cn-id-card characters",
        {"trainees.0.id_number": ID_CARD[:17] + "x"},
        "trainees.0.id_number",
        "第 1 行‘身份证号码’：前 17 位应为数字，最后一位为数字或 X",
    ),
    (
        "format cn-id-card birth",
        {"trainees.1.id_number": "370782200502290013"},
        "trainees.1.id_number",
        "第 2 行‘身份证号码’：出生日期（第 7 至 14 位）不正确",
    ),
    (
        "format cn-id-card born in the future",
        {"trainees.1.id_number": "370782299901010010"},
        "trainees.1.id_number",
        "第 2 行‘身份证号码’：出生日期（第 7 至 14 位）不正确",
    ),
    (
        "format cn-id-card check",
        {"trainees.1.id_number": ID_CARD_2[:17] + "5"},
        "trainees.1.id_number",
        "第 2 行‘身份证号码’：校验码（最后一位）不符，请核对",
    ),
    ("format cn-mobile", {"mobile": "12812345678"}, "mobile", "‘联系电话’：应为以 1 开头的 11 位手机号码"),
    ("format cn-mobile short", {"mobile": "1381234567"}, "mobile", "‘联系电话’：应为以 1 开头的 11 位手机号码"),
    ("format money-yuan fen", {"amount": "12.345"}, "amount", "‘申请金额’：金额以元为单位，最多保留两位小数（到分）"),
    ("format money-yuan negative", {"amount": "-5"}, "amount", "‘申请金额’：金额不能为负数"),
    ("format money-yuan exponent", {"amount": "1E+3"}, "amount", "‘申请金额’：请用数字填写金额，例如 1234.56"),
    ("format money-yuan NaN", {"amount": "NaN"}, "amount", "‘申请金额’：请用数字填写金额，例如 1234.56"),
    ("format money-yuan Infinity", {"amount": "Infinity"}, "amount", "‘申请金额’：请用数字填写金额，例如 1234.56"),
    ("format money-yuan separators", {"amount": "1,234.50"}, "amount", "‘申请金额’：请用数字填写金额，例如 1234.56"),
    (
        "format money-yuan too large",
        {"amount": "10000000000000"},
        "amount",
        "‘申请金额’：金额最多为 9,999,999,999,999.99 元",
    ),
    (
        "format money-yuan in a row",
        {"trainees.1.monthly": "1800.001"},
        "trainees.1.monthly",
        "第 2 行‘月补贴’：金额以元为单位，最多保留两位小数（到分）",
    ),
]


@pytest.mark.parametrize(
    "changes, path, message", [case[1:] for case in INVALID_CASES], ids=[case[0] for case in INVALID_CASES]
)
def test_each_keyword_and_format_refuses_with_a_chinese_message_naming_the_field(
    request_context, form, changes, path, message
):
    assert form.validate(changed(changes)) == {path: message}


def test_every_error_of_a_submission_is_reported_by_its_path(request_context, form):
    errors = form.validate(changed({"unit_name": GONE, "trainee_count": 0, "trainees.1.id_number": "1"}))
    assert errors == {
        "unit_name": "请填写‘用人单位名称’",
        "trainee_count": "‘见习人数’不能小于 1",
        "trainees.1.id_number": "第 2 行‘身份证号码’：应为 18 位",
    }


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"uscc": GONE}, "uscc", "Fill in '统一社会信用代码'"),
        ({"trainee_count": 0}, "trainee_count", "'见习人数' must be at least 1"),
        (
            {"trainees.1.id_number": ID_CARD_2[:17] + "5"},
            "trainees.1.id_number",
            "'身份证号码' in row 2: the check character (the last one) does not match; check what was typed",
        ),
        ({"trainees": []}, "trainees", "Add at least 1 row to '见习人员'"),
        ({"county": "qingzhou"}, "county", "'所属区县' must be one of: 奎文区, 寿光市"),
        ({"amount": "-5"}, "amount", "'申请金额': an amount cannot be negative"),
        ({"decision": "refuse"}, "reason", "Fill in '不同意的理由'"),
        ({"bonus": 1}, "bonus", "'bonus' is not a field of this form"),
    ],
    ids=["required", "minimum", "cn-id-card in a row", "minItems", "oneOf", "money-yuan", "if/then", "unknown key"],
)
def test_messages_are_in_english_for_an_english_user(request_context, form, changes, path, message):
    with force_locale("en"):
        assert form.validate(changed(changes)) == {path: message}


def test_a_whole_form_that_is_no_object_is_refused_as_a_whole(request_context, form):
    assert form.validate(["潍坊华宇"]) == {"": "表单应为一组填写项（JSON 对象）"}


def test_rows_of_rows_are_named_by_both_row_numbers(request_context):
    course = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "title": "课程名称"}}}
    form = SchemaForm(
        {
            "type": "object",
            "properties": {
                "trainees": {
                    "type": "array",
                    "title": "见习人员",
                    "items": {
                        "type": "object",
                        "properties": {"courses": {"type": "array", "title": "课程", "items": course}},
                    },
                }
            },
        }
    )
    data = {"trainees": [{"courses": []}, {"courses": [{"name": "焊接"}, {}]}]}
    assert form.validate(data) == {"trainees.1.courses.1.name": "请填写第 2 行‘课程’第 2 行‘课程名称’"}
    with force_locale("en"):
        assert form.validate(data) == {"trainees.1.courses.1.name": "Fill in '课程名称' in row 2 of '课程' in row 2"}


def test_alternatives_other_than_choices_say_what_is_wrong_with_the_closest_one(request_context):
    form = SchemaForm(
        {
            "type": "object",
            "properties": {
                "code": {
                    "title": "编号",
                    "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}],
                },
                "contact": {
                    "title": "联系方式",
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["phone"],
                            "properties": {"phone": {"type": "string", "title": "电话"}},
                        },
                        {
                            "type": "object",
                            "required": ["email"],
                            "properties": {"email": {"type": "string", "title": "邮箱"}},
                        },
                    ],
                },
            },
        }
    )
    assert form.validate({"code": 0}) == {"code": "‘编号’不能小于 1"}
    assert form.validate({"code": "12a"}) == {"code": "‘编号’格式不正确"}
    assert form.validate({"code": True}) == {"code": "‘编号’应填写整数"}
    assert form.validate({"contact": {"phone": 1}}) == {"contact": "‘电话’应填写文字"}
    assert form.validate({"code": 7, "contact": {"email": "a@b.cn"}}) == {}


def test_additional_properties_the_schema_allows_are_kept(request_context):
    form = SchemaForm({"type": "object", "properties": {"name": {"type": "string"}}, "additionalProperties": True})
    assert form.validate({"name": "张三", "note": "备注"}) == {}
    strict = SchemaForm(
        {"type": "object", "properties": {"name": {"type": "string", "title": "姓名"}}, "additionalProperties": False}
    )
    assert strict.validate({"name": "张三", "note": "备注"}) == {"note": "‘note’不是本表的填写项"}


def test_a_field_declared_only_under_then_is_no_unknown_key(request_context):
    form = SchemaForm(
        {
            "type": "object",
            "properties": {"kind": {"type": "string"}},
            "if": {"properties": {"kind": {"const": "other"}}, "required": ["kind"]},
            "then": {
                "properties": {"detail": {"type": "string", "title": "说明", "minLength": 2}},
                "required": ["detail"],
            },
        }
    )
    assert form.validate({"kind": "other", "detail": "其他情况"}) == {}
    assert form.validate({"kind": "other", "detail": "x"}) == {"detail": "‘说明’不能少于 2 个字"}
    assert form.validate({"kind": "other"}) == {"detail": "请填写‘说明’"}


def test_a_recursive_local_ref_validates(request_context):
    form = SchemaForm(
        {
            "type": "object",
            "properties": {"unit": {"$ref": "#/$defs/unit"}},
            "$defs": {
                "unit": {
                    "type": "object",
                    "title": "单位",
                    "properties": {
                        "name": {"type": "string", "title": "名称", "maxLength": 4},
                        "parent": {"$ref": "#/$defs/unit"},
                    },
                }
            },
        }
    )
    assert form.validate({"unit": {"name": "奎文区", "parent": {"name": "潍坊市"}}}) == {}
    assert form.validate({"unit": {"name": "潍坊市人社局"}}) == {"unit.name": "‘名称’不能超过 4 个字"}
    # below the recursion the field has no title of its own: it is named by its key
    assert form.validate({"unit": {"parent": {"name": "潍坊市人社局"}}}) == {
        "unit.parent.name": "‘name’不能超过 4 个字"
    }


def test_stored_data_keeps_amounts_as_decimal_and_whole_numbers_as_int(request_context, form):
    data = changed({"trainee_count": 3.0, "amount": "12.5"})
    stored = form.stored_data(data)
    assert stored["amount"] == Decimal("12.50") and isinstance(stored["amount"], Decimal)
    assert stored["trainees"][0]["monthly"] == Decimal("1800.00")
    assert stored["trainee_count"] == 3 and type(stored["trainee_count"]) is int
    assert stored["rate"] == 0.5 and stored["trainees"][1] == VALID["trainees"][1]
    assert {key: value for key, value in stored.items() if key not in ("amount", "trainee_count", "trainees")} == {
        key: value for key, value in data.items() if key not in ("amount", "trainee_count", "trainees")
    }
    assert data["amount"] == "12.5"  # the caller's dict is not changed


def test_a_code_typed_with_a_chinese_input_method_is_stored_as_written(request_context, form):
    data = changed({"uscc": "９１３７０７００ｍａ３ｃ 4XY0 1B"})
    assert form.validate(data) == {}
    assert form.stored_data(data)["uscc"] == USCC


def test_describe_gives_copies_of_the_schema_and_ui_schema(form):
    described = form.describe()
    assert described == {"schema": SCHEMA, "ui_schema": UI_SCHEMA}
    described["schema"]["properties"]["comment"] = {"type": "string"}
    assert "comment" not in form.describe()["schema"]["properties"]


def test_a_form_is_compiled_once_per_cache_key():
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    first = schema_form(("sha-1", "a.json"), schema)
    assert schema_form(("sha-1", "a.json"), schema) is first
    assert schema_form(("sha-2", "a.json"), schema) is not first


def test_a_registered_format_is_checked_with_its_reason(request_context):
    register_format("test-postcode", lambda text: None if text.isdigit() and len(text) == 6 else "应为 6 位数字")
    try:
        schema = {
            "type": "object",
            "properties": {"code": {"type": "string", "title": "邮编", "format": "test-postcode"}},
        }
        assert schema_problems("post.json", schema) == []
        assert SchemaForm(schema).validate({"code": "26100"}) == {"code": "‘邮编’：应为 6 位数字"}
        assert SchemaForm(schema).validate({"code": "261000"}) == {}
    finally:
        del FORMATS["test-postcode"]


def test_a_remote_ref_is_never_fetched(request_context, monkeypatch):
    """A schema that skipped the deploy check still reads nothing from the network: its remote ref is unresolvable."""
    import urllib.request

    from referencing.exceptions import Unresolvable

    fetched = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *args, **kwargs: fetched.append(args) or 1 / 0)
    form = SchemaForm({"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}})
    with pytest.raises(Unresolvable):
        form.validate({"a": 1})
    assert fetched == []


# ---- Deploy refusals ------------------------------------------------------------------------------------------


def test_the_schema_and_ui_schema_of_the_matrix_pass_the_deploy_check(request_context):
    assert schema_problems("apply.json", SCHEMA, UI_SCHEMA) == []


PROBLEM_CASES = [
    ("not an object", ["x"], None, ["apply.json：表单的 schema 应为 JSON 对象"]),
    (
        "another draft",
        {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {}},
        None,
        [
            'apply.json#/$schema：表单按 JSON Schema 2020-12 版校验，请删去 "$schema" 或写为 '
            "https://json-schema.org/draft/2020-12/schema"
        ],
    ),
    (
        "invalid schema",
        {"type": "object", "properties": {"age": {"type": "integer", "minimum": "1"}}},
        None,
        ["apply.json#/properties/age/minimum：不是有效的 JSON Schema（2020-12 版）：'1' is not of type 'number'"],
    ),
    ("unknown type", {"type": "object", "properties": {"age": {"type": "int"}}}, None, None),
    (
        "pattern",
        {"type": "object", "properties": {"code": {"type": "string", "pattern": "([0-9]"}}},
        None,
        [
            "apply.json#/properties/code/pattern：正则表达式 ([0-9] 无法编译：missing ), unterminated subpattern at "
            "position 0"
        ],
    ),
    (
        "patternProperties",
        {"type": "object", "properties": {}, "patternProperties": {"*x": {}}},
        None,
        ["apply.json#/patternProperties/*x：正则表达式 *x 无法编译：nothing to repeat at position 0"],
    ),
    (
        "unknown format",
        {"type": "object", "properties": {"phone": {"type": "string", "format": "phone"}}},
        None,
        [
            'apply.json#/properties/phone/format：未知的格式 "phone"（可用：date, date-time, email, uscc, cn-id-card, '
            "cn-mobile, money-yuan）"
        ],
    ),
    (
        "money-yuan as a number",
        {"type": "object", "properties": {"a": {"type": "number", "format": "money-yuan"}}},
        None,
        [
            'apply.json#/properties/a/format：money-yuan 格式须配合 "type": "string"（金额以文本传送，如 '
            '"1234.50"，不用二进制小数）'
        ],
    ),
    (
        "remote $ref",
        {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}},
        None,
        [
            'apply.json#/properties/a/$ref："https://example.com/a.json" 指向本文件之外；只能引用本文件内的定义'
            '（"#/$defs/..."）'
        ],
    ),
    (
        "relative $ref",
        {"type": "object", "properties": {"a": {"$ref": "common.json#/$defs/a"}}},
        None,
        [
            'apply.json#/properties/a/$ref："common.json#/$defs/a" 指向本文件之外；只能引用本文件内的定义'
            '（"#/$defs/..."）'
        ],
    ),
    (
        "dangling local $ref",
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/b"}}, "$defs": {"a": {}}},
        None,
        ['apply.json#/properties/a/$ref："#/$defs/b" 在本文件中找不到'],
    ),
    (
        "root is no object",
        {"type": "string"},
        None,
        ['apply.json：表单的 schema 应为 "type": "object"，各填写项写在 "properties" 下'],
    ),
    (
        "too deep",
        {"type": "object", "properties": {"a": json.loads("[" * 70 + "]" * 70)}},
        None,
        ["apply.json：schema 的嵌套超过 64 层"],
    ),
    (
        "ui widget",
        {"type": "object", "properties": {"a": {"type": "string"}}},
        {"a": {"ui:widget": "slider"}},
        [
            'apply.ui.json#/a/ui:widget：不支持控件 "slider"（支持：text, textarea, radio, select, checkboxes, date, hidden, '
            "file）"
        ],
    ),
    (
        "ui widget in rows",
        {
            "type": "object",
            "properties": {
                "rows": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}}
            },
        },
        {"rows": {"items": {"a": {"ui:widget": "color"}}}},
        [
            'apply.ui.json#/rows/items/a/ui:widget：不支持控件 "color"（支持：text, textarea, radio, select, checkboxes, '
            "date, hidden, file）"
        ],
    ),
    (
        "ui:order unknown field",
        {"type": "object", "properties": {"a": {}, "b": {}}},
        {"ui:order": ["a", "c", "*"]},
        ["apply.ui.json#/ui:order：ui:order 中的 c 不是填写项"],
    ),
    (
        "ui:order missing field",
        {"type": "object", "properties": {"a": {}, "b": {}}},
        {"ui:order": ["a"]},
        ['apply.ui.json#/ui:order：ui:order 未列出 b；请列出，或在末尾加 "*"'],
    ),
    (
        "ui schema not an object",
        {"type": "object", "properties": {}},
        ["a"],
        ["apply.ui.json：ui schema 应为 JSON 对象"],
    ),
]


@pytest.mark.parametrize(
    "schema, ui_schema, expected", [case[1:] for case in PROBLEM_CASES], ids=[case[0] for case in PROBLEM_CASES]
)
def test_a_form_that_cannot_work_is_refused_at_deploy_naming_file_and_place(
    request_context, schema, ui_schema, expected
):
    problems = schema_problems("apply.json", schema, ui_schema, "apply.ui.json")
    if expected is None:  # jsonschema's own wording of the reason: only where it is
        assert len(problems) == 1 and problems[0].startswith("apply.json#/properties/age/type：不是有效的 JSON Schema")
    else:
        assert problems == expected


def test_deploy_refusals_are_in_english_for_an_english_user(request_context):
    with force_locale("en"):
        assert schema_problems(
            "apply.json",
            {
                "type": "object",
                "properties": {"a": {"$ref": "https://example.com/a.json"}, "b": {"type": "string", "format": "phone"}},
            },
        ) == [
            'apply.json#/properties/a/$ref: "https://example.com/a.json" points outside this file; only references '
            'within it ("#/$defs/...") are allowed',
            'apply.json#/properties/b/format: unknown format "phone" (known: date, date-time, email, uscc, '
            "cn-id-card, cn-mobile, money-yuan)",
        ]


def test_a_ui_schema_without_its_file_name_is_named_by_the_schema_file(request_context):
    assert schema_problems(
        "apply.json", {"type": "object", "properties": {"a": {"type": "string"}}}, {"a": {"ui:widget": "slider"}}
    ) == [
        'apply.json 的 ui schema#/a/ui:widget：不支持控件 "slider"（支持：text, textarea, radio, select, checkboxes, '
        "date, hidden, file）"
    ]


def test_local_refs_to_defs_and_anchors_pass_the_deploy_check(request_context):
    assert (
        schema_problems(
            "apply.json",
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/a"}, "b": {"$ref": "#person"}},
                "$defs": {"a": {"type": "string"}, "person": {"$anchor": "person", "type": "object"}},
            },
        )
        == []
    )


# ---- Property: generated values are accepted and round-trip ------------------------------------------------------

PROPERTY_SCHEMA = {
    "type": "object",
    "required": ["unit_name", "uscc", "trainee_count", "amount", "start_date", "trainees"],
    "properties": {
        "unit_name": {"type": "string", "title": "单位名称", "minLength": 1, "maxLength": 50},
        "uscc": {"type": "string", "title": "统一社会信用代码", "format": "uscc"},
        "trainee_count": {"type": "integer", "title": "见习人数", "minimum": 1, "maximum": 200},
        "amount": {"type": "string", "title": "申请金额", "format": "money-yuan"},
        "start_date": {"type": "string", "title": "见习开始日期", "format": "date"},
        "mobile": {"type": "string", "title": "联系电话", "format": "cn-mobile"},
        "county": {
            "type": "string",
            "title": "所属区县",
            "oneOf": [{"const": "kuiwen", "title": "奎文区"}, {"const": "shouguang", "title": "寿光市"}],
        },
        "insured": {"type": "boolean", "title": "已缴纳意外伤害保险"},
        "postcode": {"type": "string", "title": "邮政编码", "pattern": "^[0-9]{6}$"},
        "trainees": {
            "type": "array",
            "title": "见习人员",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "type": "object",
                "required": ["name", "id_number"],
                "properties": {
                    "name": {"type": "string", "title": "姓名", "minLength": 1, "maxLength": 20},
                    "id_number": {"type": "string", "title": "身份证号码", "format": "cn-id-card"},
                    "monthly": {"type": "string", "title": "月补贴", "format": "money-yuan"},
                },
            },
        },
    },
}
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def usccs(draw):
    """A code of GB 32100's structure: an authority and a kind it registers, a province's division, an
    organisation code with its check character, the check character."""
    from workflow_app.core.uscc import INSTITUTION_KINDS, PROVINCES, org_code_check_char, uscc_check_char

    authority = draw(st.sampled_from(sorted(INSTITUTION_KINDS)))
    division = draw(st.sampled_from(sorted(PROVINCES))) + draw(st.text("0123456789", min_size=4, max_size=4))
    org_code = draw(st.text(USCC_ALPHABET, min_size=8, max_size=8))
    first17 = (
        authority
        + draw(st.sampled_from(INSTITUTION_KINDS[authority]))
        + division
        + org_code
        + org_code_check_char(org_code)
    )
    return first17 + uscc_check_char(first17)


@st.composite
def id_card_numbers(draw):
    from forms.schema_forms import id_card_check_char

    region = draw(st.integers(110000, 659999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    first17 = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_card_check_char(first17)


AMOUNTS = st.tuples(
    st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2, allow_nan=False, allow_infinity=False),
    st.booleans(),
).map(lambda drawn: f"{drawn[0]:f}".rstrip("0").rstrip(".") if drawn[1] else f"{drawn[0]:f}")  # 12.50 or 12.5
GENERATED_FORMATS = {
    "uscc": usccs(),
    "cn-id-card": id_card_numbers(),
    "cn-mobile": st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
    "money-yuan": AMOUNTS,
    "date": st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(lambda day: day.isoformat()),
}


def closed(schema: dict) -> dict:
    """The schema with "additionalProperties": false on each object: what the form takes, for generating values."""
    schema = deepcopy(schema)
    for part in (schema, schema["properties"]["trainees"]["items"]):
        part["additionalProperties"] = False
    return schema


with warnings.catch_warnings():  # dates are ours on purpose: within the years a person may type
    warnings.filterwarnings("ignore", "Overriding standard format 'date'", HypothesisWarning)
    PROPERTY_VALUES = from_schema(closed(PROPERTY_SCHEMA), custom_formats=GENERATED_FORMATS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=PROPERTY_VALUES)
def test_generated_values_are_accepted_and_round_trip_through_the_stored_task_data(plain_app, data):
    from workflow_app.engine.limits import ModelLimits, check_task_data
    from workflow_app.engine.serialization import SERIALIZER

    with plain_app.test_request_context():
        form = SchemaForm(PROPERTY_SCHEMA)
        assert form.validate(data) == {}
        stored = form.stored_data(data)
        check_task_data(stored, ModelLimits.current())
        restored = SERIALIZER.registry.restore(json.loads(json.dumps(SERIALIZER.registry.convert(stored))))
        assert restored == stored
        assert restored["amount"] == Decimal(data["amount"]) and isinstance(restored["amount"], Decimal)
        shown_again = {
            **restored,
            "amount": f"{restored['amount']}",
            "trainees": [
                {**row, **({"monthly": f"{row['monthly']}"} if "monthly" in row else {})}
                for row in restored["trainees"]
            ],
        }
        assert form.validate(shown_again) == {}
        assert {key: value for key, value in restored.items() if key not in ("amount", "trainees")} == {
            key: value for key, value in data.items() if key not in ("amount", "trainees")
        }
