"""What changed between two versions of a process: the BPMN elements added, removed or changed (by id), and the
other files line by line.

An element is compared with what it holds itself: its attributes and the content that has no id of its own (a
condition, a script, a form's name, its properties); an element with an id inside it is compared on its own. The
diagram's layout (bpmndi) is left out: moving a box changes nothing people run.
"""

import difflib
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
MAX_DIFF_LINES = 400


@dataclass(frozen=True)
class ElementChange:
    kind: str  # "added", "removed" or "changed"
    element_id: str
    element_type: str  # the BPMN tag without its namespace: userTask, sequenceFlow, ...
    name: str
    details: tuple[str, ...] = field(default=())  # what changed: "name: 'A' → 'B'", "content"


@dataclass(frozen=True)
class FileChange:
    name: str
    kind: str  # "added", "removed" or "changed"
    diff: str = ""  # a unified diff, cut at MAX_DIFF_LINES lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(xml: str) -> dict[str, ElementTree.Element]:
    """The elements with an id, outside the diagram's layout, by id; {} when the text is no XML."""
    try:
        root = ElementTree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    except ElementTree.ParseError:
        return {}
    found = {}

    def visit(element, in_layout):
        in_layout = in_layout or element.tag.startswith(BPMNDI)
        if not in_layout and element.get("id"):
            found[element.get("id")] = element
        for child in element:
            visit(child, in_layout)

    visit(root, False)
    return found


DERIVED = ("incoming", "outgoing")  # a node's flows, which the flows themselves say


def _own_content(element) -> str:
    """The text and the children without an id of their own, serialised: the children with an id are elements of
    their own, compared by themselves, and a node's incoming and outgoing flows are the flows' to tell."""
    parts = [(element.text or "").strip()]
    parts += [
        ElementTree.tostring(child, encoding="unicode").strip()
        for child in element
        if child.get("id") is None and _local(child.tag) not in DERIVED
    ]
    return "\n".join(part for part in parts if part)


def _shown(value) -> str:
    text = " ".join(str(value).split())
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def bpmn_changes(old_xml: str, new_xml: str) -> list[ElementChange]:
    """The elements added, removed and changed from `old_xml` to `new_xml`, in the new file's order (removed last)."""
    old, new = _elements(old_xml), _elements(new_xml)
    changes = []
    for element_id, element in new.items():
        kind, name = _local(element.tag), element.get("name") or ""
        before = old.get(element_id)
        if before is None:
            changes.append(ElementChange("added", element_id, kind, name))
            continue
        details = []
        if _local(before.tag) != kind:
            details.append(f"type: {_local(before.tag)} → {kind}")
        for attribute in sorted(set(before.attrib) | set(element.attrib)):
            if before.get(attribute) != element.get(attribute):
                details.append(
                    f"{_local(attribute)}: {_shown(before.get(attribute, ''))} → {_shown(element.get(attribute, ''))}"
                )
        if _own_content(before) != _own_content(element):
            details.append("content")
        if details:
            changes.append(ElementChange("changed", element_id, kind, name, tuple(details)))
    changes += [
        ElementChange("removed", element_id, _local(element.tag), element.get("name") or "")
        for element_id, element in old.items()
        if element_id not in new
    ]
    return changes


def file_changes(old_files: dict, new_files: dict, skip: tuple[str, ...] = ()) -> list[FileChange]:
    """The files added, removed or changed from one version's files to another's, with their line diffs."""
    changes = []
    for name in sorted(set(old_files) | set(new_files)):
        if name in skip:
            continue
        before, after = old_files.get(name), new_files.get(name)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        lines = list(
            difflib.unified_diff(
                (before or "").splitlines(),
                (after or "").splitlines(),
                lineterm="",
                fromfile=name if before is not None else "/dev/null",
                tofile=name if after is not None else "/dev/null",
                n=2,
            )
        )
        if len(lines) > MAX_DIFF_LINES:
            lines = lines[:MAX_DIFF_LINES] + [f"… ({len(lines) - MAX_DIFF_LINES} more lines)"]
        changes.append(FileChange(name, kind, "\n".join(lines)))
    return changes
