"""The case list, CSV export, starting a case, and the case page with its timeline, comments and files."""

import csv
import io
import re

import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, open_task_of
from workflow_app.auth.models import Enterprise
from workflow_app.cases.models import Attachment, Case, Comment
from workflow_app.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def html_of(response):
    return response.get_data(as_text=True)


def test_case_page_shows_header_open_task_diagram_data_and_timeline(referral, client_as):
    html = html_of(client_as("kuiwen_handler").get(f"/cases/{referral.id}"))
    assert referral.number in html and referral.title in html and 'data-status="running"' in html
    assert 'data-active="sign_for"' in html  # the diagram marks the active step
    done = re.search(r'data-done="([^"]*)"', html).group(1).split()
    assert "sign_for" not in done and len(done) >= 2  # the start event and the routing are done
    kinds = re.findall(r'<li data-kind="([a-z_]+)"', html)
    assert kinds == ["instance_started", "automatic", "org_unit_changed", "task_opened"]  # the start's scripts folded
    assert "企业反映社保补贴问题" in html  # the registration data, labelled by its form
    routed = re.search(r'<li data-kind="org_unit_changed".*?</li>', html, re.S).group(0)
    assert "现由" in routed and "奎文区" in routed  # the unit the referral went to, by name
    diagram = client_as("kuiwen_handler").get(f"/cases/{referral.id}/diagram.bpmn")
    assert diagram.status_code == 200 and diagram.mimetype == "application/xml" and b'id="sign_for"' in diagram.data


def test_comments_are_added_and_empty_ones_refused(referral, client_as):
    client = client_as("kuiwen_handler")
    assert client.post(f"/cases/{referral.id}/comments", data={"body": "   "}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    client.post(f"/cases/{referral.id}/comments", data={"body": "<script>alert(1)</script>已联系"})
    html = html_of(client.get(f"/cases/{referral.id}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;已联系" in html and "<script>alert(1)" not in html
    assert 'data-kind="comment"' in html


def test_attachments_are_checked_stored_once_and_downloaded_safely(app, referral, client_as):
    client = client_as("kuiwen_handler")
    for name, content in (("photo.png", PNG), ("again.png", PNG)):
        response = client.post(
            f"/cases/{referral.id}/attachments",
            data={"file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    attachments = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
    assert [a.file_name for a in attachments] == ["photo.png", "again.png"]
    assert len({a.sha256 for a in attachments}) == 1
    download = client.get(f"/cases/{referral.id}/attachments/{attachments[0].id}")
    assert download.data == PNG and download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # refused: a type not on the list, a file that lies about its type, an oversized one
    app.config["ATTACHMENT_MAX_BYTES"] = 40
    try:
        for name, content, message in (
            ("run.sh", b"#!/bin/sh", "不能"),
            ("fake.pdf", b"hello", "不是"),
            ("big.png", PNG + b"\x00" * 100, "MB"),
        ):
            response = client.post(
                f"/cases/{referral.id}/attachments",
                data={"file": (io.BytesIO(content), name)},
                content_type="multipart/form-data",
                follow_redirects=True,
            )
            assert response.status_code == 200
            assert message in response.get_data(as_text=True), name
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = 10 * 1024 * 1024
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2


def test_another_county_cannot_see_the_case_its_files_or_diagram(referral, client_as):
    client = client_as("shouguang_handler")
    client_as("kuiwen_handler").post(
        f"/cases/{referral.id}/attachments",
        data={"file": (io.BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    )
    attachment = db.session.scalars(sa.select(Attachment)).one()
    for url in (
        f"/cases/{referral.id}",
        f"/cases/{referral.id}/diagram.bpmn",
        f"/cases/{referral.id}/steps.json",
        f"/cases/{referral.id}/attachments/{attachment.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{referral.id}/comments", data={"body": "x"}).status_code == 404
    assert referral.number not in html_of(client.get("/cases/"))


def test_case_list_filters_and_csv_export(create_referral, client_as):
    kuiwen = create_referral(HUAYU)
    shouguang = create_referral(LVYUAN, category="用工")
    client = client_as("city_supervisor")
    listed = re.findall(r'data-case="([^"]+)"', html_of(client.get("/cases/")))
    assert sorted(listed) == sorted([kuiwen.number, shouguang.number])
    assert re.findall(r'data-case="([^"]+)"', html_of(client.get("/cases/?county=shouguang"))) == [shouguang.number]
    assert re.findall(r'data-case="([^"]+)"', html_of(client.get(f"/cases/?q={kuiwen.number}"))) == [kuiwen.number]
    export = client.get("/cases/export.csv?county=kuiwen")
    assert export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][0] == kuiwen.number and rows[1][3] == HUAYU


def test_the_dispatcher_registers_a_referral_from_the_page(bureau, client_as):
    client = client_as("dispatcher")
    assert "/cases/new/referral" in html_of(client.get("/cases/"))
    bad = client.post(
        "/cases/new/referral",
        data={"data.enterprise_uscc": "91370705MA3C0A0119", "data.category": "社保", "data.description": "问题"},
    )
    assert bad.status_code == 422 and 'id="f-data.enterprise_uscc-error"' in html_of(bad)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == HUAYU))
    response = client.post(
        "/cases/new/referral",
        data={
            "data.enterprise_uscc": uscc,
            "data.category": "社保",
            "data.description": "企业反映问题",
            "data.source": "市工业运行指挥部",
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert open_task_of(case).bpmn_id == "sign_for"
    # a county handler may not register referrals
    assert client_as("kuiwen_handler").get("/cases/new/referral").status_code == 403
    assert client_as("dispatcher").get("/cases/new/nothing").status_code == 404


def test_a_long_case_list_is_counted_up_to_a_limit(app, create_referral, client_as, monkeypatch):
    from workflow_app.cases import routes

    numbers = [create_referral(HUAYU).number for _ in range(3)]
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    monkeypatch.setattr(routes, "CASES_COUNTED", 2)
    client = client_as("city_supervisor")
    first = html_of(client.get("/cases/"))
    assert re.findall(r'data-case="([^"]+)"', first) == [numbers[2]]
    assert "超过 2 个案件" in first and "第 1 页，共 2 页以上" in first
    assert 'href="/cases/?page=2' in first  # "next" leads on
    second = html_of(client.get("/cases/?page=2"))
    assert "超过 2 个案件" in second and 'href="/cases/?page=3' in second
    last = html_of(client.get("/cases/?page=3"))  # the last page counts them all
    assert re.findall(r'data-case="([^"]+)"', last) == [numbers[0]]
    assert "3 个案件" in last and "超过" not in last and "第 3 页，共 3 页" in last


def _timeline_of(html):
    return re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S).group(0)


RECORDED_KEYS = (
    "pension_fen",
    "unemployment_fen",
    "deferred_total_fen",
    "policy_deadline",
    "agreement_id",
    "agreement_number",
    "text_sha256",
    "signed_at",
    "signed_text_sha256",
    "paid_fen",
    "paid_seq",
)


def test_case_history_labels_what_the_steps_record_by_their_forms(create_agreement_case, client_as):
    from workflow_app.agreements.queries import current_agreement
    from workflow_app.core.money import format_yuan

    case = create_agreement_case("paid_once", pension="30000.00")
    first = current_agreement(case.id).installments[0]
    timeline = _timeline_of(html_of(client_as("agency").get(f"/cases/{case.id}")))
    labels = re.findall(r"<dt>(.*?)</dt>", timeline)
    assert not set(labels) & set(RECORDED_KEYS), labels  # no stored key shows as a label
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", timeline))
    assert shown["缓缴的基本养老保险费（元）"] == "30000.00" and shown["拟分期数"] == "3"
    assert shown["审核结论"] == "符合条件，制定分期计划" and shown["是否签署"] == "签署协议"  # choices by their titles
    assert first.amount_fen > 1_000_00 and shown["缴费金额（元）"] == format_yuan(first.amount_fen).replace(",", "")


def test_case_page_shows_its_clocks_and_the_supervision_notices_of_any_of_its_clocks(referral, client_as):
    from datetime import timedelta

    from workflow_app.core import time as app_time
    from workflow_app.sla.escalation import run_sla_sweep
    from workflow_app.sla.models import SlaClock, SupervisionNotice

    for days in (3, 30):  # overdue: the county's notice; long overdue: the city's
        app_time.freeze_clock(app_time.utcnow() + timedelta(days=days))
        try:
            run_sla_sweep()
            db.session.commit()
        finally:
            app_time.reset_clock()
    notices = db.session.scalars(sa.select(SupervisionNotice).order_by(SupervisionNotice.id)).all()
    assert [n.level for n in notices] == ["county", "city"]
    kinds = {db.session.get(SlaClock, n.clock_id).kind for n in notices}
    html = html_of(client_as("kuiwen_supervisor").get(f"/cases/{referral.id}"))
    clocks = re.search(r'<section[^>]*id="clocks".*?</section>', html, re.S).group(0)
    assert re.findall(r'data-notice="([^"]+)"', clocks) == [n.number for n in notices], kinds
    assert 'id="case-clock"' in clocks and '<tr data-phase="sign_for">' in clocks
