"""Tests that try: injection in text fields, path traversal in file names, oversized requests, forms without
CSRF tokens. Each gets a clear refusal or is stored as plain text and shown escaped; nothing is half-stored.

(XXE and billion-laughs uploads: tests/engine/test_deploy.py and tests/admin/test_processes.py; scripts that
read /etc/passwd or os.environ: tests/engine/test_scripts.py; another unit's ids on every endpoint:
tests/test_route_matrix.py and tests/api/test_api_matrix.py.)
"""

import io
import re

import sqlalchemy as sa

from tests.conftest import HUAYU, PASSWORD, open_task_of
from tests.test_route_matrix import url_for_rule
from workflow_app.auth.models import Enterprise
from workflow_app.cases.models import Attachment, Case, Comment
from workflow_app.engine.models import AuditEvent, Task
from workflow_app.extensions import db

SQL = "'; DROP TABLE case_record; --"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PAYLOAD = f"{SQL} {HTML}"


def _count(model):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _escaped(html):
    """The payload's markup never appears raw; where the text is shown, it is shown escaped."""
    assert "<script>alert" not in html and "<img src=x" not in html
    return "&lt;script&gt;alert" in html


def test_sql_and_html_in_every_text_field_are_stored_as_text_and_shown_escaped(bureau, client_as):
    dispatcher = client_as("dispatcher")
    uscc = db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == HUAYU))
    response = dispatcher.post(
        "/cases/new/referral",
        data={
            "data.enterprise_uscc": uscc,
            "data.category": "社保",
            "data.description": PAYLOAD,
            "data.contact": PAYLOAD[:100],
            "data.source": PAYLOAD[:100],
            "data.external_ref": PAYLOAD[:60],
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    handler = client_as("kuiwen_handler")
    handler.post(f"/cases/{case.id}/comments", data={"body": PAYLOAD})
    handler.post(
        f"/cases/{case.id}/attachments",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"hello"), "<img src=x onerror=alert(1)>.txt")},
    )
    task = open_task_of(case)
    returned = handler.post(
        f"/tasks/{task.id}", data={"data.sign_decision": "return", "data.return_reason": PAYLOAD, "extra-note": PAYLOAD}
    )
    assert returned.status_code == 302
    # every piece went in as text (the tables are all there: the SQL was data, not a statement)
    assert _count(Case) == 1 and _count(Comment) == 2 and _count(Attachment) == 1
    assert db.session.scalar(sa.select(Comment.body).order_by(Comment.id)) == PAYLOAD
    assert db.session.scalar(sa.select(Attachment.file_name)) == "img src=x onerror=alert(1).txt"  # <> dropped

    redispatch = open_task_of(case)
    pages = [
        (dispatcher, f"/cases/{case.id}"),
        (dispatcher, f"/tasks/{redispatch.id}"),
        (dispatcher, "/inbox"),
        (dispatcher, "/cases/"),
        (client_as("ent_huayu"), f"/portal/cases/{case.id}"),
        (dispatcher, f"/cases/?q={SQL}"),
        (dispatcher, f"/inbox?q={SQL}"),
        (client_as("city_supervisor"), "/supervision/work"),
        (client_as("admin"), f"/admin/repair/{case.instance_id}"),
    ]
    shown = 0
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        shown += _escaped(response.get_data(as_text=True))
    assert shown >= 3  # the case page, the task page's earlier steps, the admin's view of the data
    assert dispatcher.get(f"/cases/?q={SQL}").status_code == 200 and _count(Case) == 1


def test_an_enterprises_text_is_escaped_on_the_agencys_pages(bureau, client_as):
    from datetime import date

    from workflow_app.core.time import local_today
    from workflow_app.demo import open_installment_policy

    open_installment_policy(date(local_today().year + 1, 12, 31))
    db.session.commit()
    enterprise = client_as("ent_huayu")
    response = enterprise.post(
        "/portal/apply/installment_agreement",
        data={
            "data.pension_yuan": "1000",
            "data.deferral_end_date": "2023-06-30",
            "data.hardship_reason": PAYLOAD,
            "data.proposed_installments": "3",
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    task = open_task_of(case)
    for client, url in (
        (client_as("agency"), f"/cases/{case.id}"),
        (client_as("agency"), f"/tasks/{task.id}"),
        (enterprise, f"/portal/cases/{case.id}"),
    ):
        assert _escaped(client.get(url).get_data(as_text=True)) or url.startswith("/portal"), url


def test_file_names_with_paths_keep_only_their_last_part(referral, client_as):
    client = client_as("kuiwen_handler")
    for name in ("../../../etc/passwd.txt", "..\\..\\windows\\win.ini.txt", "/tmp/../.hidden.txt", "ok\x00.txt.png"):
        client.post(
            f"/cases/{referral.id}/attachments",
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(b"hello"), name)},
        )
    names = db.session.scalars(sa.select(Attachment.file_name).order_by(Attachment.id)).all()
    assert names[0] == "passwd.txt" and names[2] == "hidden.txt"  # the NUL one: a .png that is no PNG, refused
    assert len(names) == 3 and all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)
    attachment = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).first()
    download = client.get(f"/cases/{referral.id}/attachments/{attachment.id}")
    assert (
        download.headers["Content-Disposition"].startswith("attachment;")
        and ".." not in download.headers["Content-Disposition"]
        and download.headers["X-Content-Type-Options"] == "nosniff"
    )
    # a name that is nothing but a path is refused, not stored nameless
    response = client.post(
        f"/cases/{referral.id}/attachments",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"hello"), "../../")},
        follow_redirects=True,
    )
    assert response.status_code == 200 and _count(Attachment) == 3


def test_a_request_larger_than_the_limit_is_refused_with_413_and_nothing_stored(app, bureau, referral, client_as):
    from workflow_app.auth.operations import create_api_token

    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    try:
        client = client_as("kuiwen_handler")
        response = client.post(
            f"/cases/{referral.id}/attachments",
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(b"x" * 10000), "big.txt")},
        )
        assert response.status_code == 413
        assert "上传的文件过大" in response.get_data(as_text=True) or "too large" in response.get_data(as_text=True)
        _row, token = create_api_token(bureau["kuiwen_handler"], "test")
        db.session.commit()
        api = app.test_client().post(
            f"/api/v1/cases/{referral.id}/comments",
            json={"body": "x" * 10000},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert api.status_code == 413 and api.get_json()["error"] == "payload_too_large"
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert _count(Attachment) == 0 and _count(Comment) == 0


def test_a_chunked_body_over_the_limit_is_refused_with_413_and_nothing_stored(app, bureau, referral, client_as):
    """A body of no stated length (Transfer-Encoding: chunked) is cut at the limit by the stream; read whole it
    must still be a 413, not a body cut short that then fails as broken JSON or a broken form (400)."""
    from workflow_app.auth.operations import create_api_token

    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 4096
    # what gunicorn and werkzeug's server pass on for a chunked body: no length, a stream they end themselves
    streamed = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}
    try:
        _row, token = create_api_token(bureau["kuiwen_handler"], "test")
        db.session.commit()
        api = app.test_client()
        for size in (4097, 30_000):
            body = ('{"body": "' + "x" * size + '"}').encode()
            response = api.post(
                f"/api/v1/cases/{referral.id}/comments",
                input_stream=io.BytesIO(body),
                content_type="application/json",
                environ_overrides=streamed,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"big-{size}"},
            )
            assert response.status_code == 413, response.get_data(as_text=True)
            assert response.get_json()["error"] == "payload_too_large"
        form = client_as("kuiwen_handler").post(
            f"/cases/{referral.id}/comments",
            input_stream=io.BytesIO(b"body=" + b"x" * 30_000),
            content_type="application/x-www-form-urlencoded",
            environ_overrides=streamed,
        )
        assert form.status_code == 413
        # a streamed body within the limit is read whole
        fits = api.post(
            f"/api/v1/cases/{referral.id}/comments",
            input_stream=io.BytesIO(b'{"body": "fits"}'),
            content_type="application/json",
            environ_overrides=streamed,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert fits.status_code == 201, fits.get_data(as_text=True)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert [c.body for c in db.session.scalars(sa.select(Comment))] == ["fits"]


def test_every_form_post_without_a_csrf_token_is_refused(app, route_ids):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert (
            client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}).status_code
            == 302
        )
        events = _count(AuditEvent)
        problems = []
        for rule in sorted(r.rule for r in app.url_map.iter_rules() if "POST" in r.methods):
            if rule.startswith("/api/") or rule == "/login":
                continue  # the API takes bearer tokens, never cookies (tests/api)
            url = url_for_rule(rule, route_ids)
            response = client.post(url, data={"reason": "x", "body": "x", "name": "x"})
            if response.status_code != 400:
                problems.append(f"POST {url}: {response.status_code}")
        assert problems == []
        assert _count(AuditEvent) == events and db.session.get(Task, route_ids["task_id"]).state == "open"
        assert client.get("/inbox").status_code == 200  # still signed in: even the sign-out needs the token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
