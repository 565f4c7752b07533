"""Writes: start a case (a numbered record over a new process instance), comments, attachments."""

import functools
import hashlib
import logging
import re
import unicodedata

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from workflow_app.auth.models import Enterprise, User
from workflow_app.auth.operations import register_enterprise
from workflow_app.auth.queries import find_org_unit
from workflow_app.auth.scopes import units_below
from workflow_app.cases.models import (
    INTERNAL,
    PRIORITIES,
    SHARED,
    VISIBILITIES,
    Attachment,
    Case,
    CaseNumberSequence,
    Comment,
    StoredFile,
)
from workflow_app.cases.schema_tasks import start_schema_form
from workflow_app.core.errors import InvalidInput, NotFound
from workflow_app.core.reference import kept
from workflow_app.core.row_writes import write_rows
from workflow_app.core.time import SHANGHAI, format_local, utcnow
from workflow_app.core.uscc import normalise_uscc
from workflow_app.engine.models import AuditEvent, ProcessInstance
from workflow_app.engine.operations import start_instance
from workflow_app.engine.packages import PACKAGE_MODEL
from workflow_app.engine.parsing import ONE_OPEN_CASE_PER_ENTERPRISE
from workflow_app.engine.process_facts import GENERIC_PREFIX, ProcessFacts
from workflow_app.engine.queries import latest_process_facts, latest_version, process_label, version_json
from workflow_app.engine.step import Step
from workflow_app.extensions import db

log = logging.getLogger(__name__)


def next_case_number(process_id: str, now=None) -> str:
    """Return the next number in the process's yearly sequence (its model's caseNumberPrefix, else AJ: 案件)."""
    facts = latest_process_facts(process_id)
    return next_number(facts.case_number_prefix if facts is not None else GENERIC_PREFIX, now)


def next_number(prefix: str, now=None) -> str:
    """Return the next number like ZB-2026-000123 of a prefix's yearly sequence."""
    return reserve_numbers(prefix, 1, now)[0]


def reserve_numbers(prefix: str, count: int, now=None) -> list[str]:
    """Return the next `count` numbers of a prefix's yearly sequence, none of them ever given twice.

    PostgreSQL draws them from a sequence per prefix and year, which no transaction waits on: a counter row
    would stay locked from a case's numbering to its commit, the whole of its start (measured: 4 clients
    starting cases waited on it 7% of the time, each wait idling a web worker). A transaction that rolls back
    after its numbering leaves a gap. SQLite, which lets one writer in at a time anyway, keeps the counter rows.
    """
    if count == 0:
        return []
    year = (now or utcnow()).astimezone(SHANGHAI).year
    values = _draw_from_sequence(prefix, year, count) if db.session.get_bind().dialect.name == "postgresql" else None
    if values is None:
        last = _bump_counter_row(prefix, year, count)
        values = range(last - count + 1, last + 1)
    return [f"{prefix}-{year}-{value:06d}" for value in values]


_sequence = CaseNumberSequence.__table__
_BUMP_SEQUENCE = (  # built once: every start on SQLite runs it
    sa.update(_sequence)
    .where(_sequence.c.prefix == sa.bindparam("seq_prefix"), _sequence.c.year == sa.bindparam("seq_year"))
    .values(last_value=_sequence.c.last_value + sa.bindparam("seq_count"))
    .returning(_sequence.c.last_value)
)


def _bump_counter_row(prefix: str, year: int, count: int) -> int:
    """Add `count` to a prefix's counter row of the year (locking it until the commit); return its new value."""
    key = {"seq_prefix": prefix, "seq_year": year, "seq_count": count}
    last = db.session.scalar(_BUMP_SEQUENCE, key)
    if last is None:
        # The year's first number. Two first cases may start at once: both insert, the second insert does
        # nothing, and both then bump the one row in turn (a plain INSERT failed the second on the primary key).
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        db.session.execute(insert(_sequence).values(prefix=prefix, year=year, last_value=0).on_conflict_do_nothing())
        last = db.session.scalar(_BUMP_SEQUENCE, key)
    return last


# Zero rows while the sequence does not exist (nextval is only called on the pg_class row found), so that a missing
# sequence does not abort the transaction. Found by name in pg_class, not with to_regclass: that looks in the
# session's catalog cache, which may go on remembering, within a transaction, that the name was not there.
_NEXT_VALUES = sa.text(
    "SELECT nextval(pg_class.oid) FROM pg_class CROSS JOIN generate_series(1, :count) "
    "WHERE pg_class.relname = :name AND pg_class.relnamespace = current_schema()::regnamespace "
    "AND pg_class.relkind = 'S' ORDER BY 1"
)


def _draw_from_sequence(prefix: str, year: int, count: int) -> list[int] | None:
    """Take `count` values of the prefix's sequence of the year, creating it at the year's first number; None if
    it does not exist and the database user may not create it.

    A refused creation is kept for REFERENCE_KEEP_SECONDS, so that such a deployment does not try the DDL (on a
    connection of its own) and warn at every start; the sequence is still looked for first each time.
    """
    if not re.fullmatch(r"[A-Z]{1,10}", prefix):
        raise ValueError(f"a number prefix is 1 to 10 capital letters, not {prefix!r}")
    name = f"case_number_{prefix.lower()}_{year}"
    values = db.session.scalars(_NEXT_VALUES, {"count": count, "name": name}).all()
    if values:
        return values
    if not kept(f"number_sequence_created:{name}", lambda: _create_sequence(name, prefix, year)):
        return None
    values = db.session.scalars(_NEXT_VALUES, {"count": count, "name": name}).all()
    if not values:
        raise RuntimeError(f"the number sequence {name} was created but is not found")
    return values


def _create_sequence(name: str, prefix: str, year: int) -> bool:
    """Create a prefix's number sequence of a year, committed at once on a connection of its own; True if it exists
    now, False if the database user may not create it (the counter row numbers then, as on SQLite).

    Committed at once, because a sequence created in the transaction of the year's first case would make every
    other start of that prefix wait for its commit. It goes on after the counter row of a database that numbered
    this year's cases with rows before (set in the creating transaction, so no one draws from it before). Owned
    by the counter column, so that TRUNCATE ... RESTART IDENTITY restarts it at 1 and dropping the table drops it.
    """
    try:
        with db.engine.begin() as connection:
            given = connection.scalar(
                sa.select(_sequence.c.last_value).where(_sequence.c.prefix == prefix, _sequence.c.year == year)
            )
            connection.execute(sa.text(f"CREATE SEQUENCE {name} OWNED BY {_sequence.name}.last_value"))
            if given:
                connection.execute(
                    sa.text("SELECT setval(CAST(:name AS regclass), :given)"), {"name": name, "given": given}
                )
    except sa.exc.DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state == "42501":  # insufficient privilege: a user that may write rows but not create in the schema
            log.warning(
                "Numbering %s with a counter row, which makes starts wait on each other: the database user "
                "may not create the sequence %s (grant it CREATE on the schema, or create the sequence "
                "owned by case_number_sequence.last_value, set it to that row's last_value and grant the "
                "user USAGE on it)",
                prefix,
                name,
            )
            return False
        # 42P07: created by another start since this one looked; 23505: created by one at the same moment
        if state not in ("42P07", "23505"):
            raise
    return True


def enterprise_snapshot(enterprise_id: int) -> dict:
    """The enterprise facts a process needs (county, specialist), as they are when the case starts."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise InvalidInput(_l("Unknown enterprise"))
    specialist = db.session.get(User, enterprise.specialist_id) if enterprise.specialist_id else None
    return {
        "id": enterprise.id,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "county": enterprise.county.code,
        "specialist": specialist.username if specialist is not None and specialist.active else None,
    }


def start_case_step(
    process_id: str,
    data: dict,
    org_unit_id: int,
    actor_id: int | None,
    title: str | None,
    enterprise_id: int | None = None,
    priority: str | None = None,
) -> Step:
    """Start a process and record the case that tracks it, numbered with its model's prefix; return the start's step
    (engine.step), whose result is the Case (start_case returns the Case).

    `title` None: the model's caseTitle over the start data (with `case_number`, `priority` and `enterprise`),
    else the process's label. `priority` None: the one the model's casePriority gives over the start data (with
    `case_number` and `enterprise`), else normal; a casePriority that fails is in the case's history.
    """
    if priority is not None and priority not in PRIORITIES:
        raise InvalidInput(_l("Unknown priority '%(p)s'", p=priority))
    if title is not None and not title.strip():
        raise InvalidInput(_l("A case needs a title"))
    enterprise = enterprise_snapshot(enterprise_id) if enterprise_id is not None else None  # refused unnumbered
    facts = latest_process_facts(process_id)
    if facts is None:
        raise NotFound(_l("No deployed process '%(id)s'", id=process_id))
    number = next_number(facts.case_number_prefix)
    priority_failed = None
    if priority is None:
        start_data = {"case_number": number, **data, **({"enterprise": enterprise} if enterprise else {})}
        priority, priority_failed = facts.priority(start_data)
    instance_data = {"case_number": number, "priority": priority, **data}
    if enterprise is not None:
        instance_data["enterprise"] = enterprise
    if title is None:
        title = facts.title(instance_data) or facts.label
    external_ref = external_reference(data)
    step = start_instance(process_id, instance_data, org_unit_id, actor_id)
    instance = step.instance
    if priority_failed:
        step.record_audit(
            "sla_property_failed",
            None,
            data={"property": "casePriority", "error": priority_failed},
            at=instance.created_at or utcnow(),
        )
    case = Case(
        number=number,
        instance=instance,
        process_id=process_id,
        enterprise_id=enterprise_id,
        title=title.strip()[:300],
        priority=priority,
        created_by_id=actor_id,
        external_ref=external_ref,
    )
    db.session.add(case)
    write_rows(db.session)
    step.result = case
    return step


# The start field that holds the number another system gives the case (the command centre's ticket number): any
# process's start data may carry it; the case keeps it, searchable, besides its own number
EXTERNAL_REF_FIELD = "external_ref"
EXTERNAL_REF_MAX_CHARS = 60  # Case.external_ref


def external_reference(data: dict) -> str | None:
    """The start data's external reference, stripped (None when it has none); refused when it is no short text."""
    value = data.get(EXTERNAL_REF_FIELD)
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > EXTERNAL_REF_MAX_CHARS:
        raise InvalidInput(
            _l("The external reference must be a text of at most %(n)d characters", n=EXTERNAL_REF_MAX_CHARS),
            [{"field": EXTERNAL_REF_FIELD, "message": str(_l("At most %(n)d characters", n=EXTERNAL_REF_MAX_CHARS))}],
        )
    return value.strip() or None


def start_process_case_step(
    process_id: str,
    data: dict,
    actor,
    enterprise_id: int | None = None,
    priority: str | None = None,
    title: str | None = None,
    fields: dict | None = None,
) -> Step:
    """Start a process as its model says (engine.process_facts): its enterprise, the unit it starts in, its title.

    The case's enterprise is an enterprise account's own; else `enterprise_id`; else the one whose unified social
    credit code the start field named by the model's enterpriseField holds (in `fields`, by default `data`), which
    staff may register with the start when the model says so (register_described_enterprise).
    """
    facts = latest_process_facts(process_id)
    if facts is None:
        raise NotFound(_l("No deployed process '%(id)s'", id=process_id))
    fields = data if fields is None else fields
    register_described_enterprise(facts, actor, fields)
    enterprise = case_enterprise(facts, actor, enterprise_id, fields)
    if enterprise is not None:
        refuse_a_second_open_case(process_id, enterprise, data)
    if enterprise is not None and (actor.enterprise_id is not None or facts.case_org_unit == "enterprise"):
        org_unit_id = enterprise.county_id  # 属地: the enterprise's county handles it
    else:
        org_unit_id = actor.org_unit_id
    return start_case_step(
        process_id,
        data,
        org_unit_id,
        actor.id,
        title,
        enterprise_id=enterprise.id if enterprise is not None else None,
        priority=priority,
    )


OPEN_STATUSES = ("running", "suspended", "error")
_package_models: dict[str, dict] = {}  # sha256 -> process_model.json ({} without one): a version never changes


def _package_model(sha256: str) -> dict:
    if sha256 not in _package_models:
        try:
            model = version_json(sha256, PACKAGE_MODEL)
        except NotFound:
            model = {}
        _package_models[sha256] = model if isinstance(model, dict) else {}
    return _package_models[sha256]


def refuse_a_second_open_case(process_id: str, enterprise: Enterprise, data: dict) -> None:
    """Refuse a start when the enterprise has an open case of the process already and the process's package says it
    may have only one (oneOpenCasePerEnterprise), naming that case: five identical applications are one too many."""
    version = latest_version(process_id)
    rule = _package_model(version.sha256).get(ONE_OPEN_CASE_PER_ENTERPRISE) if version is not None else None
    if not rule:
        return
    # one start at a time per enterprise: a second, concurrent application waits here and then finds the first
    db.session.execute(sa.select(Enterprise.id).where(Enterprise.id == enterprise.id).with_for_update())
    fields = [name for name in rule if isinstance(name, str)] if isinstance(rule, list) else []
    open_cases = db.session.execute(
        sa.select(Case, AuditEvent.data)
        .join(ProcessInstance, ProcessInstance.id == Case.instance_id)
        .join(AuditEvent, sa.and_(AuditEvent.instance_id == Case.instance_id, AuditEvent.kind == "instance_started"))
        .where(
            Case.enterprise_id == enterprise.id,
            Case.process_id == process_id,
            ProcessInstance.status.in_(OPEN_STATUSES),
        )
        .order_by(Case.id)
    ).all()
    for case, started in open_cases:
        start_data = (started or {}).get("data") or {}
        if all(_same_value(start_data.get(name), data.get(name)) for name in fields):
            raise InvalidInput(_open_case_message(case, version, fields, data))


def _same_value(stored, given) -> bool:
    """Whether a start field's value as the history stored it and a new one are the same, as text (case and spaces
    aside: a contract number typed in lower case is the same contract)."""

    def text(value):
        return None if value is None else " ".join(str(value).split()).casefold()

    return text(stored) == text(given)


def _open_case_message(case: Case, version, fields: list[str], data: dict):
    words = dict(
        process=process_label(case.process_id), number=case.number, day=format_local(case.created_at, "%Y-%m-%d")
    )
    if not fields:
        return _l(
            "%(process)s %(number)s, applied for on %(day)s, is still open: an enterprise has one such case at a "
            "time. Follow it under My cases, or withdraw it before applying again",
            **words,
        )
    form = start_schema_form(version)
    same = ", ".join(f"{form.title_of(name) if form else name} {data.get(name)}" for name in fields)
    return _l(
        "%(process)s %(number)s for the same %(same)s, applied for on %(day)s, is still open. Follow it under My "
        "cases, or withdraw it before applying again",
        same=same,
        **words,
    )


def case_enterprise(facts: ProcessFacts, actor, enterprise_id: int | None, fields: dict) -> Enterprise | None:
    """The enterprise a case started by `actor` belongs to (see start_process_case); refused when staff name
    one outside their unit, or an enterprise account another enterprise."""
    if actor.enterprise_id is not None:
        if enterprise_id is not None and enterprise_id != actor.enterprise_id:
            raise InvalidInput(_l("An enterprise account can start cases of its own enterprise only"))
        return db.session.get(Enterprise, actor.enterprise_id)
    if enterprise_id is not None:
        enterprise = db.session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise InvalidInput(_l("Unknown enterprise"))
    elif facts.enterprise_field:
        enterprise = enterprise_of_field(fields, facts.enterprise_field)
    else:
        return None
    if enterprise.county_id not in units_below(actor.org_unit_id):
        raise InvalidInput(_l("%(name)s is not in your county", name=enterprise.name))
    return enterprise


def enterprise_of_field(fields: dict, field: str) -> Enterprise:
    """The registered enterprise whose unified social credit code the start field `field` holds."""
    uscc = normalise_uscc(fields.get(field))
    if not uscc:
        raise InvalidInput(
            _l("Give the unified social credit code of the enterprise (%(field)s)", field=field),
            [{"field": field, "message": str(_l("Required"))}],
        )
    enterprise = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))
    if enterprise is None:
        raise InvalidInput(
            _l("No enterprise with the unified social credit code %(code)s is registered", code=uscc[:40]),
            [{"field": field, "message": str(_l("Not a registered enterprise"))}],
        )
    return enterprise


def register_described_enterprise(facts: ProcessFacts, actor, fields: dict) -> Enterprise | None:
    """Register the enterprise a staff start describes, when its model names the field for it
    (enterpriseRegistration: an object with the enterprise's `name` and `county` code) and that field is filled: the
    enterpriseField's code with that name and county, awaiting an admin's confirmation (a dispatcher registers a new
    major-project company the command centre calls about). None when there is nothing to register; refused when the
    code is registered already or the county is not the actor's or below it."""
    field = facts.enterprise_registration
    described = fields.get(field) if field and actor.enterprise_id is None else None
    if not described:
        return None
    if not isinstance(described, dict):
        raise InvalidInput(
            _l("'%(field)s' must be an object with the enterprise's name and county", field=field),
            [{"field": field, "message": str(_l("Must be an object"))}],
        )
    uscc = normalise_uscc(fields.get(facts.enterprise_field))
    known = db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc)) if uscc else None
    if known is not None:
        raise InvalidInput(
            _l(
                "The unified social credit code %(code)s is already registered for %(name)s", code=uscc, name=known.name
            ),
            [{"field": field, "message": str(_l("Already registered: leave it empty"))}],
        )
    county = find_org_unit(str(described.get("county") or ""))
    if county is None or county.level != "county" or county.id not in units_below(actor.org_unit_id):
        raise InvalidInput(
            _l("Choose a county or zone of your unit for the new enterprise"),
            [{"field": f"{field}.county", "message": str(_l("Not a county or zone of your unit"))}],
        )
    # a dispatcher's entry: an admin checks it against the official register (系统管理 › 企业 › 待确认)
    return register_enterprise(uscc, str(described.get("name") or ""), county.code, awaiting_confirmation=True)


def start_generic_case_step(process_id: str, data: dict, actor) -> Step:
    """Start any deployed process with start variables; `title` (optional) names the case, else the model's
    caseTitle or its label does."""
    data = dict(data or {})
    for key in data:
        if not (isinstance(key, str) and key.isidentifier() and not key.startswith("_")):
            raise InvalidInput(
                _l("Start variable names must be identifiers without a leading underscore: %(key)s", key=str(key)[:50])
            )
    title = str(data.pop("title", "") or "").strip()[:300]
    return start_process_case_step(process_id, data, actor, title=title or None)


def _returning_the_case(start_step):
    """The start operation `start_step`, returning the Case it made instead of the step (whose result it is)."""

    @functools.wraps(start_step)
    def start(*args, **kwargs) -> Case:
        return start_step(*args, **kwargs).result

    return start


start_case = _returning_the_case(start_case_step)
start_process_case = _returning_the_case(start_process_case_step)
start_generic_case = _returning_the_case(start_generic_case_step)


# Attachments: the types a bureau exchanges, each with the bytes its files start with (when it has such).
ATTACHMENT_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "ofd": ("application/ofd", (b"PK\x03\x04",)),
    "txt": ("text/plain; charset=utf-8", ()),
}


def clean_file_name(name: str) -> str:
    """Keep only the last path part of an uploaded name, without control or path characters."""
    base = (name or "").replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    return base.strip().lstrip(".")[:200]


def visibility_of(writer, visibility: str | None) -> str:
    """Return who will see what `writer` adds: an enterprise's users share theirs; staff choose, internal by default."""
    if writer.enterprise_id is not None:
        if visibility not in (None, SHARED):
            raise InvalidInput(_l("What an enterprise adds to its case is always visible to it and to the bureau"))
        return SHARED
    if visibility is None:
        return INTERNAL
    if visibility not in VISIBILITIES:
        raise InvalidInput(_l("Unknown visibility '%(value)s': choose internal or shared", value=str(visibility)[:20]))
    return visibility


def add_comment(case: Case, body: str, author, task_id: int | None = None, visibility: str | None = None) -> Comment:
    """Add a comment to a case, internal to the staff or shared with the enterprise (see visibility_of)."""
    visibility = visibility_of(author, visibility)
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_l("A comment cannot be empty"))
    if len(body) > 4000:
        raise InvalidInput(_l("A comment can have at most %(n)d characters", n=4000))
    comment = Comment(case_id=case.id, task_id=task_id, author_id=author.id, body=body, visibility=visibility)
    db.session.add(comment)
    db.session.flush()
    return comment


def add_attachment(
    case: Case,
    file_name: str,
    content: bytes,
    uploader,
    max_bytes: int,
    task_id: int | None = None,
    visibility: str | None = None,
) -> Attachment:
    """Attach a file to a case after checking its name, size and type (content stored once per SHA-256).

    Internal to the staff or shared with the enterprise, as comments (see visibility_of).
    """
    visibility = visibility_of(uploader, visibility)
    name = clean_file_name(file_name)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not name or extension not in ATTACHMENT_TYPES:
        raise InvalidInput(
            _l("Files of this type cannot be attached; allowed: %(types)s", types=", ".join(sorted(ATTACHMENT_TYPES)))
        )
    if not content:
        raise InvalidInput(_l("The file '%(name)s' is empty", name=name))
    if len(content) > max_bytes:
        raise InvalidInput(_l("The file '%(name)s' is larger than %(mb)s MB", name=name, mb=f"{max_bytes / 1048576:g}"))
    content_type, signatures = ATTACHMENT_TYPES[extension]
    if signatures and not content.startswith(signatures):
        raise InvalidInput(_l("The file '%(name)s' is not a real .%(ext)s file", name=name, ext=extension))
    if extension == "txt":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(_l("The text file '%(name)s' must be UTF-8", name=name)) from None
    digest = hashlib.sha256(content).hexdigest()
    if db.session.get(StoredFile, digest) is None:
        db.session.add(StoredFile(sha256=digest, size=len(content), content=content))
        db.session.flush()  # no relationship orders the two inserts, so the content goes first
    attachment = Attachment(
        case_id=case.id,
        task_id=task_id,
        uploaded_by_id=uploader.id,
        file_name=name,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        visibility=visibility,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def attach_start_files(case: Case, files, starter, max_bytes: int) -> list[Attachment]:
    """Store the files a start form's file widgets took (an application's evidence) as the new case's attachments,
    with the same checks as any upload: a refused file refuses the start, which the caller rolls back whole."""
    return [add_attachment(case, file_name, content, starter, max_bytes) for file_name, content in files]
