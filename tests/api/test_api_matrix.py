"""Every API route, with every kind of user's token: the same answers as the UI gives (tests/test_route_matrix.py).

Ids point at a Kuiwen referral about Huayu: Shouguang's handler and the other enterprise get 404
for it, knowing its ids; a route added without a line here fails the first test.
"""

import pytest

from tests.test_route_matrix import ENTERPRISE_USERS, SEES_CASE, STAFF, url_for_rule
from workflow_app.auth.operations import create_api_token
from workflow_app.auth.queries import find_user
from workflow_app.engine.models import Task
from workflow_app.extensions import db

ALL = STAFF | ENTERPRISE_USERS
SEES_REFERRAL = {u: (200 if u in SEES_CASE else 404) for u in STAFF} | {"ent_huayu": 200, "ent_lvyuan": 404}
GET_MATRIX = {
    "/api/v1/openapi.json": {u: 200 for u in ALL},
    "/api/v1/processes": {u: 200 for u in ALL},
    "/api/v1/cases": {u: 200 for u in ALL},
    "/api/v1/tasks": {u: 200 for u in ALL},
    "/api/v1/cases/<int:case_id>": SEES_REFERRAL,
    # the sign-for is the county's step: enterprises never see it
    "/api/v1/tasks/<int:task_id>": {u: (200 if u in SEES_CASE else 404) for u in STAFF}
    | {u: 404 for u in ENTERPRISE_USERS},
}
# POST with an empty JSON object
STAFF_WRITE = {u: (422 if u in SEES_CASE else 404) for u in STAFF} | {"ent_huayu": 403, "ent_lvyuan": 404}
POST_MATRIX = {
    "/api/v1/cases": {u: 422 for u in ALL},  # no process named
    "/api/v1/cases/<int:case_id>/messages": STAFF_WRITE,
    "/api/v1/cases/<int:case_id>/comments": STAFF_WRITE,
    # only the county's handler may act on it (claimed first, as the routes run in order); others who see it: 403
    "/api/v1/tasks/<int:task_id>/claim": {
        u: ({"kuiwen_handler": 200}.get(u, 403) if u in SEES_CASE else 404) for u in STAFF
    }
    | {u: 404 for u in ENTERPRISE_USERS},
    "/api/v1/tasks/<int:task_id>/complete": {
        u: ({"kuiwen_handler": 422}.get(u, 403) if u in SEES_CASE else 404) for u in STAFF
    }
    | {u: 404 for u in ENTERPRISE_USERS},
}


def _api_rules(app):
    rules = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            rules.setdefault(rule.rule, set()).update(rule.methods)
    return rules


def test_every_api_route_is_in_the_matrix(app):
    rules = _api_rules(app)
    assert {r for r, m in rules.items() if "GET" in m} == set(GET_MATRIX)
    assert {r for r, m in rules.items() if "POST" in m} == set(POST_MATRIX)


@pytest.mark.parametrize("username", sorted(ALL))
def test_each_api_route_as(username, app, route_ids):
    _row, token = create_api_token(find_user(username), "matrix")
    db.session.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    problems = []
    for rule, methods in sorted(_api_rules(app).items()):
        url = url_for_rule(rule, route_ids)
        for method, matrix in (("GET", GET_MATRIX), ("POST", POST_MATRIX)):
            if method not in methods:
                continue
            response = client.open(url, method=method, headers=headers, **({"json": {}} if method == "POST" else {}))
            expected = matrix[rule][username]
            if response.status_code != expected:
                problems.append(f"{method} {url}: {response.status_code}, expected {expected}")
            elif response.status_code >= 400:
                assert set(response.get_json()) == {"error", "message", "details"}
    assert problems == []
    db.session.expire_all()
    assert db.session.get(Task, route_ids["task_id"]).state == "open"
