"""The task pages of issue 30.3, 30.4 and 30.14 in a real browser, with screenshots at 1366 x 900 and 390 x 844.

A branch's fields show only while its outcome is chosen (a return's reason, an extension's days) and post nothing
while hidden; the message after a submission says what was chosen and where the case went; a handling sent back by
the city is marked 退回 in the inbox, says why at the top of its page and comes back filled in with the plan; the
handler doing a health check finds the enterprise's files on the task page and opens one.
"""

import sqlalchemy as sa

from tests.conftest import start_through_form
from tests.e2e.axe import AXE, serious_violations
from tests.e2e.screens import screenshots, switch_to
from tests.e2e.test_health_check_in_the_browser import WIDE
from tests.processes.conftest import open_task, submit
from workflow_app.auth.models import Enterprise, User
from workflow_app.extensions import db

LVYUAN = "寿光市绿源食品加工有限公司"  # Shouguang, no service specialist
HUAYU = "潍坊华宇精密机械有限公司"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PLAN = [{"position": "数控车工", "headcount": 80, "skill_level": "中级工", "wage": "6500.00"}]


def user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def new_referral(app, enterprise=LVYUAN, labour_shortage=False):
    with app.app_context():
        uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == enterprise))
        case = start_through_form(
            "referral",
            user("dispatcher"),
            {
                "enterprise_uscc": uscc,
                "category": "用工" if labour_shortage else "社保",
                "description": "新增订单需招聘数控车工约80人" if labour_shortage else "企业反映社保补贴问题",
                "labour_shortage": labour_shortage,
                "source": "市工业运行指挥部",
            },
        )
        db.session.commit()
        number, case_id = case.number, case.id
        db.session.remove()
    return number, case_id


def drive(app, case_id, *steps):
    """Submit steps of a case as their users, as the task page would: (bpmn id, user name, data)."""
    from workflow_app.cases.models import Case

    with app.app_context():
        case = db.session.get(Case, case_id)
        for bpmn_id, username, data in steps:
            submit(case, bpmn_id, user(username), data)
        db.session.remove()


def open_group_task(page, number):
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    page.locator(f"tr[data-case='{number}'] button:has-text('认领')").click()
    page.wait_for_load_state()  # the task page's scripts have run (its branches hidden) before the test reads it


def message(page):
    return page.locator(".alert[role=alert]").first.inner_text()


def test_a_branchs_fields_show_with_its_outcome_and_the_message_says_where_the_case_went(live_server, page, artifacts):
    number, case_id = new_referral(live_server.app)
    page.context.add_init_script(path=str(AXE))
    page.set_viewport_size(WIDE)
    switch_to(page, live_server, "shouguang_handler")
    open_group_task(page, number)
    reason = page.locator("textarea[name='data.return_reason']")
    assert page.locator("h1").inner_text() == "县级签收"
    assert not reason.is_visible()  # nothing chosen yet: neither branch
    page.check("input[name='data.sign_decision'][value=return]")
    assert reason.is_visible()
    reason.fill("企业不在本辖区")
    assert serious_violations(page) == []
    screenshots(page, artifacts, "task-branch-return-chosen", at="#task-form")
    page.check("input[name='data.sign_decision'][value=sign]")
    assert not reason.is_visible() and reason.is_disabled()  # hidden, and posts nothing
    page.click("#task-form button[type=submit]")
    said = message(page)
    assert f"案件 {number} 的“县级签收”：签收。" in said and "已办结" not in said
    assert "已转至：“协调解决”，在寿光市县级经办人的待认领队列中。" in said
    screenshots(page, artifacts, "task-submitted-message", at=".alert[role=alert]")

    # handling: the extension's fields only with 申请延期, the resolution's only with 办理完毕
    open_group_task(page, number)
    days, measures = page.locator("input[name='data.extension_days']"), page.locator("textarea[name='data.measures']")
    assert not days.is_visible() and not measures.is_visible()
    page.check("input[name='data.handle_outcome'][value=extension]")
    assert days.is_visible() and not measures.is_visible()
    days.fill("5")
    page.fill("textarea[name='data.extension_reason']", "需协调税务部门核实")
    screenshots(page, artifacts, "task-branch-extension-chosen", at="#task-form")
    page.click("#task-form button[type=submit]")
    said = message(page)
    assert "“协调解决”：申请延期。" in said and "已转至：“延期申请审批”" in said and "已办结" not in said
    with live_server.app.app_context():
        from workflow_app.cases.models import Case
        from workflow_app.engine.queries import current_data

        data = current_data(db.session.get(Case, case_id).instance)
        assert data["extension_days"] == 5 and data.get("measures") is None
        assert data.get("return_reason") is None  # the hidden reason was not sent
        db.session.remove()


def test_a_sent_back_handling_is_marked_says_why_on_top_and_comes_back_filled_in(live_server, page, artifacts):
    number, case_id = new_referral(live_server.app, labour_shortage=True)
    plan = {"handle_outcome": "resolved", "measures": "组织专场招聘会", "plan_rows": PLAN, "plan_measures": "订单培养"}
    drive(
        live_server.app,
        case_id,
        ("sign_for", "shouguang_handler", {"sign_decision": "sign"}),
        ("handle", "shouguang_handler", plan),
        ("city_review", "reviewer", {"review_decision": "send_back", "review_reason": "薪酬低于同行，方案需调整"}),
    )
    page.context.add_init_script(path=str(AXE))
    page.set_viewport_size(WIDE)
    switch_to(page, live_server, "shouguang_handler")
    page.click("nav.topbar a.nav-link:has-text('待办')")
    page.click("a[data-queue=group]")
    row = page.locator(f"tr[data-case='{number}']")
    assert row.locator("[data-return=sent_back]").inner_text() == "退回"
    assert serious_violations(page) == []
    screenshots(page, artifacts, "inbox-returned-mark", at=f"tr[data-case='{number}']")
    row.locator("button:has-text('认领')").click()
    banner = page.locator("#returned")
    assert banner.is_visible() and "“市级审核”退回" in banner.inner_text()
    assert "薪酬低于同行，方案需调整" in banner.inner_text()
    top = banner.bounding_box()["y"]
    assert top < page.locator("#task-form").bounding_box()["y"]  # above the form, not at the foot of the page
    assert page.locator("input[name='data.handle_outcome'][value=resolved]").is_checked()
    assert page.locator("textarea[name='data.measures']").input_value() == "组织专场招聘会"
    assert page.locator("textarea[name='data.plan_measures']").input_value() == "订单培养"
    assert page.locator("input[name='data.plan_rows.0.position']").input_value() == "数控车工"
    assert page.locator("input[name='data.plan_rows.0.wage']").input_value() == "6500.00"
    assert serious_violations(page) == []
    screenshots(page, artifacts, "task-sent-back-filled-in", at="#returned")
    page.locator("input[name='data.plan_rows.0.wage']").fill("7200")
    page.click("#task-form button[type=submit]")
    said = message(page)
    assert "“协调解决”：办理完毕。" in said
    assert "已转至：“市级审核”，在潍坊市人力资源和社会保障局科室审核人的待认领队列中。" in said


def test_the_health_check_handler_opens_the_enterprises_files_from_the_task_page(live_server, page, artifacts):
    from workflow_app.cases.models import Case
    from workflow_app.cases.operations import start_process_case
    from workflow_app.inbox.operations import submit_task_with_notes

    app = live_server.app
    with app.app_context():
        huayu = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == HUAYU))
        case = start_process_case("health_check", {"enterprise_uscc": huayu.uscc}, user("kuiwen_handler"))
        db.session.commit()
        documents = open_task(case, "upload_documents")
        submit_task_with_notes(
            documents,
            {"doc_rules": True, "doc_contract": True},
            user("ent_huayu"),
            files=[("劳动合同范本.pdf", PDF)],
            visibility="shared",
        )
        db.session.commit()
        number = db.session.get(Case, case.id).number
        db.session.remove()
    page.set_viewport_size(WIDE)
    switch_to(page, live_server, "kuiwen_handler")
    open_group_task(page, number)
    assert page.locator("h1").inner_text() == "体检（逐项排查）"
    files = page.locator("#case-files")
    assert "劳动合同范本.pdf" in files.inner_text() and "企业提交材料" in files.inner_text()
    assert "45 字节" in files.inner_text()
    screenshots(page, artifacts, "task-files-of-earlier-steps", at="#case-files")
    href = files.locator("a:has-text('劳动合同范本.pdf')").get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200 and response.body() == PDF
