"""Process packages: a spiff-arena folder (or a .zip of it) deploys as one version that carries every file it uses."""

import hashlib
import io
import json
import shutil
import zipfile

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import DATA
from tests.engine.test_deploy import one_task
from workflow_app.core.errors import InvalidInput
from workflow_app.engine.models import ProcessVersion
from workflow_app.engine.operations import complete_task, deploy_sources, read_sources
from workflow_app.engine.packages import MAX_ZIP_ENTRIES, zip_sources
from workflow_app.engine.queries import open_tasks, start_form_files, task_form_files, version_json
from workflow_app.extensions import db

PACKAGE = DATA / "packages" / "permit-review"
PACKAGE_FILES = {
    "permit-review.bpmn",
    "permit-fee.dmn",
    "application-schema.json",
    "application-uischema.json",
    "review-schema.json",
    "review-uischema.json",
    "process_model.json",
}


@pytest.fixture
def create_package(tmp_path):
    """A copy of the permit-review package under tmp_path/<folder>, with files changed by {name: text}."""

    def factory(folder="permit-review", changes=None, removed=(), parent=None):
        target = (parent or tmp_path) / folder
        shutil.copytree(PACKAGE, target)
        for name, text in (changes or {}).items():
            (target / name).write_text(text, encoding="utf-8")
        for name in removed:
            (target / name).unlink()
        return target

    return factory


@pytest.fixture
def package(create_package):
    return create_package()


def zipped(folder, top=True) -> bytes:
    """The folder as a .zip: holding the folder itself (as zipping a folder does) or only its files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}" if top else path.name)
    return buffer.getvalue()


def deploy_paths(*paths):
    result = deploy_sources(read_sources([str(path) for path in paths]))
    db.session.commit()
    return result


def stored(process_id="permit_review"):
    return db.session.scalars(
        sa.select(ProcessVersion).where(ProcessVersion.process_id == process_id).order_by(ProcessVersion.version)
    ).all()


def refusal(sources) -> list[str]:
    """The refusal's lines, in English, after checking that nothing was stored."""
    with force_locale("en"):
        with pytest.raises(InvalidInput) as refused:
            deploy_sources(sources)
        lines = [str(refused.value)] + [str(line) for line in refused.value.details]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)) == 0
    return lines


def package_sources(folder="permit-review", changes=None, removed=()):
    """The package's sources as read_sources names them, with files changed by {name: text or bytes}."""
    sources = {f"{folder}/{path.name}": path.read_bytes() for path in PACKAGE.iterdir() if path.name not in removed}
    for name, text in (changes or {}).items():
        sources[f"{folder}/{name}"] = text.encode() if isinstance(text, str) else text
    return sources


def test_a_spiff_arena_folder_deploys_one_version_with_every_file_it_uses(app, package):
    result = deploy_paths(package)
    [version] = stored()
    assert result.created == [version] and version.version == 1
    assert set(version.files) == PACKAGE_FILES  # not review-exampledata.json: no task names it
    for name in PACKAGE_FILES:
        assert version.files[name] == (package / name).read_text(encoding="utf-8")
    assert version.source_file == "permit-review.bpmn"
    assert version.name == "Permit review"  # the process has no name: process_model.json's display_name
    assert version.description.startswith("An enterprise applies for a permit")


def test_a_one_file_version_hashes_as_before_versions_carried_their_other_files(app, deploy):
    """So that redeploying an unchanged one-file process after the upgrade makes no new version."""
    deploy("straight_line.bpmn")
    [version] = stored("straight_line")
    assert (
        version.sha256
        == hashlib.sha256((version.spec_json + "\n" + version.files["straight_line.bpmn"]).encode("utf-8")).hexdigest()
    )


def test_the_package_as_a_zip_of_its_folder_or_of_its_files_is_the_same_version(app, package, tmp_path):
    deploy_paths(package)
    for top in (True, False):
        archive = tmp_path / f"permit-{top}.zip"
        archive.write_bytes(zipped(package, top=top))
        again = deploy_paths(archive)
        assert again.created == [] and again.unchanged == ["permit_review"]
    assert [v.version for v in stored()] == [1]


def test_a_package_deploys_alike_from_its_folder_and_from_a_parent_folder(app, create_package, tmp_path):
    parent = tmp_path / "models"
    parent.mkdir()
    create_package(parent=parent)
    first = deploy_paths(parent)
    again = deploy_paths(parent / "permit-review")
    assert [v.process_id for v in first.created] == ["permit_review"] and again.unchanged == ["permit_review"]


@pytest.mark.parametrize("changed", ["review-uischema.json", "permit-fee.dmn", "process_model.json"])
def test_any_changed_file_alone_makes_the_next_version(app, create_package, changed):
    deploy_paths(create_package("v1"))
    original = (PACKAGE / changed).read_text(encoding="utf-8")
    edited = (
        original.replace('"textarea"', '"text"')
        .replace('"50.00"', '"60.00"')
        .replace("Permit review", "Permit review (2027)")
    )
    assert edited != original
    result = deploy_paths(create_package("v2", changes={changed: edited}))
    assert [(v.process_id, v.version) for v in result.created] == [("permit_review", 2)]
    old, new = stored()
    assert old.files[changed] == original and new.files[changed] == edited
    assert old.sha256 != new.sha256


def test_two_packages_deployed_together_keep_their_own_forms(app, create_package, tmp_path):
    parent = tmp_path / "models"
    parent.mkdir()
    create_package("permit-review", parent=parent)
    renewal = create_package("permit-renewal", parent=parent)
    for path in (renewal / "permit-review.bpmn", renewal / "process_model.json"):
        path.write_text(path.read_text(encoding="utf-8").replace("permit_review", "permit_renewal"), encoding="utf-8")
    schema = json.loads((renewal / "review-schema.json").read_text(encoding="utf-8"))
    (renewal / "review-schema.json").write_text(json.dumps({**schema, "title": "Renewal review"}), encoding="utf-8")
    result = deploy_paths(parent)
    assert sorted(v.process_id for v in result.created) == ["permit_renewal", "permit_review"]
    assert json.loads(stored("permit_renewal")[0].files["review-schema.json"])["title"] == "Renewal review"
    assert json.loads(stored("permit_review")[0].files["review-schema.json"])["title"] == "Review"


def test_referral_bpmn_deployed_alone_takes_its_decisions_and_forms_from_the_stored_version(app):
    package = DATA.parent.parent / "bpmn" / "referral"
    deploy_paths(package)
    [first] = stored("referral")
    assert {"referral.bpmn", "referral_routing.dmn", "county_name.dmn", "redispatch-schema.json"} <= set(first.files)
    changed = (
        (package / "referral.bpmn")
        .read_text(encoding="utf-8")
        .replace('name="问题需求转办"', 'name="问题需求转办（新）"')
    )
    result = deploy_sources({"referral.bpmn": changed.encode()})
    db.session.commit()
    assert [(v.process_id, v.version) for v in result.created] == [("referral", 2)]
    assert ("referral", "referral_routing.dmn", "referral", 1) in result.kept
    assert ("referral", "redispatch-schema.json", "referral", 1) in result.kept
    second = stored("referral")[1]
    assert second.files == {
        **{name: text for name, text in first.files.items() if name != "process_model.json"},
        "referral.bpmn": changed,
    }
    again = deploy_sources({"referral.bpmn": changed.encode()})  # the same files as version 2: unchanged
    assert again.created == [] and again.unchanged == ["referral"]


def test_a_form_file_not_given_is_taken_from_the_stored_version(app, package):
    deploy_paths(package)
    changed = (package / "permit-review.bpmn").read_text(encoding="utf-8").replace("Review the application", "Review")
    result = deploy_sources({"permit-review.bpmn": changed.encode()})
    db.session.commit()
    new = stored()[1]
    assert set(new.files) == PACKAGE_FILES - {"process_model.json"}  # given alone: no package, no process_model.json
    assert ("permit_review", "review-schema.json", "permit_review", 1) in result.kept


def test_a_waiting_case_keeps_its_versions_form_and_a_new_case_gets_the_new_one(app, create_package, create_case):
    deploy_paths(create_package("v1"))
    waiting = create_case("permit_review", {"company": "华宇", "kind": "new"})
    [task] = open_tasks(waiting.instance_id)
    assert task.bpmn_id == "Activity_review"
    assert task_form_files(task) == ("review-schema.json", "review-uischema.json")
    new_schema = json.loads((PACKAGE / "review-schema.json").read_text(encoding="utf-8"))
    new_schema["properties"]["reason"]["maxLength"] = 50
    deploy_paths(create_package("v2", changes={"review-schema.json": json.dumps(new_schema)}))
    fresh = create_case("permit_review", {"company": "绿源", "kind": "renewal"})
    [new_task] = open_tasks(fresh.instance_id)
    old_version, new_version = stored()
    assert waiting.instance.process_version_id == old_version.id and fresh.instance.process_version_id == new_version.id
    assert version_json(old_version.sha256, "review-schema.json")["properties"]["reason"]["maxLength"] == 500
    assert version_json(old_version.id, "review-schema.json")["properties"]["reason"]["maxLength"] == 500
    assert version_json(new_version.sha256, "review-schema.json")["properties"]["reason"]["maxLength"] == 50
    assert task_form_files(new_task) == ("review-schema.json", "review-uischema.json")
    assert start_form_files(old_version) == ("application-schema.json", "application-uischema.json")
    # the waiting case completes on its own version; the decision made at deploy ran (fee from the DMN)
    complete_task(task.id, {"decision": "approve"}, None)
    db.session.commit()
    assert waiting.instance.status == "completed"


def test_a_stored_version_cannot_be_changed(app, package):
    deploy_paths(package)
    [version] = stored()
    version.files = {**version.files, "review-schema.json": "{}"}
    with pytest.raises(RuntimeError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    assert json.loads(stored()[0].files["review-schema.json"])["title"] == "Review"


def test_version_json_of_a_file_the_version_lacks_is_not_found(app, package):
    from workflow_app.core.errors import NotFound

    deploy_paths(package)
    with pytest.raises(NotFound):
        version_json(stored()[0].sha256, "no-such-schema.json")


def test_a_task_without_a_json_schema_has_no_form_files(app, deploy, create_case):
    deploy("straight_line.bpmn")
    case = create_case("straight_line")
    assert task_form_files(open_tasks(case.instance_id)[0]) == (None, None)


@pytest.mark.parametrize(
    "changes, removed, expected",
    [
        (
            {},
            ["review-uischema.json"],
            "permit-review/permit-review.bpmn, UserTask 'Activity_review': formUiSchemaFilename names review-uischema.json, "
            "which is neither among the files given nor in the deployed version",
        ),
        (
            {"review-schema.json": '{"type": "object",}'},
            [],
            "permit-review/permit-review.bpmn, UserTask 'Activity_review': permit-review/review-schema.json:1:19: "
            "not valid JSON: Expecting property name enclosed in double quotes",
        ),
        (
            {"application-schema.json": "[1, 2]"},
            [],
            "permit-review/permit-review.bpmn, StartEvent 'StartEvent_1': permit-review/application-schema.json: "
            "a form's JSON Schema must be a JSON object",
        ),
        (
            {"review-schema.json": '{"type": "object", "maximum": NaN}'},
            [],
            "permit-review/permit-review.bpmn, UserTask 'Activity_review': permit-review/review-schema.json: NaN is not "
            "allowed in JSON",
        ),
        (
            {"review-schema.json": b"\xff\xfe{}"},
            [],
            "permit-review/permit-review.bpmn, UserTask 'Activity_review': permit-review/review-schema.json: not UTF-8 text",
        ),
        (
            {"process_model.json": '{"primary_file_name": "main.bpmn"}'},
            [],
            "permit-review/process_model.json: primary_file_name 'main.bpmn' is not among the package's .bpmn files",
        ),
        (
            {"process_model.json": '{"primary_process_id": "other"}'},
            [],
            "permit-review/process_model.json: primary_process_id 'other' is no executable bpmn:process of the package "
            "(found: permit_review)",
        ),
        (
            {"process_model.json": '{"display_name": 12}'},
            [],
            "permit-review/process_model.json: display_name must be a string",
        ),
        (
            {"process_model.json": '{"display_name": "x",'},
            [],
            "permit-review/process_model.json:1:22: not valid JSON: ",
        ),
    ],
)
def test_a_package_with_a_bad_form_file_is_refused_naming_file_and_element(app, changes, removed, expected):
    lines = refusal(package_sources(changes=changes, removed=removed))
    assert lines[0] == "The process files cannot be deployed"
    assert any(line.startswith(expected) for line in lines[1:]), lines


def test_a_schema_that_is_no_form_is_refused_at_deploy_naming_file_and_pointer(app):
    """forms.schema_forms says what keeps a schema from being a form; the refusal adds the task that names it."""
    schema = json.loads((PACKAGE / "review-schema.json").read_text(encoding="utf-8"))
    schema["properties"]["reason"]["pattern"] = "(unclosed"
    lines = refusal(package_sources(changes={"review-schema.json": json.dumps(schema)}))
    [line] = lines[1:]
    assert line.startswith(
        "permit-review/permit-review.bpmn, UserTask 'Activity_review': "
        "permit-review/review-schema.json#/properties/reason/pattern"
    ), line


def test_a_task_with_a_form_key_and_a_json_schema_is_refused(app):
    both = one_task(
        props='<spiffworkflow:property name="formKey" value="referral_sign_for" />'
        '<spiffworkflow:property name="formJsonSchemaFilename" value="form.json" />'
    )
    lines = refusal({"both.bpmn": both.encode(), "form.json": b'{"type": "object"}'})
    assert (
        "both.bpmn, UserTask 'ask': both formKey and formJsonSchemaFilename are set; a task has one form, so keep "
        "one" in lines
    )
    ui_only = one_task(props='<spiffworkflow:property name="formUiSchemaFilename" value="ui.json" />')
    lines = refusal({"ui_only.bpmn": ui_only.encode(), "ui.json": b"{}"})
    assert (
        "ui_only.bpmn, UserTask 'ask': formUiSchemaFilename is set without formJsonSchemaFilename; a ui schema "
        "lays out a JSON Schema form" in lines
    )


def test_a_refusal_in_chinese_names_file_and_element(app):
    with pytest.raises(InvalidInput) as refused:
        deploy_sources(package_sources(removed=["review-uischema.json"]))
    db.session.rollback()
    assert refused.value.details == [
        "permit-review/permit-review.bpmn, UserTask 'Activity_review'：formUiSchemaFilename 指定的 "
        "review-uischema.json 既不在所给文件中，也不在已部署的版本中"
    ]


def zip_of(entries: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def encrypted(archive: bytes) -> bytes:
    """The zip with its (one) entry marked encrypted in the central directory, as zipfile cannot write one."""
    at = archive.index(b"PK\x01\x02") + 8  # the general purpose flags of the entry's central directory header
    return archive[:at] + bytes([archive[at] | 0x1]) + archive[at + 1 :]


@pytest.mark.parametrize(
    "archive, expected",
    [
        (
            zip_of({"pkg/ok.bpmn": "x", "../evil.bpmn": "x"}),
            "bad.zip: the entry ../evil.bpmn points outside the package (an absolute path or ..); nothing was deployed",
        ),
        (zip_of({"/etc/evil.bpmn": "x"}), "bad.zip: the entry /etc/evil.bpmn points outside the package"),
        (zip_of({"pkg\\..\\..\\evil.dmn": "x"}), "bad.zip: the entry pkg/../../evil.dmn points outside the package"),
        (
            zip_of({"pkg/inner.zip": zip_of({"a.bpmn": "x"})}),
            "bad.zip: the entry pkg/inner.zip is a zip inside the zip",
        ),
        (
            zip_of({f"pkg/{i}.json": "{}" for i in range(MAX_ZIP_ENTRIES + 1)}),
            f"bad.zip holds {MAX_ZIP_ENTRIES + 1} entries; a package may hold at most {MAX_ZIP_ENTRIES}",
        ),
        (zip_of({"pkg/big.bpmn": "x" * (2 * 1024 * 1024 + 1)}), "bad.zip is larger than 2 MB unpacked"),
        (encrypted(zip_of({"pkg/secret.bpmn": "x"})), "bad.zip: the entry pkg/secret.bpmn is encrypted"),
        (b"PK\x03\x04 not really a zip", "bad.zip is not a readable .zip file"),
    ],
)
def test_unsafe_zip_entries_are_refused_naming_the_entry(app, archive, expected):
    with force_locale("en"):
        with pytest.raises(InvalidInput) as refused:
            zip_sources("bad.zip", archive, 2 * 1024 * 1024)
        assert str(refused.value).startswith(expected), str(refused.value)


def test_a_zip_made_on_chinese_windows_keeps_its_file_names(app):
    """Windows' own zip writes names in the system's code page (GBK), without the UTF-8 flag."""
    gbk = "见习.json".encode("gbk")
    archive = zip_of({"pkg/abcd.json": "{}", "pkg/process_model.json": "{}"})
    assert len(gbk) == len(b"abcd.json")
    archive = archive.replace(b"abcd.json", gbk)
    assert sorted(zip_sources("pkg.zip", archive, 1024)) == ["pkg/process_model.json", "pkg/见习.json"]


def test_a_zip_ignores_what_is_not_the_model(app):
    archive = zip_of(
        {
            "pkg/__MACOSX/._a.bpmn": "x",
            "__MACOSX/pkg/._a.bpmn": "x",
            "pkg/.DS_Store": "x",
            "pkg/README.md": "x",
            "pkg/a.bpmn": "<a/>",
        }
    )
    assert zip_sources("pkg.zip", archive, 1024) == {"a.bpmn": b"<a/>"}


def test_two_different_files_of_one_name_are_refused(app, tmp_path):
    for folder, text in (("a", "<one/>"), ("b", "<two/>")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.bpmn").write_text(text)
    with force_locale("en"):
        with pytest.raises(InvalidInput) as refused:
            read_sources([str(tmp_path / "a"), str(tmp_path / "b")])
        assert str(refused.value).startswith("same.bpmn is given twice with different contents")
