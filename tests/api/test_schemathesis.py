"""schemathesis against /api/v1/openapi.json on a running app: no 5xx, every response as the document says.

The app runs in a real HTTP server (werkzeug, threads) on each database, with the demo bureau and its demo
cases of every process in several states. For each demo user who can hold a token (a test each, so that the
users spread over the test processes), every operation is fuzzed with schema-valid and schema-invalid data under
every check schemathesis offers, then a stateful run follows the document's links (a created case's id into its
reads and writes, a listed task's id into its claim and completion). `schemathesis run --checks all` then runs
every phase, the coverage phase among them, as a staff member and as an enterprise. Examples per operation
(SCHEMATHESIS_EXAMPLES) and scenarios (SCHEMATHESIS_SCENARIOS) are few and drawn deterministically, so that the
run stays bounded.
"""

import json
import os
import subprocess
import sys
import threading
import traceback
import weakref

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from werkzeug.serving import make_server

from tests.conftest import SeededRows, clock_untouched
from workflow_app.auth.models import User
from workflow_app.auth.operations import create_api_token
from workflow_app.demo import seed_demo_cases
from workflow_app.extensions import db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "6"))
ROLES = (
    "admin",
    "dispatcher",
    "city_supervisor",
    "reviewer",
    "agency",
    "bank",
    "kuiwen_handler",
    "kuiwen_specialist",
    "kuiwen_supervisor",
    "shouguang_handler",
    "ent_huayu",
    "ent_lvyuan",
)
# Starting a case and completing a task fill in a form, whose own rules (as in the UI: the enterprise's USCC is
# registered, a decision's reason is given, dates are in order) no JSON Schema states: a schema-valid body that
# breaks one is refused with 422, which the document lists, and is no failure of positive data acceptance.
# A NUL character in any string is refused with 400 (docs/api.md; tests/api/test_endpoint.py), which the document says
# for 400 but JSON Schema cannot state for the free-form `data` and `payload` objects: strings carry none here.
CONFIG = """
[generation]
allow-x00 = false

[[operations]]
include-operation-id = ["createCase", "completeTask"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
"""
FUZZING = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
STATEFUL = settings(
    max_examples=SCENARIOS,
    stateful_step_count=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def all_checks():
    """Return every check schemathesis offers (`--checks all`)."""
    load_all_checks()
    return list(CHECKS.get_all())


# app -> the rows of its demo bureau with its demo cases, written again for each later test (seeding them is a
# second or two per test; writing the rows, a few hundredths)
_DEMO_ROWS: "weakref.WeakKeyDictionary[object, SeededRows]" = weakref.WeakKeyDictionary()


@pytest.fixture
def demo_cases(request, app):
    """The demo bureau with its demo cases of every process in several states; users by name."""
    seeded = _DEMO_ROWS.get(app)
    if seeded is not None and seeded.fits_now():
        seeded.restore()
    else:
        before = SeededRows() if clock_untouched() else None  # the app fixture's rows, which a restoring replaces
        request.getfixturevalue("bureau")  # only to seed: the rows restored hold the bureau's too
        seed_demo_cases()
        db.session.commit()
        if before is not None and clock_untouched():
            _DEMO_ROWS[app] = SeededRows(before)
    return {user.username: user for user in db.session.scalars(sa.select(User))}


@pytest.fixture
def served_api(app, demo_cases):
    """The demo bureau with its demo cases, served over HTTP on a free port; a token for every demo user."""
    tokens = {username: create_api_token(demo_cases[username], "schemathesis")[1] for username in ROLES}
    db.session.commit()
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop to notice it, which polls every half second by default
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1", tokens
    server.shutdown()
    server.server_close()


# Users on the two sides of the county line: neither side may see the other's cases and tasks
KUIWEN = ("kuiwen_handler", "kuiwen_specialist", "kuiwen_supervisor", "ent_huayu")
SHOUGUANG = ("shouguang_handler", "ent_lvyuan")


def _peers(username) -> list[str]:
    """Return the users who must not see `username`'s objects, nor it theirs (city users see all: none)."""
    if username in KUIWEN:
        return [username, *SHOUGUANG]
    if username in SHOUGUANG:
        return [username, *KUIWEN]
    return []


def _config(credentials, username) -> str:
    """Return the run's configuration: calling as `username`, every demo user's token known for peers' probes."""
    peers = _peers(username)
    return (
        CONFIG
        + f"""
[auth.wfc]
path = "{credentials}"
user = "{username}"
"""
        + (f"peers = {json.dumps(peers)}\n" if peers else "")
    )


def _schema(base_url, credentials, username):
    """Load the served document, calling as `username`."""
    config = SchemathesisConfig.from_str(_config(credentials, username))
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    schema.config.base_url = base_url
    return schema


@pytest.fixture
def credentials(served_api, tmp_path):
    """A Web Fuzzing Commons auth document: every demo user with its bearer token."""
    _base_url, tokens = served_api
    path = tmp_path / "credentials.json"
    path.write_text(
        json.dumps(
            {
                "auth": [
                    {"name": username, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                    for username, token in tokens.items()
                ]
            }
        )
    )
    return path


def _described(exc) -> str:
    """Describe a failure as schemathesis does: each check's finding with the request that reproduces it."""
    return "".join(traceback.format_exception_only(exc)).strip()


def _fuzz(schema, base_url, checks) -> tuple[int, set, list]:
    """Run every operation with valid and invalid data; return the calls, their statuses and the failures."""
    calls, statuses, failures = [0], set(), []
    for operation in [result.ok() for result in schema.get_all_operations()]:
        for mode in GenerationMode:

            @FUZZING
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(base_url=base_url)
                calls[0] += 1
                statuses.add(response.status_code)
                case.validate_response(response, checks=checks)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (every operation is tried; all reported)
                failures.append(f"{operation.label} ({mode.value}): {_described(exc)}")
    return calls[0], statuses, failures


def _state_machine(schema, base_url, checks, followed):
    """Return the document's state machine, validating with `checks`; link steps go to `followed`."""

    # a step that followed one of the document's links (not one schemathesis inferred) is noted as
    # (link, operation, status)
    class Machine(schema.as_state_machine()):
        def step(self, input):
            output = super().step(input)
            if input.transition is not None and not input.transition.is_inferred and input.is_applied:
                link = input.transition.id.split(" -> ")[1].split()[-1]  # "GET /cases -> [200] GetCase -> ..."
                followed.append((link, input.case.operation.label, output.response.status_code))
            return output

        def get_call_kwargs(self, case):
            return {"base_url": base_url}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=checks, transport_kwargs=kwargs, recorder=self.recorder)

    return Machine


# Where each role's stateful run gets on the demo cases, each role on its own (derandomized: the same every run).
# Every role's but Lvyuan's follows GetCase to a case it may see (so eleven runs follow at least eleven links);
# Huayu's also follows its task list's first task to the task's page.
FOLLOWS_TO_A_CASE = tuple(username for username in ROLES if username != "ent_lvyuan")
FOLLOWS_TO_A_TASK = ("ent_huayu",)
TASK_OPERATIONS = {"GET /tasks/{task_id}", "POST /tasks/{task_id}/claim", "POST /tasks/{task_id}/complete"}


@pytest.mark.parametrize("username", ROLES)
def test_the_api_keeps_to_its_openapi_document(served_api, credentials, username):
    """Fuzz every operation as `username` under every check, then follow the document's links statefully."""
    base_url, _tokens = served_api
    checks = all_checks()
    assert len(checks) >= 14
    schema = _schema(base_url, credentials, username)
    assert len(list(schema.get_all_operations())) >= 10
    calls, statuses, failures = _fuzz(schema, base_url, checks)
    assert calls >= 10 * EXAMPLES and statuses & {200, 201}, statuses  # the token was sent
    followed = []
    try:
        _state_machine(schema, base_url, checks, followed).run(settings=STATEFUL)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
        failures.append(f"stateful: {_described(exc)}")
    assert not failures, "\n\n".join(failures)
    assert statuses & {403, 404, 422} and not {status for status in statuses if status >= 500}, statuses
    # the stateful run went from responses to the operations the links name, and reached real cases and tasks
    links = {link for link, _operation, _status in followed}
    reached = {operation for _link, operation, status in followed if status in (200, 201)}
    assert followed, "no link followed"
    if username in FOLLOWS_TO_A_CASE:
        assert "GetCase" in links and "GET /cases/{case_id}" in reached, followed
    if username in FOLLOWS_TO_A_TASK:
        assert reached & TASK_OPERATIONS, followed


@pytest.mark.parametrize("username", ["kuiwen_handler", "ent_lvyuan"])
def test_schemathesis_run_with_every_check_and_phase_passes(served_api, credentials, tmp_path, username):
    """Run `schemathesis run --checks all` with every phase: examples, coverage, fuzzing, stateful."""
    # The coverage phase's own checks (missing headers, unsupported methods, the Allow header) depend on the routing
    # and the token, which are checked before a user's role: a staff member and an enterprise stand for all.
    base_url, _tokens = served_api
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(credentials, username))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{base_url}/openapi.json",
            "--url",
            base_url,
            "--checks",
            "all",
            "--workers",
            "1",
            "--max-examples",
            str(EXAMPLES),
            "--generation-deterministic",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in run.stdout, run.stdout[-5000:]
