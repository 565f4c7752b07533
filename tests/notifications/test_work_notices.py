"""What the engine's steps tell people (issue 30.6): a task assigned to them or arriving in their group's queue (each
member once, settled when someone takes it), a task waiting for their enterprise, their enterprise's case decided;
each in the reader's language, opening the task or the case."""

import pytest
import sqlalchemy as sa

from tests.conftest import open_task_of
from tests.processes.test_health_check import HUAYU, enterprise_named, inspection, submit
from workflow_app.auth.models import User
from workflow_app.cases.operations import start_process_case
from workflow_app.extensions import db
from workflow_app.inbox.operations import claim_task, reassign_task
from workflow_app.notifications.models import Notification
from workflow_app.notifications.queries import notification_text


@pytest.fixture
def colleagues(bureau, create_user):
    """Two more county handlers of 奎文区 (one no longer active) and one of 寿光市."""
    second = create_user("kuiwen_handler2", roles=("county_handler",), org="kuiwen", display_name="赵经办（奎文区）")
    gone = create_user("kuiwen_handler_gone", roles=("county_handler",), org="kuiwen")
    gone.active = False
    create_user("shouguang_handler2", roles=("county_handler",), org="shouguang")
    db.session.commit()
    return second


@pytest.fixture
def health_check(bureau, colleagues):
    """A health check 奎文区 plans for 华宇, waiting for its documents."""
    case = start_process_case(
        "health_check", {"enterprise_uscc": enterprise_named(HUAYU).uscc}, bureau["kuiwen_handler"]
    )
    db.session.commit()
    return case


def notices(case, kind=None):
    """{user name: [(kind, text, read?)]} of the case's notifications."""
    db.session.expire_all()
    statement = sa.select(Notification).where(Notification.instance_id == case.instance_id).order_by(Notification.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    found = {}
    for notice, username in db.session.execute(statement.add_columns(User.username).join(User)):
        found.setdefault(username, []).append((notice.kind, notification_text(notice), notice.read_at))
    return found


def with_texts(found):
    return {user: [(kind, text) for kind, text, _read in rows] for user, rows in found.items()}


def test_a_task_of_the_enterprise_lane_tells_its_users_in_the_model_words(health_check, bureau):
    case = health_check
    assert with_texts(notices(case)) == {
        "ent_huayu": [("enterprise_todo", f"案件 {case.number}：请提交劳动规章制度、劳动合同范本等体检材料")]
    }  # 华宇's user only: not the county that started it, nor another enterprise's users
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.instance_id == case.instance_id)).all()
    assert notice.task_id == open_task_of(case, "upload_documents").id


def test_a_group_task_tells_each_active_member_of_the_unit_once_and_taking_it_settles_the_others(
    health_check, bureau, colleagues
):
    case = health_check
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True, "doc_contract": True})
    queue = notices(case, "task_in_queue")
    assert with_texts(queue) == {
        "kuiwen_handler": [("task_in_queue", f"案件 {case.number}：环节“体检（逐项排查）”已进入本组待认领队列")],
        "kuiwen_handler2": [("task_in_queue", f"案件 {case.number}：环节“体检（逐项排查）”已进入本组待认领队列")],
    }  # not the inactive handler, not 寿光市's, not the inspector
    assert notices(case, "enterprise_todo")["ent_huayu"][0][2] is not None  # done: its notice is settled
    claim_task(open_task_of(case, "inspect"), colleagues)
    db.session.commit()
    assert all(read is not None for rows in notices(case, "task_in_queue").values() for _k, _t, read in rows)


def test_a_task_for_one_person_tells_that_person_only(health_check, bureau, colleagues):
    case = health_check
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True, "doc_contract": True})
    submit(case, "inspect", bureau["kuiwen_handler"], inspection(working_hours=("high", "加班超过法定上限")))
    assert with_texts(notices(case, "task_assigned")) == {  # samePersonAs: the inspector proposes the measures
        "kuiwen_handler": [("task_assigned", f"案件 {case.number}：环节“提出风险防范和化解建议”已分派给您")]
    }
    reassign_task(open_task_of(case, "suggestions"), colleagues.id, "刘经办休假", bureau["kuiwen_supervisor"])
    db.session.commit()
    assigned = notices(case, "task_assigned")
    assert [kind for kind, _text, _read in assigned["kuiwen_handler2"]] == ["task_assigned"]
    assert assigned["kuiwen_handler"][0][2] is not None  # no longer theirs


def test_the_enterprise_is_told_how_its_case_was_decided(health_check, bureau):
    case = health_check
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True, "doc_contract": True})
    submit(case, "inspect", bureau["kuiwen_handler"], inspection())
    assert case.instance.status == "completed"
    assert with_texts(notices(case, "case_decided")) == {
        "ent_huayu": [("case_decided", f"案件 {case.number}已办结：体检完成，未发现用工风险")]
    }


def test_a_notice_opens_the_task_while_it_waits_for_the_reader_else_the_case(
    health_check, bureau, colleagues, client_as
):
    case = health_check

    def open_first(username, kind):
        client = client_as(username)
        notice = db.session.scalar(
            sa.select(Notification)
            .join(User)
            .where(Notification.instance_id == case.instance_id, Notification.kind == kind, User.username == username)
        )
        page = client.get("/notifications").get_data(as_text=True)
        assert case.number in page and "办理任务" in page
        return client, client.post(f"/notifications/{notice.id}/open").headers["Location"]

    _client, where = open_first("ent_huayu", "enterprise_todo")
    assert where.endswith(f"/portal/tasks/{open_task_of(case, 'upload_documents').id}")
    submit(case, "upload_documents", bureau["ent_huayu"], {"doc_rules": True, "doc_contract": True})
    client, where = open_first("kuiwen_handler2", "task_in_queue")
    assert where.endswith(f"/tasks/{open_task_of(case, 'inspect').id}")
    submit(case, "inspect", bureau["kuiwen_handler"], inspection())
    page = client.get("/notifications").get_data(as_text=True)
    assert "查看案件" in page and "办理任务" not in page  # the task is done: the link opens the case
    [notice_id] = db.session.scalars(
        sa.select(Notification.id).where(
            Notification.instance_id == case.instance_id, Notification.kind == "case_decided"
        )
    ).all()
    where = client_as("ent_huayu").post(f"/notifications/{notice_id}/open").headers["Location"]
    assert where.endswith(f"/portal/cases/{case.id}")


def test_the_enterprise_notifications_page_lists_them_in_english_too(health_check, client_as):
    client = client_as("ent_huayu")
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = client.get("/notifications").get_data(as_text=True)
    assert f"Case {health_check.number}: 请提交劳动规章制度、劳动合同范本等体检材料" in page
    assert "Open the task" in page and "No notifications." not in page
