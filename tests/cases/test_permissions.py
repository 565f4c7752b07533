"""Who may act on a task."""

from workflow_app.cases.permissions import may_act_on
from workflow_app.engine.queries import open_tasks


def test_role_and_unit_decide_for_unassigned_tasks(case, create_user):
    [task] = open_tasks(case.instance_id)  # 'enter', lane clerk, unit kuiwen
    assert may_act_on(create_user("clerk_kuiwen", roles=["clerk"], org="kuiwen"), task)
    assert not may_act_on(create_user("clerk_shouguang", roles=["clerk"], org="shouguang"), task)
    assert not may_act_on(create_user("reviewer_kuiwen", roles=["reviewer"], org="kuiwen"), task)
    inactive = create_user("clerk_gone", roles=["clerk"], org="kuiwen")
    inactive.active = False
    assert not may_act_on(inactive, task)
