"""What the domains above cases show on the staff's case page (its SLA clocks, its agreement).

Cases cannot import them (they sit above it), so each registers a function that loads its values at start-up, and
the page's route calls them: the template gets everything it shows from the route, and runs no query itself.
"""

CASE_PAGE_VALUES = []  # load(case, open_tasks) -> {name: value} for cases/case.html


def register_case_page_values(load) -> None:
    """Have the case page call `load(case, open_tasks)` for more of its template's values."""
    if load not in CASE_PAGE_VALUES:  # each app built (tests build many) registers again
        CASE_PAGE_VALUES.append(load)


def case_page_values(case, open_tasks) -> dict:
    """The values the registered domains load for a case's page."""
    values = {}
    for load in CASE_PAGE_VALUES:
        values.update(load(case, open_tasks))
    return values
