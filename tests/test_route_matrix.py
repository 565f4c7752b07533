"""Every route, as every kind of user: 200, 302 to the login page, 403 or 404 as it should be.

A route added without a line here fails `test_every_route_is_in_the_matrix`, so the matrix
stays complete. Ids point at a Kuiwen referral: Shouguang's handler must get 404 for it,
even knowing its ids.
"""

import re

import pytest

from workflow_app.extensions import db

USERS = [
    "anonymous",
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
]
ENTERPRISE_USERS = {"ent_huayu", "ent_lvyuan"}  # the referral and the agreement are Huayu's, not Lvyuan's
STAFF = set(USERS) - {"anonymous"} - ENTERPRISE_USERS
NO_ENTERPRISE = {u: 403 for u in ENTERPRISE_USERS}
# who may see Huayu's installment agreement: the agency's officers (their tasks), oversight of Kuiwen and the city
SEES_AGREEMENT = {"admin", "agency", "city_supervisor", "kuiwen_supervisor", "ent_huayu"}
AGREEMENT_PAGE = {u: (200 if u in SEES_AGREEMENT else 404) for u in STAFF | ENTERPRISE_USERS}
# the portal: the enterprise's own things only (404 for another's), 403 for staff
PORTAL_PAGE = {u: 403 for u in STAFF} | {"ent_huayu": 200, "ent_lvyuan": 200}
OWN_IN_PORTAL = {u: 403 for u in STAFF} | {"ent_huayu": 200, "ent_lvyuan": 404}
# who may see the Kuiwen referral: the county's handlers (their role's task), supervisors above it,
# the dispatcher who registered it, and admins (oversight of the whole city)
SEES_CASE = {"admin", "dispatcher", "city_supervisor", "kuiwen_handler", "kuiwen_supervisor"}

# rule -> {user: status} for GET; "staff" pages give 200 to all staff
ADMIN_ONLY = {u: (200 if u == "admin" else 403) for u in STAFF | ENTERPRISE_USERS}
STAFF_PAGE = {u: 200 for u in STAFF} | NO_ENTERPRISE
CASE_PAGE = {u: (200 if u in SEES_CASE else 404) for u in STAFF} | NO_ENTERPRISE
SUPERVISORS = {"admin", "city_supervisor", "kuiwen_supervisor"}
SUPERVISION_PAGE = {u: (200 if u in SUPERVISORS else 403) for u in STAFF} | NO_ENTERPRISE
EVERYONE = {u: 200 for u in STAFF | ENTERPRISE_USERS}
GET_MATRIX = {
    "/": {u: 200 for u in STAFF} | {u: 302 for u in ENTERPRISE_USERS},  # an enterprise goes on to its portal
    "/inbox": STAFF_PAGE,
    "/upcoming": STAFF_PAGE,
    "/cases/": STAFF_PAGE,
    "/cases/export.csv": STAFF_PAGE,
    "/cases/new/<process_id>": {u: (200 if u == "dispatcher" else 403) for u in STAFF} | NO_ENTERPRISE,
    "/cases/<int:case_id>": CASE_PAGE,
    "/cases/<int:case_id>/diagram.bpmn": CASE_PAGE,
    "/cases/<int:case_id>/steps.json": CASE_PAGE,
    "/cases/<int:case_id>/attachments/<int:attachment_id>": CASE_PAGE,
    "/tasks/<int:task_id>": CASE_PAGE,
    "/notifications": EVERYONE,
    "/supervision": SUPERVISION_PAGE,
    "/supervision/work": SUPERVISION_PAGE,
    "/supervision/work.csv": SUPERVISION_PAGE,
    "/supervision/work.xlsx": SUPERVISION_PAGE,
    "/supervision/ranking.csv": SUPERVISION_PAGE,
    "/supervision/ranking.xlsx": SUPERVISION_PAGE,
    "/supervision/notices": SUPERVISION_PAGE,
    "/account/password": EVERYONE,
    "/account/tokens": EVERYONE,
    "/agreements/<int:agreement_id>": AGREEMENT_PAGE,
    "/agreements/<int:agreement_id>/verify": AGREEMENT_PAGE,
    "/portal/": PORTAL_PAGE,
    "/portal/apply/<process_id>": {u: 403 for u in STAFF}
    | {u: 404 for u in ENTERPRISE_USERS},  # a referral: not theirs to apply for
    "/portal/cases/<int:case_id>": OWN_IN_PORTAL,  # the referral is about Huayu: Huayu follows it
    "/portal/tasks/<int:task_id>": {u: 403 for u in STAFF} | {u: 404 for u in ENTERPRISE_USERS},  # the county's task
    "/portal/files/<int:attachment_id>": OWN_IN_PORTAL,
}
POST_ONLY = {  # rule -> {user: status} for a POST without a valid form: never 200, never 500
    "/cases/<int:case_id>/comments": CASE_PAGE | {u: 302 for u in SEES_CASE},
    "/cases/<int:case_id>/attachments": CASE_PAGE | {u: 302 for u in SEES_CASE},
    "/tasks/<int:task_id>/claim": CASE_PAGE | {u: 302 for u in SEES_CASE},
    "/tasks/<int:task_id>/release": CASE_PAGE | {u: 302 for u in SEES_CASE},
    "/tasks/<int:task_id>/reassign": CASE_PAGE
    | {u: (302 if u in {"admin", "city_supervisor", "kuiwen_supervisor"} else 403) for u in SEES_CASE},
    # one's own notification only: Kuiwen's supervisor's
    "/notifications/<int:notification_id>/open": {
        u: (302 if u == "kuiwen_supervisor" else 404) for u in STAFF | ENTERPRISE_USERS
    },
    "/notifications/read-all": {u: 302 for u in STAFF | ENTERPRISE_USERS},
    # one's own token only: Kuiwen's handler's
    "/account/tokens/<int:token_id>/revoke": {
        u: (302 if u == "kuiwen_handler" else 404) for u in STAFF | ENTERPRISE_USERS
    },
    "/portal/installments/<int:installment_id>/proof": {u: 403 for u in STAFF} | {"ent_huayu": 302, "ent_lvyuan": 404},
    # Huayu may ask to withdraw its case (the referral the dispatcher started: refused, back to the page), no one else
    "/portal/cases/<int:case_id>/withdraw": {u: 403 for u in STAFF} | {"ent_huayu": 302, "ent_lvyuan": 404},
    "/supervision/notices/<int:notice_id>/acknowledge": {u: (302 if u in SUPERVISORS else 403) for u in STAFF}
    | NO_ENTERPRISE,
}
# open to all, or only changing the visitor's own session (tests/auth covers them); the probes and /metrics, by
# address or token (tests/monitoring)
PUBLIC = {
    "/login",
    "/static/<path:filename>",
    "/favicon.ico",
    "/logout",
    "/language/<code>",
    "/healthz",
    "/readyz",
    "/metrics",
}


def url_for_rule(rule, ids):
    def fill(match):
        name = match.group(1).split(":")[-1]
        if name == "action":
            return re.search(r"any\(([^,)]+)", match.group(1)).group(1).strip()
        return str(ids[name])

    return re.sub(r"<([^>]+)>", fill, rule)


def all_rules(app):
    return {rule.rule: rule.methods for rule in app.url_map.iter_rules()}


def is_admin_rule(rule):
    return rule.startswith("/admin")


def is_api_rule(rule):
    """The JSON API has its own matrix, by token (tests/api/test_api_matrix.py)."""
    return rule.startswith("/api/")


def test_every_route_is_in_the_matrix(app):
    missing = [
        rule
        for rule in all_rules(app)
        if not (rule in GET_MATRIX or rule in POST_ONLY or rule in PUBLIC or is_admin_rule(rule) or is_api_rule(rule))
    ]
    assert missing == []


@pytest.mark.parametrize("username", USERS)
def test_each_route_as(username, app, route_ids, client_as):
    client = client_as(None if username == "anonymous" else username)
    problems = []
    for rule, methods in sorted(all_rules(app).items()):
        if rule in PUBLIC:
            continue
        url = url_for_rule(rule, route_ids)
        if is_api_rule(rule):  # a browser session is no API credential: 401 (the document itself is public)
            response = client.get(url) if "GET" in methods else client.post(url, json={})
            if response.status_code != (200 if rule == "/api/v1/openapi.json" else 401):
                problems.append(f"{'GET' if 'GET' in methods else 'POST'} {url} by session: {response.status_code}")
            continue
        if "GET" in methods:
            expected = ADMIN_ONLY if is_admin_rule(rule) else GET_MATRIX.get(rule)
            response = client.get(url)
            if username == "anonymous":
                ok = response.status_code == 302 and "/login" in response.headers["Location"]
            elif expected is None:
                ok = response.status_code in (302, 403, 404, 405)
            else:
                ok = response.status_code == expected[username]
            if not ok:
                problems.append(f"GET {url}: {response.status_code}, expected {expected and expected.get(username)}")
        else:
            response = client.post(url, data={})
            expected = (POST_ONLY.get(rule) or {}).get(username)
            if username == "anonymous":
                ok = response.status_code == 302 and "/login" in response.headers["Location"]
            elif expected is not None:
                ok = response.status_code == expected
            else:
                ok = response.status_code in (302, 400, 403, 404, 422)
            if response.status_code >= 500:
                ok = False
            if not ok:
                problems.append(f"POST {url}: {response.status_code}, expected {expected}")
    assert problems == []
    # nobody's POST without a form changed the task
    assert open_task_of_case(route_ids).state == "open"


def open_task_of_case(ids):
    from workflow_app.engine.models import Task

    db.session.expire_all()
    return db.session.get(Task, ids["task_id"])
