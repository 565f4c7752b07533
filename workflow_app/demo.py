"""Demo data: Weifang's org units, one user per role, sample enterprises (idempotent)."""

import sqlalchemy as sa

from workflow_app.auth.models import Enterprise, Role, User
from workflow_app.auth.operations import (
    EnterpriseDetails,
    create_org_unit,
    create_user,
    ensure_role,
    register_enterprise,
)
from workflow_app.auth.queries import find_org_unit, find_user
from workflow_app.core.uscc import uscc_check_char
from workflow_app.extensions import db

CITY = ("weifang", "潍坊市人力资源和社会保障局")
COUNTIES = [
    ("kuiwen", "奎文区"),
    ("weicheng", "潍城区"),
    ("fangzi", "坊子区"),
    ("hanting", "寒亭区"),
    ("qingzhou", "青州市"),
    ("zhucheng", "诸城市"),
    ("shouguang", "寿光市"),
    ("anqiu", "安丘市"),
    ("gaomi", "高密市"),
    ("changyi", "昌邑市"),
    ("linqu", "临朐县"),
    ("changle", "昌乐县"),
    ("gaoxin", "高新区"),
    ("binhai", "滨海区"),
    ("xiashan", "峡山区"),
    ("zongbao", "综合保税区"),
]
# The banks that lend under the loan programmes (贷款展期 names them by these codes); under the city, whose
# supervisors see their steps
BANKS = [("boc_weifang", "中国银行潍坊分行"), ("ccb_weifang", "中国建设银行潍坊分行"), ("wfrcb", "潍坊农村商业银行")]
ROLES = [
    ("dispatcher", "市级调度员"),
    ("county_handler", "县级经办人"),
    ("specialist", "服务专员"),
    ("section_reviewer", "科室审核人"),
    ("agency_officer", "社保经办员"),
    ("bank_officer", "银行经办员"),
    ("supervisor", "督办员"),
    ("enterprise", "企业用户"),
    ("admin", "系统管理员"),
    ("labour_inspector", "劳动监察员"),
]
USERS = [  # username, role, org code, display name
    ("admin", "admin", "weifang", "系统管理员"),
    ("dispatcher", "dispatcher", "weifang", "王调度"),
    ("city_supervisor", "supervisor", "weifang", "李督办（市级）"),
    ("reviewer", "section_reviewer", "weifang", "赵审核"),
    ("agency", "agency_officer", "weifang", "孙经办（社保）"),
    ("bank", "bank_officer", "boc_weifang", "周信贷（中国银行潍坊分行）"),
    ("bank_ccb", "bank_officer", "ccb_weifang", "钱信贷（中国建设银行潍坊分行）"),
    ("kuiwen_handler", "county_handler", "kuiwen", "刘经办（奎文区）"),
    ("kuiwen_specialist", "specialist", "kuiwen", "陈专员（奎文区）"),
    ("kuiwen_supervisor", "supervisor", "kuiwen", "吴督办（奎文区）"),
    ("shouguang_handler", "county_handler", "shouguang", "郑经办（寿光市）"),
    ("kuiwen_inspector", "labour_inspector", "kuiwen", "冯监察（奎文区劳动保障监察大队）"),
    ("shouguang_inspector", "labour_inspector", "shouguang", "褚监察（寿光市劳动保障监察大队）"),
]
ENTERPRISES = [  # first 17 characters of the USCC (GB 32100: 9 1 division, organisation code), name, county code
    ("91370705MA3C0A019", "潍坊华宇精密机械有限公司", "kuiwen"),
    ("91370783MA3D1B026", "寿光市绿源食品加工有限公司", "shouguang"),
    ("91370702MA3E2C033", "潍坊恒通纺织有限公司", "weicheng"),
    ("91370782MA3F3D040", "诸城市宏达汽车零部件有限公司", "zhucheng"),
]
# what the register keeps of them besides (an installment agreement is signed by the legal representative)
ENTERPRISE_DETAILS = {
    "潍坊华宇精密机械有限公司": EnterpriseDetails(
        legal_representative="王建华",
        contact_person="张丽",
        contact_phone="13605361234",
        street="广文街道",
        key_enterprise=True,
    ),
    "寿光市绿源食品加工有限公司": EnterpriseDetails(
        legal_representative="李春生", contact_person="刘红梅", contact_phone="0536-5201234", street="圣城街道"
    ),
    "潍坊恒通纺织有限公司": EnterpriseDetails(
        legal_representative="赵国强", contact_person="孙静", contact_phone="15963612345", street="于河街道"
    ),
    "诸城市宏达汽车零部件有限公司": EnterpriseDetails(
        legal_representative="陈志远",
        contact_person="周涛",
        contact_phone="0536-6051234",
        street="密州街道",
        key_enterprise=True,
    ),
}
ENTERPRISE_USERS = [
    ("ent_huayu", "潍坊华宇精密机械有限公司", "华宇机械（企业经办）"),
    ("ent_lvyuan", "寿光市绿源食品加工有限公司", "绿源食品（企业经办）"),
]


def seed_demo(password: str) -> dict:
    """Create whatever demo rows are missing; return how many of each were created."""
    counts = {"org units": 0, "roles": 0, "users": 0, "enterprises": 0}
    city = find_org_unit(CITY[0])
    if city is None:
        city = create_org_unit(CITY[0], CITY[1], "city", None)
        counts["org units"] += 1
    for code, name in COUNTIES:
        if find_org_unit(code) is None:
            create_org_unit(code, name, "county", city)
            counts["org units"] += 1
    for code, name in BANKS:
        if find_org_unit(code) is None:
            create_org_unit(code, name, "bank", city)
            counts["org units"] += 1
    for name, label in ROLES:
        counts["roles"] += db.session.scalar(sa.select(Role).where(Role.name == name)) is None
        ensure_role(name, label)
    for first17, name, county in ENTERPRISES:
        # by name: a database seeded before the codes were corrected keeps its enterprises (and their cases)
        enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name))
        details = ENTERPRISE_DETAILS[name]
        if enterprise is None:
            register_enterprise(first17 + uscc_check_char(first17), name, county, details=details)
            counts["enterprises"] += 1
        elif not enterprise.legal_representative:  # seeded before the register kept them
            enterprise.legal_representative, enterprise.contact_person = (
                details.legal_representative,
                details.contact_person,
            )
            enterprise.contact_phone, enterprise.street = details.contact_phone, details.street
            enterprise.key_enterprise = details.key_enterprise
    for username, role, org, display in USERS:
        user = find_user(username)
        if user is None:
            create_user(username, [role], org, password, display)
            counts["users"] += 1
        elif role == "bank_officer" and user.org_unit.level == "city":  # seeded before banks were org units
            user.org_unit_id = find_org_unit(org).id
    for username, name, display in ENTERPRISE_USERS:
        enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name))
        if find_user(username) is None:
            create_user(username, ["enterprise"], enterprise.county.code, password, display, enterprise=enterprise)
            counts["users"] += 1
    huayu = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == ENTERPRISE_USERS[0][1]))
    if huayu.specialist_id is None:
        huayu.specialist_id = find_user("kuiwen_specialist").id
    db.session.flush()
    return counts


def seed_demo_cases() -> int:
    """Create demo cases of every process in several states, once (when there are no cases yet)."""

    from workflow_app.cases.models import Case
    from workflow_app.cases.task_handlers import submit_task
    from workflow_app.engine.queries import open_tasks

    if db.session.scalar(sa.select(sa.func.count()).select_from(Case)):
        return 0
    users = {u.username: u for u in db.session.scalars(sa.select(User))}

    def step(case, bpmn_id, username, data):
        [task] = [t for t in open_tasks(case.instance_id) if t.bpmn_id == bpmn_id]
        submit_task(task.id, data, users[username], client_ip="127.0.0.1")

    seed_referrals(step)
    seed_late_referrals()

    seed_loan_extensions(step)

    seed_health_checks(step)

    seed_agreements(step)
    db.session.flush()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def seed_referrals(step) -> list:
    """Register referrals in seven states, as the dispatcher's start form stores them: awaiting sign-for (with the
    command centre's ticket number), a labour shortage with the specialist, awaiting the city's review, returned by
    Kuiwen for the city to re-dispatch, awaiting the enterprise's rating in the portal, closed with the enterprise's
    rating, and one for a new enterprise the dispatcher registered with it (awaiting an admin's confirmation).
    `step(case, bpmn_id, username, data)` completes a task."""
    from workflow_app.cases.operations import start_generic_case
    from workflow_app.engine.operations import fire_timers

    dispatcher = db.session.scalar(sa.select(User).where(User.username == "dispatcher"))
    ent = {e.name: e for e in db.session.scalars(sa.select(Enterprise))}
    huayu, lvyuan, hengtong = "潍坊华宇精密机械有限公司", "寿光市绿源食品加工有限公司", "潍坊恒通纺织有限公司"

    def referral(name, category, description, **fields):
        return start_generic_case(
            "referral",
            {
                "enterprise_uscc": ent[name].uscc if name else fields.pop("uscc"),
                "category": category,
                "description": description,
                "labour_shortage": False,
                "source": "市工业运行指挥部",
                **fields,
            },
            dispatcher,
        )

    def accepted(case, handling_step, handler, measures):
        step(case, "sign_for", handler, {"sign_decision": "sign"})
        step(
            case,
            handling_step,
            "kuiwen_specialist" if handling_step == "handle_specialist" else handler,
            {"handle_outcome": "resolved", "measures": measures},
        )
        step(case, "city_review", "reviewer", {"review_decision": "accept"})
        fire_timers(case.instance_id)  # the follow-up's wait is over at once (follow_up_delay PT0S)

    cases = [
        referral(
            hengtong,
            "社保",
            "企业咨询阶段性降费率政策的适用条件",  # awaiting sign-for
            external_ref="ZHB-2026-00318",
            contact="刘会计 0536-8123456",
        )
    ]
    urgent = referral(
        huayu, "用工", "新增订单需招聘数控车工、装配工约120人", labour_shortage=True
    )  # with the specialist
    step(urgent, "sign_for", "kuiwen_handler", {"sign_decision": "sign"})
    review = referral(lvyuan, "培训", "希望组织食品加工岗位技能培训")  # awaiting city review
    step(review, "sign_for", "shouguang_handler", {"sign_decision": "sign"})
    step(
        review,
        "handle",
        "shouguang_handler",
        {"handle_outcome": "resolved", "measures": "已对接职业技能培训学校，下月开班"},
    )
    returned = referral(huayu, "人才", "企业寿光生产基地反映技术工人落户和子女入学问题")  # returned, to re-dispatch
    step(
        returned,
        "sign_for",
        "kuiwen_handler",
        {"sign_decision": "return", "return_reason": "企业注册在奎文区，但反映的是寿光生产基地的问题，请派寿光市"},
    )
    rating = referral(huayu, "融资", "企业咨询稳岗扩岗专项贷款续贷", follow_up_delay="PT0S")  # the enterprise rates
    accepted(rating, "handle_specialist", "kuiwen_handler", "已对接中国银行潍坊分行，续贷手续办结")
    closed = referral(lvyuan, "劳动关系", "企业咨询劳动合同续签问题", follow_up_delay="PT0S")  # closed
    accepted(closed, "handle", "shouguang_handler", "已上门讲解劳动合同法相关规定")
    step(
        closed,
        "rate_satisfaction",
        "ent_lvyuan",
        {"satisfaction": "满意", "satisfaction_comment": "讲解清楚，已完成续签"},
    )
    first17 = "91370700MA3H5J066"  # 潍坊市, an organisation code with its own check character
    new = referral(
        None,
        "用工",
        "新落地重大项目企业急需招聘装配、调试工人约60人",
        labour_shortage=True,  # new enterprise
        uscc=first17 + uscc_check_char(first17),
        external_ref="ZHB-2026-00320",
        new_enterprise={"name": "潍坊新动能智能装备有限公司", "county": "gaoxin"},
    )
    return cases + [urgent, review, returned, rating, closed, new]


def seed_loan_extensions(step) -> list:
    """Apply for loan extensions in six states, as the portal's application stores them, each with its evidence file:
    awaiting the county, at 中国银行潍坊分行, at 中国建设银行潍坊分行 (whose officer alone sees it), granted 8 months,
    the same contract again for 6 (8 + 6 > 12: the city's exception), and a 潍岗贷 its head-count refuses (it fell
    last year)."""
    from datetime import timedelta
    from decimal import Decimal

    from workflow_app.cases.operations import attach_start_files, start_process_case
    from workflow_app.core.time import local_today

    huayu = db.session.scalar(sa.select(User).where(User.username == "ent_huayu"))
    today = local_today()

    def apply(changes):
        evidence = "应收账款及回款情况说明.pdf"
        data = {
            "loan_type": "entrepreneurship",
            "contract_no": "WF-CDB-2026-0318",
            "bank": "boc_weifang",
            "principal": Decimal("1200000.00"),
            "maturity_date": (today + timedelta(days=45)).isoformat(),
            "months_requested": 6,
            "reason": "主要客户回款延迟，流动资金暂时紧张",
            "evidence": [evidence],
            **changes,
        }
        case = start_process_case("loan_extension", data, huayu)
        attach_start_files(case, [(evidence, b"%PDF-1.4\n% demo evidence\n%%EOF\n")], huayu, 1024 * 1024)
        return case

    def county_agrees(case):
        step(case, "county_review", "kuiwen_handler", {"county_decision": "approve", "county_opinion": "情况属实"})

    waiting = apply({})  # awaiting the county
    at_boc = apply({"contract_no": "WF-CDB-2026-0401", "months_requested": 9})  # at the bank
    county_agrees(at_boc)
    at_ccb = apply({"contract_no": "JH-2026-1107", "bank": "ccb_weifang", "months_requested": 4})  # at another bank
    county_agrees(at_ccb)
    granted = apply({"contract_no": "WF-CDB-2025-0912", "months_requested": 8})  # granted 8 months
    county_agrees(granted)
    step(granted, "bank_review", "bank", {"bank_decision": "approve", "months_granted": 8, "bank_opinion": None})
    again = apply({"contract_no": "WF-CDB-2025-0912", "months_requested": 6})  # 8 + 6: the exception
    refused = apply(
        {
            "loan_type": "weigangdai",
            "contract_no": "WGD-2026-0077",
            "principal": Decimal("8000000.00"),
            "founded_date": (today - timedelta(days=800)).isoformat(),
            "employees": 45,
            "headcount_last_year_end": 40,
            "headcount_year_before": 52,
            "wages_paid": True,
            "contributions_paid": True,
        }
    )  # refused by the rules
    return [waiting, at_boc, at_ccb, granted, again, refused]


def seed_late_referrals() -> list:
    """Register two referrals in the past, so that supervision has work to show: one overdue in Kuiwen (with its
    specialist: a supervision notice and, 2 working days on, the city's), one at risk in Shouguang.

    The application's clock is moved back while they are registered and signed for, by working time: the
    handling step's 5 working days end 5 to 6 working days after it opens (the rest of its first day counts),
    so 9 days back is overdue and escalated to the city whatever today's weekday, and 4.6 days back is past
    the warning (at most 75% of 6 days) and before the deadline.
    """
    from workflow_app.cases.operations import start_generic_case
    from workflow_app.cases.task_handlers import submit_task
    from workflow_app.core.time import shift_clock, utcnow
    from workflow_app.engine.queries import open_tasks
    from workflow_app.sla.calendar import work_calendar

    dispatcher = db.session.scalar(sa.select(User).where(User.username == "dispatcher"))
    calendar = work_calendar()
    late = []
    for working_days_ago, name, category, description, handler in (
        (9, "潍坊华宇精密机械有限公司", "社保", "企业反映社保补贴申领进度缓慢，需协调经办机构", "kuiwen_handler"),
        (4.6, "寿光市绿源食品加工有限公司", "融资", "企业咨询稳岗扩岗专项贷款申请条件", "shouguang_handler"),
    ):
        enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name))
        now = utcnow()
        back = now - calendar.subtract_working_time(now, calendar.hours.day_length * working_days_ago)
        shift_clock(-back)
        try:
            case = start_generic_case(
                "referral",
                {
                    "enterprise_uscc": enterprise.uscc,
                    "category": category,
                    "description": description,
                    "labour_shortage": False,
                    "source": "市工业运行指挥部",
                },
                dispatcher,
            )
            [task] = [t for t in open_tasks(case.instance_id) if t.bpmn_id == "sign_for"]
            submit_task(
                task.id,
                {"sign_decision": "sign", "return_reason": None},
                db.session.scalar(sa.select(User).where(User.username == handler)),
                client_ip="127.0.0.1",
            )
        finally:
            shift_clock(back)
        late.append(case)
    return late


# The installment agreement's policy decision, and its cell holding the last day installments may fall on
POLICY_PACKAGE, POLICY_DECISION, POLICY_DEADLINE_CELL = (
    "installment_agreement",
    "installment_policy.dmn",
    "OutputEntry_policy_deadline",
)


def open_installment_policy(until) -> bool:
    """Extend the installment agreement's policy to `until` (a date) unless the newest version's runs that long
    already (deploy_installment_policy); True if it deployed. The notice's 2023-12-31 has passed, and the demo's
    agreements need an open policy."""
    from workflow_app.engine.queries import newest_stored_version

    newest = newest_stored_version(POLICY_PACKAGE)
    if newest is not None and _policy_deadline(newest.files.get(POLICY_DECISION, "")) >= until.isoformat():
        return False
    deploy_installment_policy(until)
    return True


def deploy_installment_policy(until) -> None:
    """Deploy the installment agreement's package (bpmn/) with its policy's last day set to `until` (a date), as the
    bureau does when a policy is extended: an edit of installment_policy.dmn, and a deploy."""
    from pathlib import Path

    from flask import current_app
    from lxml import etree

    from workflow_app.engine.operations import deploy_sources, read_sources

    sources = read_sources([Path(current_app.config["BPMN_DIR"]) / POLICY_PACKAGE])
    key = next(name for name in sources if name.endswith("/" + POLICY_DECISION))
    root = etree.fromstring(sources[key])
    cell = next(entry for entry in root.iter("{*}outputEntry") if entry.get("id") == POLICY_DEADLINE_CELL)
    text = next(cell.iter("{*}text"))
    text.text = f'"{until.isoformat()}"'
    sources[key] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    deploy_sources(sources)


def _policy_deadline(decision_xml: str) -> str:
    """The policy's last day as a version's installment_policy.dmn says it ("" when it says none)."""
    from lxml import etree

    try:
        root = etree.fromstring(decision_xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return ""
    cell = next((entry for entry in root.iter("{*}outputEntry") if entry.get("id") == POLICY_DEADLINE_CELL), None)
    text = next(cell.iter("{*}text"), None) if cell is not None else None
    return (text.text or "").strip().strip('"') if text is not None else ""


def seed_agreements(step) -> list:
    """Installment agreements in four states, applied for as the portal's form stores them: awaiting the agency,
    awaiting the enterprise's signature, in force with its first installment paid, and ended by default
    (seed_defaulted_agreement). The policy is extended to the end of next year first (open_installment_policy).
    `step(case, bpmn_id, username, data)` completes a task."""
    from datetime import date, timedelta

    from workflow_app.core.time import local_today

    today = local_today()
    open_installment_policy(date(today.year + 1, 12, 31))
    # one open application per deferral (the package's oneOpenCasePerEnterprise): each of its own deferral period
    cases = [_apply_for_installments(ended_days_ago=20)]  # awaiting the agency
    to_sign = _apply_for_installments(ended_days_ago=50)  # awaiting the signature
    step(
        to_sign,
        "agency_check",
        "agency",
        {"check_decision": "approve", "deferral_confirmed": True, "check_opinion": None},
    )
    step(
        to_sign,
        "draft_schedule",
        "agency",
        {"installment_count": 4, "first_due_date": (today + timedelta(days=25)).isoformat()},
    )
    active = _apply_for_installments(ended_days_ago=110)  # in force, 1 paid
    _agree(step, active, 3, today + timedelta(days=3))
    _pay_current(step, active, "SB2026110001")
    return cases + [to_sign, active, seed_defaulted_agreement(step)]


def seed_defaulted_agreement(step):
    """An agreement ended by default, so that a late fee runs: agreed 80 days ago in two installments, the first paid,
    the second missed and its grace period over (the clock is moved back while it is agreed)."""
    from datetime import timedelta

    from workflow_app.core.time import local_today, shift_clock
    from workflow_app.engine.operations import fire_timers

    back = timedelta(days=80)
    shift_clock(-back)
    try:
        case = _apply_for_installments("36000.00")
        _agree(step, case, 2, local_today() + timedelta(days=3))
        _pay_current(step, case, "SB2026090007")
    finally:
        shift_clock(back)
    while fire_timers(case.instance_id):  # the reminder and the due day, then the grace period's end
        pass
    return case


def _apply_for_installments(pension="86000.00", ended_days_ago=20):
    """华宇's application for installments of a deferral that ended `ended_days_ago`, checked by the package's start
    form as the portal checks it."""
    from datetime import timedelta

    from workflow_app.cases.operations import start_generic_case
    from workflow_app.cases.schema_tasks import checked_data, start_form_context, start_schema_form
    from workflow_app.core.time import local_today
    from workflow_app.engine.queries import latest_version

    huayu = db.session.scalar(sa.select(User).where(User.username == "ent_huayu"))
    values = {
        "pension_yuan": pension,
        "unemployment_yuan": "4300.00",
        "injury_yuan": "2150.00",
        "deferral_end_date": (local_today() - timedelta(days=ended_days_ago)).isoformat(),
        "hardship_reason": "订单减少，一次性补缴有困难",
        "proposed_installments": 4,
    }
    form = start_schema_form(latest_version(POLICY_PACKAGE))
    data = checked_data(form, values, start_form_context(huayu, POLICY_PACKAGE, values))
    return start_generic_case(POLICY_PACKAGE, data, huayu)


def _agree(step, case, count, first_due):
    """The agency checks and drafts, 华宇's legal representative signs, the agency countersigns."""
    signer = db.session.scalar(sa.select(User).where(User.username == "ent_huayu")).enterprise.legal_representative
    step(
        case, "agency_check", "agency", {"check_decision": "approve", "deferral_confirmed": True, "check_opinion": None}
    )
    step(case, "draft_schedule", "agency", {"installment_count": count, "first_due_date": first_due.isoformat()})
    step(
        case,
        "sign",
        "ent_huayu",
        {"sign_decision": "sign", "read_confirmed": True, "legal_rep_name": signer, "decline_reason": None},
    )
    step(case, "countersign", "agency", {"countersign_confirmed": True})


def _pay_current(step, case, receipt):
    from workflow_app.core.money import fen_to_yuan
    from workflow_app.core.time import local_today
    from workflow_app.engine.queries import current_data

    current = current_data(case.instance)["current"]
    step(
        case,
        "record_payment",
        "agency",
        {
            "paid_amount": fen_to_yuan(current["amount_fen"]),
            "paid_on": local_today().isoformat(),
            "receipt_no": receipt,
        },
    )


# The health check's seven checklist items (bpmn/health_check/inspect-schema.json)
HEALTH_CHECK_ITEMS = (
    "contract_signing",
    "rules_procedure",
    "working_hours",
    "wage_payment",
    "social_insurance",
    "female_protection",
    "injury_prevention",
)


def seed_health_checks(step) -> list:
    """Start health checks in four states, as their forms store them: awaiting the documents (planned by Kuiwen),
    awaiting rectification (asked for by 华宇), with Kuiwen's labour inspection after two failed rounds, and with
    Shouguang's labour inspection at once for wage arrears (绿源). `step(case, bpmn_id, username, data)` completes
    a task."""
    from datetime import timedelta

    from workflow_app.cases.operations import start_process_case
    from workflow_app.core.time import local_today

    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    huayu = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == "潍坊华宇精密机械有限公司"))
    today = local_today()

    def inspection(summary, severe=None, reason=None, **risks):
        items = {key: {"severity": "none"} for key in HEALTH_CHECK_ITEMS}
        items.update({key: {"severity": severity, "note": note} for key, (severity, note) in risks.items()})
        return {
            **items,
            "inspection_summary": summary,
            "severe_risks": severe,
            "refer_at_once": True if reason else None,
            "referral_reason": reason,
        }

    def requested(username, **risks):
        """A case the enterprise asked for, its documents given and inspected as `risks` say."""
        case = start_process_case(
            "health_check", {"focus_items": ["working_hours"], "request_note": None}, users[username]
        )
        step(
            case,
            "upload_documents",
            username,
            {
                "doc_rules": True,
                "doc_contract": True,
                "doc_hours_wages": True,
                "doc_insurance": None,
                "documents_note": "社保缴费记录正在打印",
            },
        )
        county = "kuiwen_handler" if username == "ent_huayu" else "shouguang_handler"
        step(case, "inspect", county, inspection(**risks))
        return case

    def days(n):
        return (today + timedelta(days=n)).isoformat()

    planned = start_process_case(
        "health_check",
        {"enterprise_uscc": huayu.uscc, "focus_items": None, "request_note": "年度计划体检：区重点企业"},
        users["kuiwen_handler"],
    )
    hours = requested(
        "ent_huayu",
        summary="总体规范，工时管理存在风险",
        working_hours=("high", "部分岗位连续加班，月加班超过 36 小时"),
    )
    step(
        hours,
        "suggestions",
        "kuiwen_handler",
        {"suggestions": "申请综合计算工时制，调整排班", "rectification_deadline": days(30)},
    )
    twice = requested(
        "ent_huayu", summary="劳动合同管理不规范", contract_signing=("high", "新招一线员工 23 人未签订书面劳动合同")
    )
    step(
        twice,
        "suggestions",
        "kuiwen_handler",
        {"suggestions": "一个月内与全部在岗员工补签书面劳动合同", "rectification_deadline": days(30)},
    )
    step(twice, "rectify", "ent_huayu", {"rectification_report": "已补签 10 人，其余正在协商"})
    step(
        twice,
        "verify",
        "kuiwen_handler",
        {
            "verification": "fail",
            "verification_findings": "仍有 13 人未签订",
            "new_deadline": days(20),
            "referral_reason": None,
        },
    )
    step(twice, "rectify", "ent_huayu", {"rectification_report": "部分员工不愿签订"})
    step(
        twice,
        "verify",
        "kuiwen_handler",
        {
            "verification": "fail",
            "verification_findings": "仍有 13 人未签订，企业未依法书面通知终止劳动关系",
            "new_deadline": None,
            "referral_reason": "两轮限期整改后仍有 13 名劳动者未订立书面劳动合同，涉嫌违反劳动合同法第十条、第八十二条",
        },
    )
    arrears = requested(
        "ent_lvyuan",
        summary="企业资金紧张，拖欠工资",
        severe=["wage_arrears"],
        reason="拖欠 86 名一线员工 3 个月工资，劳动者多次到我局反映，需立即查处",
        wage_payment=("high", "近 3 个月未按月足额支付一线员工工资"),
    )
    return [planned, hours, twice, arrears]
