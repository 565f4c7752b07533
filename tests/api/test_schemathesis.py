"""schemathesis against /api/v1/openapi.json on a running app: no 5xx, every response as the document says.

The app runs in a real HTTP server (werkzeug, threads) on each database; requests carry the
tokens of a county handler (who has a task to complete) and of an enterprise. The number of
examples per operation is bounded (SCHEMATHESIS_EXAMPLES) so that the suite stays fast.
"""
import os
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)
from werkzeug.serving import make_server

from workflow_app.auth.operations import create_api_token
from workflow_app.auth.queries import find_user
from workflow_app.extensions import db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture
def running_app(app, referral, create_agreement_case):
    """The app with a referral and an installment agreement, served over HTTP on a free port."""
    create_agreement_case("drafted")
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _token(username):
    _row, token = create_api_token(find_user(username), "schemathesis")
    db.session.commit()
    return token


@pytest.mark.parametrize("username", ["kuiwen_handler", "ent_huayu"])
def test_the_api_keeps_to_its_openapi_document(running_app, username):
    headers = {"Authorization": f"Bearer {_token(username)}"}
    db.session.remove()
    schema = schemathesis.openapi.from_url(f"{running_app}/api/v1/openapi.json")
    schema.config.base_url = f"{running_app}/api/v1"
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    calls = {"count": 0, "statuses": set()}

    for operation in operations:
        # mostly small ids, so that the requests reach the seeded cases and tasks as well as missing ones
        small_ids = {name: st.integers(1, 12) for name in ("case_id", "task_id") if f"{{{name}}}" in operation.path}

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), ids=st.fixed_dictionaries(small_ids), use_small=st.booleans())
        def check(case, ids, use_small):
            if use_small and ids:
                case.path_parameters = {**(case.path_parameters or {}), **ids}
            response = case.call(base_url=f"{running_app}/api/v1", headers=headers)
            calls["count"] += 1
            calls["statuses"].add(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()
    assert calls["count"] >= len(operations) * min(EXAMPLES, 5)
    assert calls["statuses"] & {200, 201} and calls["statuses"] & {404, 422}
