"""Process models that poison the step after their first one: model code that loops or takes too much, data
that cannot be stored, timers that cannot be. Shared by the engine's tests and the reliability run."""

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="clerks" name="clerk"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>first</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>after</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {first}
    {poison}
    <bpmn:userTask id="after" name="After"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="poison" />
    <bpmn:sequenceFlow id="f3" sourceRef="poison" targetRef="after" />
    <bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end" />
  </bpmn:process>
  <bpmn:process id="{pid}_again" isExecutable="true">
    <bpmn:startEvent id="again_start"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="again" name="Call myself" calledElement="{pid}_again"><bpmn:incoming>g1</bpmn:incoming>
      <bpmn:outgoing>g2</bpmn:outgoing></bpmn:callActivity>
    <bpmn:endEvent id="again_end"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="again_start" targetRef="again" />
    <bpmn:sequenceFlow id="g2" sourceRef="again" targetRef="again_end" />
  </bpmn:process>
</bpmn:definitions>"""
# the step before the poison: a person's task (the web request runs the poison) or a short timer (the worker does)
BY_HAND = '<bpmn:userTask id="first" name="Go"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
BY_TIMER = (
    '<bpmn:intermediateCatchEvent id="first" name="Wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2'
    '</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>"PT0.1S"</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
)
DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dd" name="Loop" namespace="n">
  <decision id="looping_decision" name="Loop">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="i1" label="Spin"><inputExpression id="ie1" typeRef="integer"><text>1</text></inputExpression></input>
      <output id="o1" label="Out" name="out" typeRef="string" />
      <rule id="r1"><inputEntry id="r1i"><text>len([x for x in range(10**7) for y in range(10**7)]) &gt; ?</text></inputEntry><outputEntry id="r1o"><text>"done"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def poisoned_bpmn(pid, poison, first):
    """A process `pid`: `first` (a person's task or a short timer), then `poison`, then a person's task "after"."""
    return BPMN.replace("{first}", first).replace("{poison}", poison).replace("{pid}", pid)


def script(source):
    return (
        f'<bpmn:scriptTask id="poison" name="Poison"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3'
        f"</bpmn:outgoing><bpmn:script>{source}</bpmn:script></bpmn:scriptTask>"
    )


def timer(expression, kind="timeDuration"):
    return (
        f'<bpmn:intermediateCatchEvent id="poison" name="Poison"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>'
        f"f3</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:{kind}>{expression}</bpmn:{kind}>"
        f"</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )


DECISION = (
    '<bpmn:businessRuleTask id="poison" name="Poison"><bpmn:extensionElements><spiffworkflow:calledDecisionId>'
    "looping_decision</spiffworkflow:calledDecisionId></bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming>"
    "<bpmn:outgoing>f3</bpmn:outgoing></bpmn:businessRuleTask>"
)
CALL_ITSELF = (
    '<bpmn:callActivity id="poison" name="Poison" calledElement="{pid}_again"><bpmn:incoming>f2'
    "</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:callActivity>"
)

# Point 1: model code that never ends or takes too much; each ends in error within the budget.
BUDGET_POISONS = {
    "looping script": (script("while True:\n    pass"), "MODEL_CPU_SECONDS"),
    "looping DMN cell": (DECISION, "MODEL_CPU_SECONDS"),
    "looping timer expression": (
        timer('"PT1H" if [x for x in range(10**7) for y in range(10**7)] else ""'),
        "MODEL_CPU_SECONDS",
    ),
    "recursive call activity": (CALL_ITSELF, "MODEL_CPU_SECONDS"),
    "1 GB allocation": (script('blob = "x" * (1024 ** 3)'), "MODEL_MEMORY_MB"),
    # the memory freed by earlier tests may serve it without the process growing: then the data's size stops it
    "growing allocation": (script('chunks = []\nwhile True:\n    chunks.append("x" * 1000000)'), "M"),
    "deep recursion": (script("def down(n):\n    return down(n + 1)\ndown(0)"), "MODEL_CALL_DEPTH"),
}
# Point 2: steps that failed outside SpiffWorkflow's own errors and left cases running with a dead task.
DATA_POISONS = {
    "generator left in data": (script("numbers = (n for n in [1, 2])"), "generator"),
    "bytes left in data": (script('raw = "abc".encode()'), "bytes"),
    "cyclic list": (script("loop = []\nloop.append(loop)"), "TASK_DATA_MAX_DEPTH"),
    "100,000-deep list": (script("deep = []\nfor i in range(100000):\n    deep = [deep]"), "TASK_DATA_MAX_DEPTH"),
    "5,000-digit int": (script("big = 10 ** 5000"), "19"),
    "timer of P99999Y": (timer('"P99999Y"'), "poison"),
    "non-ISO timer": (timer('"next tuesday"'), "poison"),
    "overflowing timer date": (timer('"99999-01-01T00:00:00Z"', "timeDate"), "poison"),
    "script raising SystemExit": (script("raise SystemExit"), "SystemExit"),
    "script raising KeyboardInterrupt": (script("raise KeyboardInterrupt"), "KeyboardInterrupt"),
}
