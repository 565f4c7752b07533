"""What a process is comes from its model: a process deployed with properties on its start event, and no Python,
gets its case-number prefix, label, case title, who may start it, portal availability and enterprise routing; a
process without them falls back; its label (never its id) shows on every page that names it."""

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from tests.conftest import HUAYU, LVYUAN, open_task_of
from tests.sla.conftest import sh
from tests.test_page_languages import visible_text
from workflow_app.auth.models import Enterprise, OrgUnit
from workflow_app.auth.operations import create_api_token
from workflow_app.auth.queries import find_user
from workflow_app.cases.models import Case
from workflow_app.core.time import SHANGHAI, utcnow
from workflow_app.engine.operations import suspend_instance
from workflow_app.extensions import db
from workflow_app.portal.applications import portal_applications
from workflow_app.sla.escalation import run_sla_sweep

LABEL, PROCESS_ID = "行政许可审查", "permit_review"


def uscc_of(name):
    return db.session.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == name))


def county_of(case):
    return db.session.get(OrgUnit, case.instance.org_unit_id).code


def api_start(app, username, body):
    _row, token = create_api_token(find_user(username), "t")
    db.session.commit()
    return app.test_client().post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def permit_review(bureau, deploy):
    """行政许可审查 (tests/data/permit_review.bpmn) deployed beside the bureau's processes: no Python of its own."""
    deploy("permit_review.bpmn")
    return bureau


@pytest.fixture
def create_permit_case(app, permit_review):
    """A permit review started through the API by a demo user, for an enterprise (by name)."""

    def factory(username="kuiwen_handler", enterprise=HUAYU, **data):
        response = api_start(
            app, username, {"process": PROCESS_ID, "data": {"applicant_uscc": uscc_of(enterprise), **data}}
        )
        assert response.status_code == 201, response.get_json()
        db.session.expire_all()
        return db.session.get(Case, response.get_json()["id"])

    return factory


@pytest.fixture
def permit_case(create_permit_case):
    return create_permit_case()


def test_a_deployed_process_is_numbered_titled_and_routed_as_its_model_says(app, create_permit_case):
    year = utcnow().astimezone(SHANGHAI).year
    case = create_permit_case(permit_kind="劳务派遣")
    assert case.number == f"XK-{year}-000001"  # caseNumberPrefix
    assert case.title == "潍坊华宇精密机械有限公司：劳务派遣"  # caseTitle over the start data
    assert case.enterprise.name == HUAYU and county_of(case) == "kuiwen"  # enterpriseField: its enterprise, its county
    assert case.instance.process_version.name == LABEL
    # the city's dispatcher (startableBy) starts one for a Shouguang enterprise: it goes to Shouguang (属地)
    other = create_permit_case("dispatcher", LVYUAN)
    assert other.number == f"XK-{year}-000002" and other.title == f"{LVYUAN}：行政许可"
    assert county_of(other) == "shouguang" and other.enterprise.name == LVYUAN
    # the case's first step waits in that county's queue
    assert open_task_of(other).org_unit_id == db.session.scalar(
        sa.select(OrgUnit.id).where(OrgUnit.code == "shouguang")
    )


def test_who_may_start_it_and_for_which_enterprise_comes_from_its_model(app, permit_review, client_as):
    assert f'href="/cases/new/{PROCESS_ID}"' in client_as("kuiwen_handler").get("/cases/").get_data(as_text=True)
    assert f'href="/cases/new/{PROCESS_ID}"' not in client_as("kuiwen_specialist").get("/cases/").get_data(as_text=True)
    assert client_as("kuiwen_specialist").get(f"/cases/new/{PROCESS_ID}").status_code == 403
    refused = api_start(app, "kuiwen_specialist", {"process": PROCESS_ID, "data": {"applicant_uscc": uscc_of(HUAYU)}})
    assert refused.status_code == 422
    # a county's handler may not start one for another county's enterprise, nor without the enterprise
    elsewhere = api_start(app, "kuiwen_handler", {"process": PROCESS_ID, "data": {"applicant_uscc": uscc_of(LVYUAN)}})
    assert elsewhere.status_code == 422 and LVYUAN in elsewhere.get_json()["message"]
    nobody = api_start(app, "kuiwen_handler", {"process": PROCESS_ID, "data": {}})
    assert nobody.status_code == 422 and nobody.get_json()["details"][0]["field"] == "applicant_uscc"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    # the start page asks for the enterprise the model's enterpriseField names
    client = client_as("kuiwen_handler")
    page = client.get(f"/cases/new/{PROCESS_ID}").get_data(as_text=True)
    assert f'<h1 class="h4 mb-3">{LABEL}</h1>' in page and 'name="enterprise_uscc"' in page
    response = client.post(f"/cases/new/{PROCESS_ID}", data={"enterprise_uscc": uscc_of(HUAYU), "title": ""})
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case))
    assert case.title == f"{HUAYU}：行政许可" and case.enterprise.name == HUAYU and county_of(case) == "kuiwen"


def test_enterprises_apply_for_it_in_the_portal_when_its_model_says_so(app, permit_review, client_as):
    client = client_as("ent_huayu")
    home = client.get("/portal/").get_data(as_text=True)
    assert (
        f'data-apply="{PROCESS_ID}"' in home and "用人单位申请劳务派遣等行政许可" in home
    )  # the start event's documentation
    assert 'data-apply="referral"' not in home  # not a portal application
    assert client.get("/portal/apply/referral").status_code == 404
    assert LABEL in client.get(f"/portal/apply/{PROCESS_ID}").get_data(as_text=True)
    response = client.post(f"/portal/apply/{PROCESS_ID}", data={})
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case))
    assert case.number.startswith("XK-") and case.title == f"{HUAYU}：行政许可"
    assert case.enterprise.name == HUAYU and county_of(case) == "kuiwen"
    assert find_user("ent_huayu").enterprise_id == case.enterprise_id


def test_a_process_without_properties_falls_back(app, deploy, create_user):
    deploy("straight_line.bpmn", sources={"bare.bpmn": BARE})
    year = utcnow().astimezone(SHANGHAI).year
    clerk = create_user("clerk1", roles=("clerk",))
    admin = create_user("admin1", roles=("admin",), org="weifang")
    # straight_line: its lane's role starts it, numbered AJ, titled by its name when no title is given
    response = api_start(app, "clerk1", {"process": "straight_line", "data": {"amount": "1"}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"] == f"AJ-{year}-000001" and response.get_json()["title"] == "Straight line"
    assert [p["id"] for p in api_start_options(app, clerk)] == ["straight_line"]
    # a process with no name and no lanes: its id is its label, admins start it, no enterprise, in their unit
    assert [p["id"] for p in api_start_options(app, admin)] == ["bare"]
    case = db.session.get(Case, api_start(app, "admin1", {"process": "bare", "data": {}}).get_json()["id"])
    assert case.title == "bare" and case.number == f"AJ-{year}-000002" and case.enterprise_id is None
    assert county_of(case) == "weifang"
    # neither is the enterprises' to apply for
    assert portal_applications() == []


def api_start_options(app, user):
    _row, token = create_api_token(user, "t")
    db.session.commit()
    response = app.test_client().get("/api/v1/processes", headers={"Authorization": f"Bearer {token}"})
    return response.get_json()["items"]


BARE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="bare" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" name="Ask"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask" /><bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def shows_label(response, id_too=False):
    """The page shows the process's label, and (unless `id_too`: an administrator's page) never its id."""
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    return LABEL in text and (id_too or PROCESS_ID not in text)


def test_the_label_shows_on_every_page_instead_of_the_id(app, create_permit_case, client_as, clock):
    clock.freeze_clock(sh("2026-11-02 09:00"))
    case = create_permit_case()
    handler, supervisor, admin = client_as("kuiwen_handler"), client_as("city_supervisor"), client_as("admin")
    task = open_task_of(case)
    assert shows_label(handler.get("/inbox?queue=group"))
    assert shows_label(handler.get(f"/tasks/{task.id}"))
    assert shows_label(handler.get("/cases/"))
    assert shows_label(handler.get(f"/cases/?process={PROCESS_ID}"))
    page = handler.get(f"/cases/{case.id}")
    assert shows_label(page) and f"<title>{case.number} · {LABEL} ·" in page.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(handler.get("/cases/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][:3] == [case.number, case.title, LABEL]
    assert shows_label(handler.get("/"))
    # supervision: the overdue work, on the page and in its exports
    clock.freeze_clock(sh("2026-11-20 10:00"))
    run_sla_sweep()
    db.session.commit()
    assert shows_label(supervisor.get("/supervision/work"))
    sheet = openpyxl.load_workbook(io.BytesIO(supervisor.get("/supervision/work.xlsx").data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == case.number] == [LABEL]
    # the enterprise's portal
    portal = client_as("ent_huayu")
    assert shows_label(portal.get("/portal/")) and shows_label(portal.get(f"/portal/cases/{case.id}"))
    # administration: the process versions (with the id, which administrators deploy by) and case repair
    assert shows_label(admin.get("/admin/processes"), id_too=True)
    assert shows_label(admin.get(f"/admin/processes/{case.instance.process_version_id}"), id_too=True)
    suspend_instance(case.instance_id, "核实材料", find_user("admin").id)
    db.session.commit()
    assert shows_label(admin.get("/admin/repair"))
    assert shows_label(admin.get(f"/admin/repair/{case.instance_id}"))


def test_pages_show_a_lanes_role_by_its_label(app, permit_review, client_as):
    from workflow_app.engine.queries import latest_version

    version = latest_version(PROCESS_ID)
    text = visible_text(client_as("admin").get(f"/admin/processes/{version.id}").get_data(as_text=True))
    assert "县级经办人" in text  # the role county_handler's label
