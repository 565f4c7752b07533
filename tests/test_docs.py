"""docs/process-authoring.md and the code name the same properties, ui: keys, widgets and formats.

The guide's tables are what an analyst writes a process from: a name the code no longer reads, or one it reads
that the guide leaves out, fails here instead of leaving a model that silently does nothing.
"""

import re
from pathlib import Path

from forms import schema_forms
from forms.rules import FORM_RULES
from workflow_app.engine import parsing, process_facts

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "process-authoring.md"


def guide_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """(first header cell, rows as lists of cells) of every Markdown table outside code blocks."""
    tables, rows, fenced = [], None, False
    for line in text.splitlines() + [""]:
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows = [] if rows is None else rows
            if not set("".join(cells)) <= set("-: "):  # not the line under the header
                rows.append(cells)
            continue
        if rows:
            tables.append((rows[0][0].lower(), rows[1:]))
        rows = None
    return tables


def names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def listed(first_header: str, column: int = 0) -> dict[str, set[str]]:
    """{name in backticks: the rows' first cells} in the given column of the guide's tables headed so."""
    found = {}
    for header, rows in guide_tables(GUIDE.read_text(encoding="utf-8")):
        if header == first_header:
            for row in rows:
                for name in names(row[column]):
                    found.setdefault(name, set()).add(row[0])
    return found


def properties_the_code_reads() -> set[str]:
    """The spiffworkflow:properties names the code reads: its constants, and every `properties.get("...")`."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "workflow_app").rglob("*.py"))
    read = set(re.findall(r'properties(?:\.get\(|\[)\s*"(\w+)"', source))
    from workflow_app.agreements.operations import AGREEMENT_STATUS, ENTERPRISE_NOTICE

    return (
        read
        | set(process_facts.PROCESS_PROPERTIES)
        | {parsing.FORM_SCHEMA, parsing.FORM_UI_SCHEMA}
        | set(parsing.EXPRESSION_PROPERTIES)
        | set(process_facts.PORTAL_TASK_PROPERTIES)
        | {process_facts.PORTAL_OUTCOME, parsing.OPERATION, AGREEMENT_STATUS, ENTERPRISE_NOTICE}
    )


def ui_keys_the_code_reads() -> set[str]:
    source = "\n".join(
        (ROOT / "forms" / name).read_text(encoding="utf-8") for name in ("schema_forms.py", "schema_html.py")
    )
    return set(re.findall(r'"(ui:\w+)"', source))


def test_every_property_the_guide_lists_is_one_the_code_reads_and_every_one_it_reads_is_listed():
    documented, known = set(listed("property")), properties_the_code_reads()
    assert len(documented) >= 20, "the guide's tables headed 'Property' list fewer than 20 properties"
    assert documented - known == set(), "docs/process-authoring.md lists properties the code does not read"
    assert known - documented == set(), "the code reads properties docs/process-authoring.md does not list"


def test_every_ui_key_and_widget_the_guide_lists_is_one_the_forms_support_and_all_are_listed():
    documented = {name for name in listed("key") if name.startswith("ui:")}
    assert documented == ui_keys_the_code_reads()
    widget_rows = [
        row
        for header, rows in guide_tables(GUIDE.read_text(encoding="utf-8"))
        if header == "key"
        for row in rows
        if names(row[0]) == ["ui:widget"]
    ]
    assert len(widget_rows) == 1 and names(widget_rows[0][1]) == list(schema_forms.UI_WIDGETS)


def test_every_format_the_guide_lists_is_registered_and_every_registered_one_is_listed():
    assert set(listed("format")) == set(schema_forms.FORMATS)


def test_every_form_rule_the_guide_lists_is_registered_and_every_registered_one_is_listed():
    documented = set(listed("rule"))
    assert documented - set(FORM_RULES) == set(), "docs/process-authoring.md lists form rules no module registers"
    assert set(FORM_RULES) - documented == set(), "forms/rules registers rules docs/process-authoring.md does not list"
