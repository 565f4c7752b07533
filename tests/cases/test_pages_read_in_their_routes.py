"""The case page and the task page read what they show in their routes, not from their templates: the SLA clocks and
the case's agreement come from the functions sla and agreements register (cases.case_page) or the inbox calls, so no
statement on those tables runs while the template renders (only the top bar's counts and the rows' own attributes)."""

import re

from flask import before_render_template, template_rendered

from tests.conftest import open_task_of, statements_run

SHOWN_BY_THE_ROUTE = ("sla_clock", "supervision_notice", "agreement", "installment", "calendar_")


def statements_while_rendering(app, client, url):
    """The SELECTs run while the page's template renders (between Flask's two signals), and the page."""
    with statements_run() as seen:
        marks = []

        def mark(_sender, **_):
            marks.append(len(seen))

        before_render_template.connect(mark, app)
        template_rendered.connect(mark, app)
        try:
            response = client.get(url)
        finally:
            before_render_template.disconnect(mark, app)
            template_rendered.disconnect(mark, app)
    assert response.status_code == 200 and len(marks) == 2
    return [statement for statement, _ in seen[marks[0] : marks[1]]], response.get_data(as_text=True)


def tables_named(statements):
    return {name for statement in statements for name in SHOWN_BY_THE_ROUTE if re.search(rf"\b{name}", statement)}


def test_the_case_page_template_reads_no_clock_or_agreement(app, referral, client_as):
    during, html = statements_while_rendering(app, client_as("kuiwen_handler"), f"/cases/{referral.id}")
    assert tables_named(during) == set()
    assert 'id="case-clock"' in html  # the clocks are shown: the route passed them
    assert re.search(r'<tr data-task-id="\d+">.*?data-sla="on_track"', html, re.S)  # and the open task's clock


def test_the_task_page_template_reads_no_clock_or_agreement(app, referral, client_as):
    task = open_task_of(referral)
    during, html = statements_while_rendering(app, client_as("kuiwen_handler"), f"/tasks/{task.id}")
    assert tables_named(during) == set()
    assert 'data-sla="on_track"' in html
