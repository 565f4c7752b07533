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
