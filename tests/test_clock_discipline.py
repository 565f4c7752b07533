"""Today and now come from the application's clock (core.time), never from the machine's local date.

`date.today()` is the machine's date (UTC here), a day behind Shanghai from 16:00 UTC; a naive `datetime.now()`
has no zone at all. Both once made tests pass by day and fail by night, and tests cannot move them.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINE_CLOCK = re.compile(r"\b(date\.today|datetime\.today|datetime\.utcnow|datetime\.now)\(\s*\)")


def test_no_code_reads_the_machines_local_date_or_a_naive_now():
    found = []
    for folder in ("workflow_app", "forms", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if MACHINE_CLOCK.search(line) and path != Path(__file__):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "use workflow_app.core.time (local_today, utcnow) instead:\n" + "\n".join(found)
