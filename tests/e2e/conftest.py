"""Browser tests: a live server on a seeded SQLite database, driven by Playwright in Debian's Chromium.

Chromium missing: skipped with the reason on a laptop, a failure when REQUIRE_BROWSER=1 (CI).
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from workflow_app import create_app
from workflow_app.extensions import db

DEMO_PASSWORD = "demo-pass-1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_app(live_server):
    """The application behind the live server (to set up data in its database)."""
    return live_server.app


class LiveServer(str):
    """The live server's base URL, which also knows its app."""

    app = None


def seeded_app(path, with_cases: bool, csrf: bool = True):
    """An app on a new SQLite database at `path`, migrated and seeded with the demo's bureau (org units, users,
    enterprises) and bpmn/ deployed; with_cases: seeded as `make run` does (`flask seed-demo`, cases in every
    state) instead."""
    from flask_migrate import upgrade

    from workflow_app.demo import seed_demo
    from workflow_app.engine.operations import deploy_sources, read_sources

    config = type(
        "SeededConfig",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": csrf, "DEMO_PASSWORD": DEMO_PASSWORD},
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
        if with_cases:
            result = app.test_cli_runner().invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
        else:
            seed_demo(DEMO_PASSWORD)
            deploy_sources(read_sources([app.config["BPMN_DIR"]]))
            db.session.commit()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    yield from serve(seeded_app(tmp_path_factory.mktemp("e2e") / "e2e.sqlite", with_cases=False))


def serve(app):
    """Serve `app` in a thread for the session; yield its URL (which knows the app)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """A second live server on the demo as `make run` seeds it (`flask seed-demo`: every process in several states),
    for tests that walk the demo's pages; tests that set up their own data use live_server."""
    yield from serve(seeded_app(tmp_path_factory.mktemp("demo") / "demo.sqlite", with_cases=True))


@pytest.fixture(scope="session")
def browser():
    path = TestingConfig.CHROMIUM_PATH
    if not os.path.exists(path):
        reason = f"Chromium not found at {path} (apt-get install chromium)"
        if TestingConfig.REQUIRE_BROWSER:
            pytest.fail(reason + " (REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts():
    """Where browser tests leave their screenshots (kept after the run, for people to look at)."""
    folder = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def page(browser, request, artifacts):
    """A fresh browser page; a failing test leaves a screenshot of where it stopped.

    Anything the Content-Security-Policy blocked, or a script error, fails the test.
    """
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    if getattr(request.node, "failed_call", False):
        page.screenshot(path=artifacts / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()
    assert problems == [], "blocked by the Content-Security-Policy or a script error"
