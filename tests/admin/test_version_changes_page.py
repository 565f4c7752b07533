"""A process version's page: its diagram, and what it changed from the version before (elements and files)."""

import sqlalchemy as sa

from tests.admin.conftest import login, new_client, shown
from tests.engine.test_deploy import one_task
from workflow_app.engine.models import ProcessVersion
from workflow_app.extensions import db


def version_id(number):
    return db.session.scalar(
        sa.select(ProcessVersion.id).where(ProcessVersion.process_id == "one_task", ProcessVersion.version == number)
    )


def test_the_page_shows_the_diagram_and_what_changed_since_the_version_before(client, deploy, app, create_user):
    form = '<spiffworkflow:property name="formJsonSchemaFilename" value="ask-schema.json" />'
    deploy(
        sources={
            "one_task.bpmn": one_task(name="Ask", props=form),
            "ask-schema.json": '{"type": "object", "properties": {"note": {"type": "string"}}}',
        }
    )
    deploy(
        sources={
            "one_task.bpmn": one_task(name="Ask the county", props=form),
            "ask-schema.json": '{"type": "object", "properties": {"reason": {"type": "string"}}}',
        }
    )
    first = client.get(f"/admin/processes/{version_id(1)}").get_data(as_text=True)
    assert 'id="diagram"' in first and 'id="changes"' not in first  # a first version changed nothing
    html = client.get(f"/admin/processes/{version_id(2)}").get_data(as_text=True)
    changes = html[html.index('id="changes"') :]
    assert shown("Changes from version %(v)d", v=1) in changes
    assert '<tr data-change="changed" data-element="ask">' in changes
    assert "name: &#39;Ask&#39; → &#39;Ask the county&#39;" in changes
    assert 'data-file-change="ask-schema.json"' in changes and shown("Changed") in changes
    assert (
        "+{&#34;type&#34;: &#34;object&#34;, &#34;properties&#34;: {&#34;reason&#34;" in changes
    )  # the lines, as a diff
    assert 'data-active="ask"' in html and 'data-done=""' in html  # marked on the diagram
    diagram = client.get(f"/admin/processes/{version_id(2)}/diagram.bpmn")
    assert diagram.mimetype == "application/xml" and b'name="Ask the county"' in diagram.data
    clerk = create_user("clerk1", roles=["clerk"])
    outsider = new_client(app)
    login(outsider, clerk.username)
    assert outsider.get(f"/admin/processes/{version_id(2)}/diagram.bpmn").status_code == 403
