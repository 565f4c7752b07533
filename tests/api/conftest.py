"""API fixtures: tokens of demo users, and a client that sends one."""

import pytest

from workflow_app.auth.operations import create_api_token
from workflow_app.auth.queries import find_user
from workflow_app.extensions import db


@pytest.fixture
def create_token(bureau):
    """A bearer token of a demo user (by user name)."""

    def factory(username, kind="personal", name="test"):
        _row, token = create_api_token(find_user(username), name, kind)
        db.session.commit()
        return token

    return factory


class ApiClient:
    """The Flask test client with a bearer token on every request."""

    def __init__(self, client, token, language=None):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}
        if language:
            self.headers["Accept-Language"] = language

    def get(self, path, **kwargs):
        return self.client.get("/api/v1" + path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.client.post(
            "/api/v1" + path, json=json, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )


@pytest.fixture
def api_as(app, create_token):
    """An API client acting as a demo user (by user name)."""

    def factory(username, language=None):
        return ApiClient(app.test_client(), create_token(username), language)

    return factory
