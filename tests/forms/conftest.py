"""Fixtures for the form machinery: most of it needs the app's config and translations, not a database."""

import pytest

from config import TestingConfig
from workflow_app import create_app


@pytest.fixture(scope="session")
def plain_app():
    """The app on an unused in-memory database: config and translations for code that reads no tables."""
    return create_app(TestingConfig)


@pytest.fixture
def request_context(plain_app):
    """A request of the app (Chinese, the default language); `flask_babel.force_locale("en")` for English."""
    with plain_app.test_request_context():
        yield
