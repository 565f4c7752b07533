"""Reading a year's calendar as people write it: date lines (the admin form) and JSON/CSV files (the CLI).

A date line is `YYYY-MM-DD`, or a period `YYYY-MM-DD..YYYY-MM-DD`, optionally followed by a
note (`2027-10-01..2027-10-07 国庆节`); blank lines and lines starting with `#` are skipped.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l

from workflow_app.sla.operations import CalendarRefused

MAX_PERIOD_DAYS = 366


@dataclass
class CalendarEntry:
    """A year's calendar as read, ready for enter_calendar_year."""

    year: int | None
    status: str
    source: str | None
    holidays: list[date] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)
    notes: dict[date, str] = field(default_factory=dict)


def _parse_date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(str(_l("'%(text)s' is not a date (write YYYY-MM-DD)", text=text))) from None


def parse_date_line(line: str) -> tuple[list[date], str | None]:
    """Parse one date line into its dates and note; raise ValueError with a translated message."""
    token, _, note = line.strip().partition(" ")
    token = token.strip()
    if ".." in token:
        first_text, _, last_text = token.partition("..")
        first, last = _parse_date(first_text), _parse_date(last_text)
        if last < first or (last - first).days >= MAX_PERIOD_DAYS:
            raise ValueError(str(_l("'%(text)s' is not a period of at most a year (first..last)", text=token)))
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    else:
        days = [_parse_date(token)]
    return days, note.strip() or None


def parse_date_lines(items, label, first_line: int = 1) -> tuple[list[date], dict[date, str], list[str]]:
    """Parse date lines (a text or a list of strings); return (dates, notes, problems)."""
    lines = items.splitlines() if isinstance(items, str) else list(items)
    dates, notes, problems = [], {}, []
    for number, line in enumerate(lines, start=first_line):
        if not isinstance(line, str):
            problems.append(
                str(
                    _l(
                        "%(label)s, line %(n)d: '%(text)s' is not a date (write YYYY-MM-DD)",
                        label=label,
                        n=number,
                        text=line,
                    )
                )
            )
            continue
        if not line.strip() or line.strip().startswith("#"):
            continue
        try:
            days, note = parse_date_line(line)
        except ValueError as exc:
            problems.append(str(_l("%(label)s, line %(n)d: %(problem)s", label=label, n=number, problem=str(exc))))
            continue
        dates.extend(days)
        if note:
            notes.update({day: note for day in days})
    return dates, notes, problems


def read_calendar_file(path: str | Path, status: str | None = None, source: str | None = None) -> CalendarEntry:
    """Read a JSON or CSV calendar file (see docs/install.md); raise CalendarRefused naming every problem.

    JSON: {"year": 2027, "status": "official", "source": "...", "holidays": [date lines],
    "workdays": [date lines]}. CSV: a header `date,kind,note` then one row per date or period with
    kind `holiday` or `workday`; its year is the first row's. `status`/`source` given here win over the file's.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarRefused(
            [
                str(
                    _l(
                        "cannot read %(file)s: %(reason)s",
                        file=str(path),
                        reason=getattr(exc, "strerror", None) or str(exc),
                    )
                )
            ]
        ) from None
    if path.suffix.lower() == ".csv":
        entry, problems = _from_csv(text)
    else:
        entry, problems = _from_json(text)
    if status is not None:
        entry.status = status
    if source is not None:
        entry.source = source
    if problems:
        raise CalendarRefused([f"{path.name}: {problem}" for problem in problems])
    return entry


def _from_json(text):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return CalendarEntry(None, "official", None), [str(_l("not valid JSON (%(reason)s)", reason=str(exc)))]
    if not isinstance(data, dict):
        return CalendarEntry(None, "official", None), [str(_l("the file must hold one JSON object"))]
    problems = []
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append(str(_l('"year" must be a number such as 2027')))
        year = None
    entry = CalendarEntry(year, data.get("status", "official"), data.get("source"))
    for key, target in (("holidays", entry.holidays), ("workdays", entry.workdays)):
        items = data.get(key, [])
        if not isinstance(items, list):
            problems.append(str(_l('"%(key)s" must be a list of dates', key=key)))
            continue
        dates, notes, found = parse_date_lines(items, key)
        target.extend(dates)
        entry.notes.update(notes)
        problems.extend(found)
    return entry, problems


def _from_csv(text):
    entry, problems = CalendarEntry(None, "official", None), []
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or [name.strip() for name in reader.fieldnames[:2]] != ["date", "kind"]:
        return entry, [str(_l("the first line must be the header date,kind,note"))]
    for row in reader:
        number = reader.line_num
        kind = (row.get("kind") or "").strip()
        line = " ".join(part for part in ((row.get("date") or "").strip(), (row.get("note") or "").strip()) if part)
        if kind not in ("holiday", "workday"):
            problems.append(str(_l("line %(n)d: kind must be holiday or workday, not '%(kind)s'", n=number, kind=kind)))
            continue
        dates, notes, found = parse_date_lines([line], kind, first_line=number)
        problems.extend(found)
        (entry.holidays if kind == "holiday" else entry.workdays).extend(dates)
        entry.notes.update(notes)
        if entry.year is None and dates:
            entry.year = dates[0].year
    if entry.year is None and not problems:
        problems.append(str(_l("the file lists no dates")))
    return entry, problems
