"""The account page where a user makes and revokes personal API tokens."""

import re

import sqlalchemy as sa

from workflow_app.auth.models import ApiToken
from workflow_app.extensions import db


def test_a_user_creates_a_token_sees_it_once_uses_it_and_revokes_it(bureau, client_as):
    client = client_as("kuiwen_handler")
    assert client.post("/account/tokens", data={"name": ""}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    page = client.post("/account/tokens", data={"name": "我的脚本"}).get_data(as_text=True)
    token = re.search(r"(wf_[A-Za-z0-9_-]{20,})", page).group(1)
    api = client.application.test_client()
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "我的脚本" in listing and token not in listing  # shown once only
    row = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert api.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # somebody else's token cannot be revoked through one's own page
    other = client_as("shouguang_handler")
    assert other.post(f"/account/tokens/{row.id}/revoke").status_code == 404
