"""Process versions: the list, the files of a version, and uploading BPMN/DMN files."""

import io
import re

import sqlalchemy as sa
from markupsafe import escape

from tests.admin.conftest import field_errors, shown
from tests.conftest import DATA
from tests.engine.test_deploy import one_task
from tests.engine.test_packages import PACKAGE, PACKAGE_FILES, package_sources, zip_of, zipped
from tests.engine.test_scripts import process
from workflow_app.engine.models import ProcessVersion
from workflow_app.extensions import db


def upload(client, files: dict, **kwargs):
    data = {
        "files": [
            (io.BytesIO(content.encode() if isinstance(content, str) else content), name)
            for name, content in files.items()
        ]
    }
    return client.post("/admin/processes/deploy", data=data, content_type="multipart/form-data", **kwargs)


def stored_versions():
    return db.session.execute(
        sa.select(ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.deployed_by_id).order_by(
            ProcessVersion.process_id, ProcessVersion.version
        )
    ).all()


def listed_versions(html):
    return re.findall(r'<tr data-process="([^"]+)" data-version="(\d+)">.*?data-instances="(\d+)"', html, re.S)


def test_upload_of_good_files_creates_versions_listed_with_their_cases(client, admin, create_case):
    response = upload(
        client,
        {"straight_line.bpmn": (DATA / "straight_line.bpmn").read_bytes(), "one_task.bpmn": one_task(lane="clerk")},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert shown("Deployed %(process)s version %(version)d", process="straight_line", version=1) in html
    assert shown("Deployed %(process)s version %(version)d", process="one_task", version=1) in html
    assert any("clerk" in m for m in re.findall(r'<div class="alert[^>]*>([^<]*)</div>', html))  # lane warning
    assert stored_versions() == [("one_task", 1, admin.id), ("straight_line", 1, admin.id)]
    create_case("one_task")
    create_case("one_task")
    response = upload(
        client,
        {
            "one_task.bpmn": one_task(lane="clerk", name="Changed"),
            "straight_line.bpmn": (DATA / "straight_line.bpmn").read_bytes(),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert shown("%(process)s is unchanged; no new version was made", process="straight_line") in html
    assert listed_versions(html) == [("one_task", "2", "0"), ("one_task", "1", "2"), ("straight_line", "1", "0")]
    assert "系统管理员" in html  # deployed by


def test_a_version_shows_its_files_escaped(client, deploy):
    deploy("dmn_task.bpmn", "category_section.dmn")
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.process_id == "dmn_task"))
    html = client.get(f"/admin/processes/{version.id}").get_data(as_text=True)
    assert "<code>dmn_task.bpmn</code>" in html and "<code>category_section.dmn</code>" in html  # its decision too
    assert str(escape('<bpmn:process id="dmn_task"')) in html and '<bpmn:process id="dmn_task"' not in html
    assert client.get("/admin/processes/9999").status_code == 404


def test_a_script_that_does_not_compile_is_shown_with_its_element_and_nothing_is_stored(client):
    response = upload(
        client, {**process("result = = 1"), "straight_line.bpmn": (DATA / "straight_line.bpmn").read_bytes()}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown("The process files cannot be deployed") in html
    details = re.findall(r'<li><code class="text-danger text-wrap">(.*?)</code></li>', html, re.S)
    assert any(d.startswith("scripted.bpmn, ScriptTask &#39;run&#39;: script") for d in details), details
    assert stored_versions() == []


def test_xml_with_a_doctype_is_refused(client):
    evil = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>'
    )
    response = upload(client, {"evil.bpmn": evil})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert (
        shown("%(name)s: DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files", name="evil.bpmn") in html
    )
    assert "root:" not in html and stored_versions() == []


def test_files_that_are_not_bpmn_or_dmn_or_too_large_are_refused(client):
    response = upload(client, {"notes.txt": "hello", "straight_line.bpmn": (DATA / "straight_line.bpmn").read_bytes()})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "files") == [
        shown("%(name)s: only .zip, .bpmn, .dmn and .json files can be deployed", name="notes.txt")
    ]
    big = (
        (DATA / "straight_line.bpmn")
        .read_text()
        .replace("</bpmn:definitions>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>")
    )
    response = upload(client, {"straight_line.bpmn": big})
    assert field_errors(response.get_data(as_text=True), "files") == [
        shown("%(name)s is larger than %(mb)d MB", name="straight_line.bpmn", mb=2)
    ]
    response = upload(client, {"<i onclick=x>.txt": "hello"})
    assert "&lt;i onclick=x&gt;.txt" in response.get_data(as_text=True)  # a file name is shown escaped
    response = client.post("/admin/processes/deploy", data={}, content_type="multipart/form-data")
    assert field_errors(response.get_data(as_text=True), "files") == [
        shown("Choose at least one .zip, .bpmn, .dmn or .json file")
    ]
    assert stored_versions() == []


def test_a_package_uploaded_as_a_zip_deploys_with_every_file_and_again_as_its_files_is_unchanged(client, admin):
    response = upload(client, {"permit-review.zip": zipped(PACKAGE)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert shown("Deployed %(process)s version %(version)d", process="permit_review", version=1) in html
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.process_id == "permit_review"))
    assert set(version.files) == PACKAGE_FILES and version.deployed_by_id == admin.id
    page = client.get(f"/admin/processes/{version.id}").get_data(as_text=True)
    assert "<code>review-schema.json</code>" in page and "An enterprise applies for a permit" in page
    again = upload(client, {path.name: path.read_bytes() for path in PACKAGE.iterdir()}, follow_redirects=True)
    assert shown("%(process)s is unchanged; no new version was made", process="permit_review") in again.get_data(
        as_text=True
    )
    assert stored_versions() == [("permit_review", 1, admin.id)]


def test_a_bpmn_uploaded_alone_says_which_files_it_took_from_the_stored_version(client, admin):
    upload(client, {"permit-review.zip": zipped(PACKAGE)})
    changed = (PACKAGE / "permit-review.bpmn").read_text(encoding="utf-8").replace("Review the application", "Review")
    html = upload(client, {"permit-review.bpmn": changed}, follow_redirects=True).get_data(as_text=True)
    assert shown("Deployed %(process)s version %(version)d", process="permit_review", version=2) in html
    assert (
        shown(
            "%(process)s: %(file)s was not given and is taken from %(from_process)s version %(version)d",
            process="permit_review",
            file="permit-fee.dmn",
            from_process="permit_review",
            version=1,
        )
        in html
    )


def test_a_package_with_a_missing_form_file_is_refused_naming_file_and_element(client):
    sources = package_sources(removed=["review-schema.json"])
    response = upload(client, {"permit-review.zip": zip_of(sources)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert shown("The process files cannot be deployed") in html and "Traceback" not in html
    details = re.findall(r'<li><code class="text-danger text-wrap">(.*?)</code></li>', html, re.S)
    assert any(
        d.startswith("permit-review/permit-review.bpmn, UserTask &#39;Activity_review&#39;")
        and "review-schema.json" in d
        for d in details
    ), details
    assert stored_versions() == []


def test_an_unsafe_zip_is_refused_on_its_field_and_nothing_is_stored(client):
    response = upload(client, {"evil.zip": zip_of({"pkg/a.bpmn": "x", "pkg/../../etc/cron.d/x.bpmn": "x"})})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "files") == [
        shown(
            "%(name)s: the entry %(entry)s points outside the package (an absolute path or ..); nothing was deployed",
            name="evil.zip",
            entry="pkg/../../etc/cron.d/x.bpmn",
        )
    ]
    assert "Traceback" not in html and stored_versions() == []
    response = upload(client, {"broken.zip": b"PK\x03\x04 broken"})
    assert field_errors(response.get_data(as_text=True), "files") == [
        shown("%(name)s is not a readable .zip file", name="broken.zip")
    ]
