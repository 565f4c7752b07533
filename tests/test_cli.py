"""The flask commands: clear one-line errors, non-zero exits, idempotent seeding."""

import sqlalchemy as sa

from tests.conftest import DATA
from workflow_app.agreements.models import Agreement
from workflow_app.auth.models import Enterprise, Role, User
from workflow_app.auth.queries import find_org_unit
from workflow_app.cases.models import Case
from workflow_app.engine.models import ProcessInstance, ProcessVersion
from workflow_app.extensions import db


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_deploy_then_redeploy_then_list(app):
    result = run(app, "processes", "deploy", str(DATA / "straight_line.bpmn"))
    assert result.exit_code == 0, result.output
    assert "已部署 straight_line 第 1 版" in result.output
    assert "警告：泳道“clerk”" in result.output  # the CLI speaks the default language, Chinese
    again = run(app, "processes", "deploy", str(DATA / "straight_line.bpmn"))
    assert again.exit_code == 0 and "未变更 straight_line" in again.output
    listing = run(app, "processes", "list")
    assert "straight_line\t第 1 版" in listing.output


def test_deploy_errors_are_clear_lines_without_traceback(app, tmp_path):
    missing = run(app, "processes", "deploy", str(tmp_path / "nope.bpmn"))
    assert missing.exit_code != 0
    assert missing.output.strip().splitlines() == [f"Error: 文件或文件夹不存在：{tmp_path / 'nope.bpmn'}"]
    bad = tmp_path / "broken.bpmn"
    bad.write_text("<bpmn:definitions")
    broken = run(app, "processes", "deploy", str(bad))
    assert broken.exit_code != 0 and "Traceback" not in broken.output
    assert "Error: 流程文件无法部署" in broken.output
    assert "broken.bpmn:1：XML 格式不正确" in broken.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0
    (tmp_path / "empty").mkdir()
    empty = run(app, "processes", "deploy", str(tmp_path / "empty"))
    assert empty.exit_code != 0 and "没有找到 .bpmn 或 .dmn 文件" in empty.output


def test_deploy_a_package_folder_then_its_zip_then_its_bpmn_alone(app, tmp_path):
    from tests.engine.test_packages import PACKAGE, zipped

    result = run(app, "processes", "deploy", str(PACKAGE))
    assert result.exit_code == 0, result.output
    assert "已部署 permit_review 第 1 版（permit-review.bpmn）" in result.output
    archive = tmp_path / "permit-review.zip"
    archive.write_bytes(zipped(PACKAGE))
    again = run(app, "processes", "deploy", str(archive))
    assert again.exit_code == 0 and "未变更 permit_review" in again.output
    bpmn = tmp_path / "permit-review.bpmn"
    bpmn.write_text(
        (PACKAGE / "permit-review.bpmn").read_text(encoding="utf-8").replace("Set the fee", "Fee"), encoding="utf-8"
    )
    alone = run(app, "processes", "deploy", str(bpmn))
    assert alone.exit_code == 0, alone.output
    assert "permit_review：未提供 permit-fee.dmn，取自 permit_review 第 1 版" in alone.output
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.version == 2))
    assert "permit-fee.dmn" in version.files and "review-schema.json" in version.files


def test_deploy_refuses_a_bad_package_or_zip_in_one_error_without_traceback(app, tmp_path):
    from tests.engine.test_packages import package_sources, zip_of

    folder = tmp_path / "permit-review"
    folder.mkdir()
    for key, content in package_sources(changes={"review-schema.json": '{"type": "object",}'}).items():
        (tmp_path / key).write_bytes(content)
    broken = run(app, "processes", "deploy", str(folder))
    assert broken.exit_code != 0 and "Traceback" not in broken.output
    assert broken.output.startswith("Error: 流程文件无法部署\n")
    assert (
        "  permit-review/permit-review.bpmn, UserTask 'Activity_review'：permit-review/review-schema.json:1:19："
        "JSON 格式不正确"
    ) in broken.output
    evil = tmp_path / "evil.zip"
    evil.write_bytes(zip_of({"../evil.bpmn": "x"}))
    unsafe = run(app, "processes", "deploy", str(evil))
    assert unsafe.exit_code != 0 and len(unsafe.output.strip().splitlines()) == 1
    assert unsafe.output.startswith("Error: evil.zip：条目 ../evil.bpmn 指向包外")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0


def test_users_create_makes_new_roles_and_refuses_bad_input(app):
    result = run(
        app, "users", "create", "zhang", "--role", "labour_inspector", "--org", "kuiwen", "--password", "long-enough"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Role).where(Role.name == "labour_inspector")) is not None
    user = db.session.scalar(sa.select(User).where(User.username == "zhang"))
    assert user.org_unit.code == "kuiwen" and user.check_password("long-enough")
    for args, message in [
        (["zhang", "--role", "x", "--org", "kuiwen", "--password", "long-enough"], "Error: 用户“zhang”已存在"),
        (["li", "--role", "x", "--org", "mars", "--password", "long-enough"], "Error: 未知的机构代码“mars”"),
        (["li", "--role", "x", "--org", "kuiwen", "--password", "short"], "Error: 密码至少需要 8 个字符"),
        (["li", "--role", "bad role!", "--org", "kuiwen", "--password", "long-enough"], "Error: 角色名“bad role!”"),
    ]:
        refused = run(app, "users", "create", *args)
        assert refused.exit_code != 0
        lines = refused.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "li")) == 0


def test_org_units_create_makes_the_first_units_for_the_first_admin(app):
    result = run(app, "org-units", "create", "zhucheng", "诸城市", "--level", "county", "--parent", "weifang")
    assert result.exit_code == 0 and result.output.strip() == "已创建机构 zhucheng（诸城市）", result.output
    assert (
        run(
            app, "users", "create", "boss", "--role", "admin", "--org", "zhucheng", "--password", "long-enough"
        ).exit_code
        == 0
    )
    for args, message in [
        (["zhucheng", "again", "--level", "county"], "Error: 机构代码“zhucheng”已被诸城市使用"),
        (["gaomi", "高密市", "--level", "province"], "Error: 未知的机构层级“province”"),
        (["gaomi", "高密市", "--level", "county", "--parent", "mars"], "Error: 未知的机构代码“mars”"),
    ]:
        refused = run(app, "org-units", "create", *args)
        lines = refused.output.strip().splitlines()
        assert refused.exit_code != 0 and len(lines) == 1 and lines[0].startswith(message), refused.output
    assert find_org_unit("gaomi") is None and find_org_unit("zhucheng").parent.code == "weifang"


def test_seed_demo_is_idempotent(app):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    counts = {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for name, model in [("users", User), ("roles", Role), ("enterprises", Enterprise)]
    }
    assert counts["users"] >= 10 and counts["roles"] >= 9 and counts["enterprises"] >= 4
    second = run(app, "seed-demo")
    assert second.exit_code == 0 and "新增用户 0 个" in second.output
    assert counts == {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for name, model in [("users", User), ("roles", Role), ("enterprises", Enterprise)]
    }
    ent = db.session.scalar(sa.select(User).where(User.username == "ent_huayu"))
    assert ent.enterprise is not None and ent.enterprise.specialist_id is not None
    # every process deployed without warnings, with demo cases in several states
    assert "警告" not in first.output
    states = db.session.execute(
        sa.select(Case.process_id, ProcessInstance.status, ProcessInstance.current_step).join(
            ProcessInstance, ProcessInstance.id == Case.instance_id
        )
    ).all()
    by_process = {}
    for process_id, status, step in states:
        by_process.setdefault(process_id, set()).add(step or status)
    assert set(by_process) == {"referral", "loan_extension", "health_check", "installment_agreement"}
    assert all(len(steps) >= 2 for steps in by_process.values()), by_process
    assert {"县级签收", "服务专员协调解决", "市级审核", "市级重新派发", "completed"} <= by_process["referral"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agreement).where(Agreement.status == "active")) == 1
    assert "新增 0 个" in second.output


def test_processes_check_finds_every_demo_case_consistent_and_names_a_broken_one(app):
    assert run(app, "seed-demo").exit_code == 0
    checked = run(app, "processes", "check")
    assert checked.exit_code == 0, checked.output
    instance = db.session.scalars(sa.select(ProcessInstance).where(ProcessInstance.status == "running")).first()
    from workflow_app.engine.models import Task

    db.session.execute(sa.delete(Task).where(Task.instance_id == instance.id, Task.state == "open"))
    db.session.commit()
    broken = run(app, "processes", "check")
    assert broken.exit_code == 1 and f"instance {instance.id}: open task rows [] != ready user tasks" in broken.output


def test_processes_check_finds_cases_an_admin_cancelled_consistent(app):
    assert run(app, "seed-demo").exit_code == 0
    admin = app.test_client()
    assert admin.post("/login", data={"username": "admin", "password": app.config["DEMO_PASSWORD"]}).status_code == 302
    running = db.session.scalars(
        sa.select(ProcessInstance.id).where(ProcessInstance.status == "running").order_by(ProcessInstance.id)
    ).all()
    by_process = {}
    for instance_id in running:  # one case of each process, the agreements' timers among them
        by_process.setdefault(db.session.get(ProcessInstance, instance_id).process_version.process_id, instance_id)
    for instance_id in by_process.values():
        cancelled = admin.post(f"/admin/repair/{instance_id}/cancel", data={"cancel-reason": "duplicate case"})
        assert cancelled.status_code == 302
    db.session.expire_all()
    assert {db.session.get(ProcessInstance, i).status for i in by_process.values()} == {"cancelled"}
    checked = run(app, "processes", "check")
    assert checked.exit_code == 0, checked.output
    assert run(app, "processes", "check", "--status", "cancelled").exit_code == 0
    # a case marked cancelled whose workflow still runs is still a problem
    instance = db.session.get(ProcessInstance, next(i for i in running if i not in by_process.values()))
    from workflow_app.engine.models import Task

    db.session.execute(sa.delete(Task).where(Task.instance_id == instance.id, Task.state == "open"))
    instance.status = "cancelled"
    db.session.commit()
    broken = run(app, "processes", "check")
    assert broken.exit_code == 1
    assert f"instance {instance.id}: status cancelled but the workflow is not finished" in broken.output


def test_worker_once_fires_due_timers(app, deploy, create_case):
    from tests.conftest import let_time_pass

    deploy("intermediate_timer.bpmn")
    create_case("intermediate_timer", {"wait_for": "PT0.1S"})
    let_time_pass(0.2)
    result = run(app, "worker", "--once")
    assert result.exit_code == 0 and "已在 1 个案件中触发 1 个定时器；失败 0 个" in result.output


def test_database_not_reachable_is_one_line(tmp_path):
    from config import TestingConfig
    from workflow_app import create_app

    config = type("Broken", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.sqlite"})
    app = create_app(config)
    result = app.test_cli_runner().invoke(args=["processes", "list"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: 数据库错误：no such table")
