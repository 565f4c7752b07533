"""Every response carries the security headers; no template has a script the policy would block."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "workflow_app" / "templates"


def test_pages_files_and_errors_carry_the_headers(bureau, client_as):
    client = client_as("kuiwen_handler")
    for url in ("/login", "/inbox", "/static/app.css", "/no-such-page"):
        headers = client.get(url).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_what_a_signed_in_user_gets_is_never_stored_and_static_files_keep_their_caching(bureau, client_as, referral):
    from workflow_app.auth.operations import create_api_token
    from workflow_app.extensions import db

    client = client_as("kuiwen_handler")
    for url in ("/inbox", f"/cases/{referral.id}", "/account/password", "/no-such-page"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    assert client.post("/logout").headers.get("Cache-Control") in (None, "no-store")
    static = client_as("kuiwen_handler").get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    _row, token = create_api_token(bureau["kuiwen_handler"], "test")
    db.session.commit()
    api = client_as(None)
    for url in ("/api/v1/tasks?queue=group", f"/api/v1/cases/{referral.id}", "/api/v1/cases/999999", "/api/v1/nothing"):
        response = api.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.headers.get("Cache-Control") == "no-store", url
    posted = api.post(
        f"/api/v1/cases/{referral.id}/comments", json={"body": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert posted.status_code == 201 and posted.headers.get("Cache-Control") == "no-store"


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", html)]
        offenders += [f"{path.name}: javascript: URL" for _ in re.findall(r"javascript:", html)]
    assert offenders == []
