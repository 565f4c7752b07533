"""Each request is logged in one line under its id; the id comes back in X-Request-ID and on error pages."""

import json
import logging

import pytest

from workflow_app.core.logs import configure_logging

REQUESTS = "workflow_app.request"


def request_lines(caplog):
    return [record for record in caplog.records if record.name == REQUESTS]


def test_each_request_logs_one_line_with_its_id_user_status_and_duration(app, user, client_as, caplog):
    client = client_as("handler")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=REQUESTS):
        response = client.get("/inbox")
    [line] = request_lines(caplog)
    assert response.status_code == 200
    assert line.request_id == response.headers["X-Request-ID"] and len(line.request_id) == 32
    assert (line.user_id, line.status, line.method, line.path, line.endpoint) == (
        user.id,
        200,
        "GET",
        "/inbox",
        "inbox.index",
    )
    assert line.duration_ms > 0
    assert line.getMessage().startswith("GET /inbox 200 ") and line.getMessage().endswith(f"user={user.id}")


def test_the_request_id_is_on_error_pages_and_api_errors(app, client_as, user, caplog):
    client = client_as("handler")
    with caplog.at_level(logging.INFO, logger=REQUESTS):
        missing = client.get("/cases/999999")
    assert missing.status_code == 404
    request_id = missing.headers["X-Request-ID"]
    assert request_id in missing.get_data(as_text=True)  # the user can quote it ...
    assert "如需报告此问题，请提供请求编号" in missing.get_data(as_text=True)
    assert [r.status for r in request_lines(caplog) if r.request_id == request_id] == [404]  # ... and it is found
    api = client_as(None).get("/api/v1/tasks")
    assert api.status_code == 401 and len(api.headers["X-Request-ID"]) == 32


def test_an_unexpected_failure_shows_the_error_page_with_the_id_its_traceback_is_logged_under(
    app, client_as, user, caplog, monkeypatch
):
    def failing_view():
        raise RuntimeError("the inbox broke")

    monkeypatch.setitem(app.view_functions, "inbox.index", failing_view)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: the 500 page, not a raise
    client = client_as("handler")
    with caplog.at_level(logging.INFO):
        response = client.get("/inbox")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
    assert any(r.exc_info and "the inbox broke" in str(r.exc_info[1]) for r in logged)
    assert [r.status for r in logged if r.name == REQUESTS] == [500]


def test_a_proxy_s_request_id_is_kept_and_anything_else_replaced(app):
    client = app.test_client()
    assert (
        client.get("/healthz", headers={"X-Request-ID": "7d3f0c9e-nginx.1"}).headers["X-Request-ID"]
        == "7d3f0c9e-nginx.1"
    )
    for odd in ("two words", "x" * 65, "<script>", "ä"):
        given = client.get("/healthz", headers={"X-Request-ID": odd}).headers["X-Request-ID"]
        assert given != odd and len(given) == 32


def test_the_request_log_can_be_turned_off(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "REQUEST_LOG", False)
    with caplog.at_level(logging.INFO, logger=REQUESTS):
        response = app.test_client().get("/healthz")
    assert request_lines(caplog) == [] and response.headers["X-Request-ID"]


def test_the_json_format_gives_one_object_per_line_with_the_request_s_fields(app, user, client_as, capsys):
    client = client_as("handler")
    configure_logging({**app.config, "LOG_FORMAT": "json"})  # here: the handler writes to the captured stderr
    try:
        capsys.readouterr()
        response = client.get("/inbox")
        err = capsys.readouterr().err
    finally:
        configure_logging(app.config)
    # (other handlers, e.g. the migrations' in the test session, write their own lines there too)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line["logger"] == REQUESTS]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["level"], line["user_id"], line["status"], line["path"], line["method"]) == (
        "INFO",
        user.id,
        200,
        "/inbox",
        "GET",
    )
    assert line["duration_ms"] > 0 and line["time"].endswith("+00:00") and line["client"] == "127.0.0.1"


def test_an_unknown_log_format_is_refused_by_name(app):
    with pytest.raises(ValueError, match="LOG_FORMAT 'xml'"):
        configure_logging({**app.config, "LOG_FORMAT": "xml"})


def test_a_post_refused_for_its_csrf_token_has_its_id_and_line_too(app, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the check runs before any view: the id comes first
    with caplog.at_level(logging.INFO):
        response = app.test_client().post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.request_id == request_id]
    assert {r.name for r in logged} == {"flask_wtf.csrf", REQUESTS}
    assert [r.status for r in logged if r.name == REQUESTS] == [400]


def test_logging_a_request_reads_nothing_from_the_database(app, user, deploy):
    """The user's id comes from the identity map: after the request's commit, `user.id` would read the row again."""
    import sqlalchemy as sa

    from config import TestingConfig
    from workflow_app import create_app
    from workflow_app.auth.operations import create_api_token
    from workflow_app.extensions import db

    deploy("straight_line.bpmn")
    _row, token = create_api_token(user, "test")
    db.session.commit()
    # an app of its own: each of its requests has its own session, as in production (the test's app context would
    # lend every request the test's session)
    served = create_app(
        type("Served", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    )
    statements = []

    def count(*_args):
        statements.append(1)

    def start_a_case():  # it commits: the user's attributes are expired when the line is logged
        statements.clear()
        response = served.test_client().post(
            "/api/v1/cases",
            json={"process": "straight_line", "data": {"amount": "1"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.get_json()
        return len(statements)

    with served.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        start_a_case()  # warm: what the first start reads once
        counts = {}
        for logged in (False, True, False, True):
            served.config["REQUEST_LOG"] = logged
            counts.setdefault(logged, set()).add(start_a_case())
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    assert counts[True] == counts[False] and len(counts[True]) == 1
