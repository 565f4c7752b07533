"""Ids in URLs: every `<int:...>` route answers 404 for an id no INTEGER key can hold, on every database, page and API.

(Issue 27 point 5: 2^31 answered 500 on PostgreSQL, 2^63 on SQLite.)
"""

import re

import pytest

from tests.test_route_matrix import url_for_rule
from workflow_app.auth.operations import create_api_token
from workflow_app.core.ids import ID_MAX, parse_id
from workflow_app.extensions import db

BEYOND = [str(2**31), str(2**63), str(10**30), "9" * 5000]
# what the routes' other variables are (none of them is looked up before the id is refused)
OTHER_VARIABLES = {"process_id": "referral", "code": "en", "filename": "app.css"}


def _rules_with_ids(app):
    return sorted(
        (rule.rule, sorted(rule.methods & {"GET", "POST"})) for rule in app.url_map.iter_rules() if "<int:" in rule.rule
    )


def _url(rule, number):
    ids = {**OTHER_VARIABLES, **{name: number for name in re.findall(r"<int:(\w+)>", rule)}}
    return url_for_rule(rule, ids)


def test_every_id_route_answers_404_for_an_id_beyond_the_integer_keys(app, bureau, client_as):
    _row, token = create_api_token(bureau["admin"], "ids")
    db.session.commit()
    staff, enterprise, api = client_as("admin"), client_as("ent_huayu"), app.test_client()
    rules = _rules_with_ids(app)
    assert len(rules) > 30  # cases, tasks, attachments, agreements, portal, admin, notices, the API...
    problems = []
    for rule, methods in rules:
        client = enterprise if rule.startswith("/portal/") else api if rule.startswith("/api/") else staff
        headers = {"Authorization": f"Bearer {token}"} if rule.startswith("/api/") else {}
        for number in BEYOND:
            for method in methods:
                response = client.open(
                    _url(rule, number),
                    method=method,
                    headers=headers,
                    json={} if rule.startswith("/api/") and method == "POST" else None,
                )
                if response.status_code != 404:
                    problems.append(f"{method} {rule} with {number[:20]}: {response.status_code}")
    assert problems == []


def test_the_largest_id_is_looked_up_and_not_found(app, bureau, client_as, referral):
    client = client_as("admin")
    for path in (
        f"/cases/{ID_MAX}",
        f"/tasks/{ID_MAX}",
        f"/cases/{referral.id}/attachments/{ID_MAX}",
        f"/agreements/{ID_MAX}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/cases/{referral.id}").status_code == 200


@pytest.mark.parametrize(
    "typed, number",
    [
        ("1", 1),
        (" 42 ", 42),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),
        ("0", None),
        ("-1", None),
        ("", None),
        (None, None),
        ("1e3", None),
        ("9" * 5000, None),
        ("0x10", None),
    ],
)
def test_an_id_typed_as_text_is_read_within_the_integer_keys(typed, number):
    assert parse_id(typed) == number
