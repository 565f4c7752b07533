"""The inbox queues: who sees which task, filters, sorting, claim, release and reassign."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.sql.cache_key import HasCacheKey

from tests.conftest import HUAYU, LVYUAN, open_task_of, statements_run
from workflow_app.core.errors import ConflictError, Forbidden, InvalidInput
from workflow_app.core.time import SHANGHAI
from workflow_app.engine.models import AuditEvent
from workflow_app.extensions import db
from workflow_app.inbox.operations import claim_task, reassign_task, release_task
from workflow_app.inbox.queries import TaskFilter, queue_counts, queue_page


def cases_in(page):
    return [case.number for _task, case, *_rest in page.items]


def listed_cases(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'data-case="([A-Z]{2}-\d{4}-\d{6})"', response.get_data(as_text=True))


def test_group_queue_holds_the_county_task_and_nobody_elses(bureau, create_referral):
    kuiwen_case = create_referral(HUAYU)
    shouguang_case = create_referral(LVYUAN)
    assert cases_in(queue_page(bureau["kuiwen_handler"], "group", TaskFilter())) == [kuiwen_case.number]
    assert cases_in(queue_page(bureau["shouguang_handler"], "group", TaskFilter())) == [shouguang_case.number]
    assert queue_counts(bureau["kuiwen_handler"]) == {"mine": 0, "group": 1}  # a handler has no "unit" queue to count
    # the city supervisor oversees every county, the county supervisor only its own
    assert sorted(cases_in(queue_page(bureau["city_supervisor"], "unit", TaskFilter()))) == sorted(
        [kuiwen_case.number, shouguang_case.number]
    )
    assert cases_in(queue_page(bureau["kuiwen_supervisor"], "unit", TaskFilter())) == [kuiwen_case.number]
    # a handler has no "unit" queue
    assert cases_in(queue_page(bureau["kuiwen_handler"], "unit", TaskFilter())) == []


def test_claim_moves_the_task_to_my_tasks_and_release_puts_it_back(bureau, referral):
    handler = bureau["kuiwen_handler"]
    task = open_task_of(referral)
    claim_task(task, handler)
    db.session.commit()
    assert cases_in(queue_page(handler, "mine", TaskFilter())) == [referral.number]
    assert cases_in(queue_page(handler, "group", TaskFilter())) == []
    release_task(open_task_of(referral), handler)
    db.session.commit()
    assert open_task_of(referral).assignee_id is None
    kinds = db.session.scalars(sa.select(AuditEvent.kind).where(AuditEvent.instance_id == referral.instance_id)).all()
    assert "task_claimed" in kinds and "task_released" in kinds


def test_a_second_claim_is_refused_with_the_holders_name(bureau, create_user, referral):
    from tests.conftest import PASSWORD
    from workflow_app.auth.operations import create_user as make_user

    colleague = make_user("kuiwen_handler2", ["county_handler"], "kuiwen", PASSWORD, "第二经办")
    db.session.commit()
    claim_task(open_task_of(referral), bureau["kuiwen_handler"])
    db.session.commit()
    with pytest.raises(ConflictError, match="刘经办"):
        claim_task(open_task_of(referral), colleague)


def test_another_county_cannot_claim(bureau, referral):
    with pytest.raises(Forbidden):
        claim_task(open_task_of(referral), bureau["shouguang_handler"])


def test_supervisor_reassigns_with_a_reason_to_a_role_holder_of_the_unit(bureau, referral):
    from tests.conftest import PASSWORD
    from workflow_app.auth.operations import create_user as make_user

    colleague = make_user("kuiwen_handler2", ["county_handler"], "kuiwen", PASSWORD, "第二经办")
    db.session.commit()
    task = open_task_of(referral)
    supervisor = bureau["kuiwen_supervisor"]
    with pytest.raises(InvalidInput):
        reassign_task(task, colleague.id, "  ", supervisor)
    with pytest.raises(InvalidInput):
        reassign_task(task, bureau["kuiwen_specialist"].id, "休假", supervisor)  # not a county handler
    with pytest.raises(Forbidden):
        reassign_task(task, colleague.id, "休假", bureau["kuiwen_handler"])  # not a supervisor
    with pytest.raises(Forbidden):
        reassign_task(task, colleague.id, "休假", _supervisor_elsewhere(bureau))
    reassign_task(task, colleague.id, "刘经办休假", supervisor)
    db.session.commit()
    assert open_task_of(referral).assignee_id == colleague.id
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == "task_reassigned")).one()
    assert event.data == {"from": None, "to": "第二经办", "reason": "刘经办休假"} and event.actor_id == supervisor.id


def _supervisor_elsewhere(bureau):
    from tests.conftest import PASSWORD
    from workflow_app.auth.operations import create_user as make_user

    user = make_user("shouguang_supervisor", ["supervisor"], "shouguang", PASSWORD, "寿光督办")
    db.session.commit()
    return user


def test_filters_and_sort(bureau, create_referral, clock):
    # a working morning: started in the evening, a one-day-later case would find the first one overdue
    clock.freeze_clock(datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI))
    first = create_referral(HUAYU, category="社保")
    clock.shift_clock(timedelta(days=1))
    second = create_referral(HUAYU, category="用工", labour_shortage=True, description="规模性缺工")
    supervisor = bureau["city_supervisor"]
    by_due = cases_in(queue_page(supervisor, "unit", TaskFilter()))
    tasks = {c: open_task_of(case) for c, case in ((first.number, first), (second.number, second))}
    expected = sorted(tasks, key=lambda number: tasks[number].due_at)
    assert by_due == expected
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(sort="created"))) == [second.number, first.number]
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(q=second.number))) == [second.number]
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(q="华宇"))) == sorted(expected, key=expected.index)
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(county="shouguang"))) == []
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(county="kuiwen"))) == expected
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(county="no-such-unit"))) == []
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(process="health_check"))) == []
    # SLA state from the stored deadlines: move past both due times and they are overdue
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(sla="overdue"))) == []
    later = max(t.due_at for t in tasks.values()) + timedelta(minutes=1)
    assert sorted(cases_in(queue_page(supervisor, "unit", TaskFilter(sla="overdue"), now=later))) == sorted(tasks)
    assert cases_in(queue_page(supervisor, "unit", TaskFilter(sla="on_track"), now=later)) == []


def test_pagination_pages_through_the_queue(app, bureau, create_referral):
    numbers = {create_referral(HUAYU).number for _ in range(3)}
    seen = []
    for number in (1, 2, 3):
        page = queue_page(bureau["kuiwen_handler"], "group", TaskFilter(), page=number, per_page=1)
        assert page.total == 3 and page.pages == 3
        seen += cases_in(page)
    assert set(seen) == numbers


def test_a_page_of_a_queue_is_built_and_keyed_once(bureau, create_referral, monkeypatch):
    create_referral(HUAYU)
    handler = bureau["kuiwen_handler"]
    first = queue_page(handler, "group", TaskFilter(), page=1, per_page=25)
    keyed = []
    generate = HasCacheKey._generate_cache_key
    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", lambda self: keyed.append(self) or generate(self))
    again = queue_page(handler, "group", TaskFilter(), page=1, per_page=25)
    assert cases_in(again) == cases_in(first) and keyed == []  # keying a statement cost more than running it
    queue_page(handler, "group", TaskFilter(q=HUAYU), page=1, per_page=25)
    assert keyed  # a filtered queue is a statement of its own, keyed when it runs


def test_inbox_page_shows_columns_counts_and_filters(bureau, create_referral, client_as):
    case = create_referral(HUAYU)
    client = client_as("kuiwen_handler")
    html = client.get("/inbox?queue=group").get_data(as_text=True)
    assert case.number in html and HUAYU in html and "县级签收" in html and "奎文区" in html
    assert 'data-sla="on_track"' in html
    assert 'data-count="inbox">1<' in html
    assert listed_cases(client, "/inbox?queue=group&q=nothing-like-this") == []
    # claim through the page: it moves to "my tasks"
    task = open_task_of(case)
    response = client.post(f"/tasks/{task.id}/claim")
    assert response.status_code == 302
    assert listed_cases(client, "/inbox?queue=mine") == [case.number]
    assert listed_cases(client, "/inbox?queue=group") == []


def test_the_step_filter_offers_the_steps_of_the_whole_queue(app, bureau, create_referral, client_as, monkeypatch):
    create_referral(HUAYU), create_referral(HUAYU)
    client = client_as("kuiwen_handler")

    def step_options():
        html = client.get("/inbox?queue=group").get_data(as_text=True)
        select = re.search(r'<select[^>]*id="f-step".*?</select>', html, re.S).group(0)
        return re.findall(r'<option value="([^"]+)"', select)

    with statements_run() as seen:
        assert step_options() == ["县级签收"]
    assert not [s for s, _ in seen if "DISTINCT task.name" in s]  # the queue fits its page: its rows tell the steps
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)  # now the page shows one of two: the database tells them
    with statements_run() as seen:
        assert step_options() == ["县级签收"]
    assert [s for s, _ in seen if "DISTINCT task.name" in s]
