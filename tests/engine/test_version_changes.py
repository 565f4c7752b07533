"""What changed between two versions of a process, element by element and file by file."""

from workflow_app.engine.version_changes import bpmn_changes, file_changes

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d">
  <bpmn:process id="p" name="Demo" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:userTask id="ask" name="{name}"><bpmn:incoming>f1</bpmn:incoming>{extra}</bpmn:userTask>
    {more}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="p">
    <bpmndi:BPMNShape id="ask_di" bpmnElement="ask"><dc:Bounds x="{x}" y="0" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def bpmn(name="Ask", extra="", more="", x=100):
    return BPMN.format(name=name, extra=extra, more=more, x=x)


def test_an_unchanged_model_or_a_moved_box_has_no_change():
    assert bpmn_changes(bpmn(), bpmn()) == []
    assert bpmn_changes(bpmn(), bpmn(x=300)) == []  # the layout is not what runs


def test_added_removed_and_changed_elements_are_named():
    old = bpmn(more='<bpmn:scriptTask id="old_script" name="Compute" />')
    new = bpmn(
        name="Ask the county",
        extra="<bpmn:documentation>Read first</bpmn:documentation>",
        more='<bpmn:endEvent id="end" name="Done" />',
    )
    changes = {(c.kind, c.element_id): c for c in bpmn_changes(old, new)}
    assert set(changes) == {("changed", "ask"), ("added", "end"), ("removed", "old_script")}
    assert changes[("changed", "ask")].details == ("name: 'Ask' → 'Ask the county'", "content")
    assert changes[("added", "end")].element_type == "endEvent" and changes[("added", "end")].name == "Done"
    assert changes[("removed", "old_script")].name == "Compute"


def test_a_flow_changed_is_the_flows_change_not_its_nodes():
    new = bpmn().replace(
        "<bpmn:outgoing>f1</bpmn:outgoing>", "<bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f2</bpmn:outgoing>"
    )
    new = new.replace("<bpmn:userTask", '<bpmn:sequenceFlow id="f2" sourceRef="start" targetRef="ask" /><bpmn:userTask')
    assert [(c.kind, c.element_id) for c in bpmn_changes(bpmn(), new)] == [("added", "f2")]


def test_no_xml_is_no_element():
    assert bpmn_changes("not xml", bpmn())[0].kind == "added"


def test_files_are_compared_line_by_line():
    changes = file_changes(
        {"a.json": '{"x": 1}\n', "gone.dmn": "<x/>", "same": "s"},
        {"a.json": '{"x": 2}\n', "new.json": "{}", "same": "s"},
    )
    assert [(c.name, c.kind) for c in changes] == [
        ("a.json", "changed"),
        ("gone.dmn", "removed"),
        ("new.json", "added"),
    ]
    assert '-{"x": 1}' in changes[0].diff and '+{"x": 2}' in changes[0].diff
