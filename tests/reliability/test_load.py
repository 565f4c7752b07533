"""8 API clients completing tasks of one shared queue against gunicorn (2 workers) on PostgreSQL: no errors
but the expected conflicts, no completion lost or doubled (the clients' own records against the task rows and
the audit trail). CI runs it for LOAD_SECONDS (default 10); `python bench/api_load.py` runs the full 60 s."""

import os

from api_load import run_load


def test_eight_clients_lose_and_double_nothing(live_stack):
    stack = live_stack(clients=8)
    stack.start_web("gunicorn", workers=2)
    result = run_load(stack, clients=8, seconds=float(os.environ.get("LOAD_SECONDS", "10")))
    assert result["error_count"] == 0, result["errors"]
    assert result["completions"] > 50 and result["cases_created"] == result["cases_stored"]
    assert result["duplicated_completions"] == 0 and result["lost_completions"] == 0
    assert result["phantom_completions"] == 0
    assert result["stored_completions"] == result["audited_completions"] == result["completions"]
    check = stack.flask("processes", "check")
    assert check.returncode == 0, check.stdout + check.stderr
