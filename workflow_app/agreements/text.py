"""The agreement's text: rendered once when drafted, hashed, and never rendered again for that agreement."""

import hashlib
from decimal import Decimal

from workflow_app.core.money import amount_in_capitals, format_yuan

# what the agreement rests on: the city's notice (its real title) and the province's document it applies
NOTICE = (
    "潍坊市人力资源和社会保障局《关于开展十“+”行动助力工业经济高质量发展的通知》（潍人社字〔2023〕17号）"
    "和鲁人社字〔2022〕113号文件"
)
AGENCY_SUFFIX = "社会保险经办机构"
COUNTY_LEVEL = "county"
# where the late fee of a defaulted agreement is counted from, in the agreement's words (agreements.queries)
LATE_FEE_FROM = {
    "installment_due_date": "自每期未缴费款缴费日的次日起",
    "deferral_end_date": "自缓缴期满之日的次日起，就未缴费款",
}
_LOWER_DIGITS = "零一二三四五六七八九"


def agency_of(county) -> str:
    """The social-insurance agency of an enterprise's county (属地), party A of its agreement: 寿光市 → 寿光市社会保险
    经办机构; a district or zone carries its city's name (奎文区 → 潍坊市奎文区社会保险经办机构)."""
    unit = county
    while unit is not None and unit.level != COUNTY_LEVEL and unit.parent is not None:
        unit = unit.parent  # an enterprise registered below its county (a street) signs with the county's agency
    name = unit.name if unit is not None else ""
    city = unit.parent if unit is not None else None
    if name.endswith("区") and city is not None and "市" in city.name:
        name = city.name[: city.name.index("市") + 1] + name
    return name + AGENCY_SUFFIX


def in_figures_and_capitals(fen: int) -> str:
    """An amount as the agreement writes it: 30,816.67 元（大写：人民币叁万零捌佰壹拾陆元陆角柒分）."""
    return f"{format_yuan(fen)} 元（大写：人民币{amount_in_capitals(fen)}）"


def _small_number(n: int) -> str:
    if n < 10:
        return _LOWER_DIGITS[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return ("" if tens == 1 else _LOWER_DIGITS[tens]) + "十" + (_LOWER_DIGITS[units] if units else "")
    return str(n)


def daily_rate_in_words(rate: Decimal) -> str:
    """A daily rate as the law writes it: 0.0005 → 万分之五, 0.001 → 千分之一; else a percentage."""
    for scale, words in ((1000, "千分之"), (10000, "万分之")):
        parts = rate * scale
        if parts == parts.to_integral_value() and 0 < parts < 100:
            return words + _small_number(int(parts))
    return f"{(rate * 100).normalize():f}%"


def render_agreement_text(
    number: str, enterprise, amounts: dict, schedule, policy_deadline, grace_days: int, late_fee=None
) -> str:
    """Return the full text the enterprise reads and signs (plain text, so the hash is unambiguous).

    `late_fee` is the case's late-fee terms (agreements.queries.LateFeeTerms), stated in the default clause.
    """
    deadline = f"{policy_deadline.year}年{policy_deadline.month}月{policy_deadline.day}日"
    lines = [
        "缓缴社会保险费分期补缴协议",
        f"协议编号：{number}",
        "",
        f"甲方（社会保险经办机构）：{agency_of(enterprise.county)}",
        f"乙方（用人单位）：{enterprise.name}",
        f"统一社会信用代码：{enterprise.uscc}",
    ]
    if enterprise.legal_representative:
        lines.append(f"法定代表人：{enterprise.legal_representative}")
    lines += [
        "",
        f"根据{NOTICE}的规定，缓缴期满后一次性缴纳缓缴费款有困难的用人单位，与社保经办机构签订协议后，可采取分期方式"
        "补缴缓缴的社会保险费，补缴期间免收滞纳金。乙方申请分期补缴，经甲方审核符合条件，甲乙双方订立本协议。",
        "",
        "一、缓缴费款",
        f"    基本养老保险费：{in_figures_and_capitals(amounts['pension_fen'])}",
        f"    失业保险费：{in_figures_and_capitals(amounts['unemployment_fen'])}",
        f"    工伤保险费：{in_figures_and_capitals(amounts['injury_fen'])}",
        f"    合计：{in_figures_and_capitals(amounts['total_fen'])}",
        "",
        f"二、分期补缴计划（按月分期，缴费日遇法定节假日或休息日已顺延至下一个工作日，各期均不晚于{deadline}）",
    ]
    lines += [f"    第{i.seq}期  {i.due_date.isoformat()}前  {in_figures_and_capitals(i.amount_fen)}" for i in schedule]
    if late_fee is not None:
        surcharge = (
            f"并依照《中华人民共和国社会保险法》第八十六条，{LATE_FEE_FROM[late_fee.basis]}按日加收"
            f"{daily_rate_in_words(late_fee.daily_rate)}的滞纳金。"
        )
    else:
        surcharge = "并不再免收滞纳金。"
    lines += [
        "",
        "三、乙方按上述计划按期足额补缴的，补缴期间免收滞纳金。",
        f"四、乙方任一期逾期未缴，经甲方通知后于{grace_days}日宽限期内仍未缴纳的，本协议终止，剩余缓缴费款应一次性缴纳，"
        + surcharge,
        "五、本协议自乙方签署、甲方确认之日起生效。协议签署后内容不得更改；分期计划需要变更的，应重新签订协议。",
    ]
    return "\n".join(lines) + "\n"


def text_hash(text: str) -> str:
    """SHA-256 of the exact UTF-8 bytes of the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
