"""The agreement's text: rendered once when drafted, hashed, and never rendered again for that agreement."""
import hashlib

from workflow_app.core.money import format_yuan

AGENCY = "潍坊市社会保险经办机构"


def render_agreement_text(number: str, enterprise, amounts: dict, schedule, policy_deadline, grace_days: int) -> str:
    """Return the full text the enterprise reads and signs (plain text, so the hash is unambiguous)."""
    lines = [
        "缓缴社会保险费分期补缴协议",
        f"协议编号：{number}",
        "",
        f"甲方（社会保险经办机构）：{AGENCY}",
        f"乙方（用人单位）：{enterprise.name}",
        f"统一社会信用代码：{enterprise.uscc}",
        "",
        "根据潍坊市人力资源和社会保障局《关于实施“十个+”行动助力工业企业发展的通知》（潍人社字〔2023〕17号）"
        "关于“缓缴期满后一次性缴纳缓缴费款有困难的用人单位，与社保经办机构签订协议后，可在"
        f"{policy_deadline.year}年{policy_deadline.month}月{policy_deadline.day}日前采取分期方式补缴缓缴社会保险费，"
        "补缴期间免收滞纳金”的规定，甲乙双方订立本协议。",
        "",
        "一、缓缴费款",
        f"    基本养老保险费：{format_yuan(amounts['pension_fen'])} 元",
        f"    失业保险费：{format_yuan(amounts['unemployment_fen'])} 元",
        f"    工伤保险费：{format_yuan(amounts['injury_fen'])} 元",
        f"    合计：{format_yuan(amounts['total_fen'])} 元",
        "",
        "二、分期补缴计划",
    ]
    lines += [f"    第{i.seq}期  {i.due_date.isoformat()}前  {format_yuan(i.amount_fen)} 元" for i in schedule]
    lines += [
        "",
        "三、乙方按上述计划按期足额补缴的，补缴期间免收滞纳金。",
        f"四、乙方任一期逾期未缴，经甲方通知后于{grace_days}日宽限期内仍未缴纳的，本协议终止，"
        "剩余缓缴费款应一次性缴纳，并不再免收滞纳金。",
        "五、本协议自乙方签署、甲方确认之日起生效。协议签署后内容不得更改；分期计划需要变更的，应重新签订协议。",
    ]
    return "\n".join(lines) + "\n"


def text_hash(text: str) -> str:
    """SHA-256 of the exact UTF-8 bytes of the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
