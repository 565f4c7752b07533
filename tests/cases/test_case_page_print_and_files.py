"""The case page's furniture: attachment sizes people can read, a work-order header for print, the repair link."""

import io
import re

from workflow_app.extensions import db


def test_a_small_attachment_shows_its_bytes_not_zero_kilobytes(referral, client_as):
    client = client_as("kuiwen_handler")
    response = client.post(
        f"/cases/{referral.id}/attachments",
        data={"file": (io.BytesIO(b"x" * 37), "note.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = client.post(
        f"/cases/{referral.id}/attachments",
        data={"file": (io.BytesIO(b"y" * 3000), "scan.txt")},
        content_type="multipart/form-data",
    )
    html = client.get(f"/cases/{referral.id}").get_data(as_text=True)
    attachments = html[html.index('id="attachments"') :]
    assert "37 字节" in attachments and "2.9 KB" in attachments and "0.0 KB" not in attachments


def test_the_page_prints_as_a_work_order(referral, client_as):
    html = client_as("kuiwen_handler").get(f"/cases/{referral.id}").get_data(as_text=True)
    title = html[html.index('<div class="print-only" id="print-title">') :]
    assert f"案件工单 {referral.number}" in title[:600] and "打印日期" in title[:600]
    assert re.search(r'<button type="button" class="btn btn-sm btn-outline-secondary" data-print>', html)
    assert "print_button.js" in html
    assert (
        '<section class="card shadow-sm mb-3 no-print"><div class="card-body">\n  <div class="d-flex' in html
    )  # no diagram


def test_an_admin_reaches_case_repair_from_the_case_page(referral, client_as):
    repair = f'href="/admin/repair/{referral.instance_id}"'
    assert repair in client_as("admin").get(f"/cases/{referral.id}").get_data(as_text=True)
    assert repair not in client_as("kuiwen_handler").get(f"/cases/{referral.id}").get_data(as_text=True)
    referral.instance.status, referral.instance.error_message = "error", "division by zero"
    db.session.commit()
    html = client_as("admin").get(f"/cases/{referral.id}").get_data(as_text=True)
    error = html[html.index('id="case-error"') :]
    assert "division by zero" in error[:400] and repair in error[:600] and "修复此案件" in error[:600]
    html = client_as("kuiwen_handler").get(f"/cases/{referral.id}").get_data(as_text=True)
    assert "管理员可在" in html[html.index('id="case-error"') :][:600]
