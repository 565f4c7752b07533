"""What an engine step found and made travels in plain sight: in the Step it hands on and returns (engine.step).

Nothing of a transaction is kept where a function's signature does not show it: no values in the session's
`info` dict, no edits of its identity map, no module-level caches of a step's rows. Only core/database.py, which
sets up connections and sessions, keeps what it must there (a transaction's end actions).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {Path("workflow_app/core/database.py")}
HIDDEN_STATE = re.compile(r"\bsession\.info\b|\bidentity_map\b|\btransaction_key\(|\.info\.setdefault\(")


def test_no_code_keeps_a_transactions_values_out_of_sight():
    found = []
    for folder in ("workflow_app", "forms"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if HIDDEN_STATE.search(line):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "pass the step (engine.step.Step) or an argument instead:\n" + "\n".join(found)
