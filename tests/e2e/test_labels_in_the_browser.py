"""What the browser draws and shows reads as labels (issue 30.2): the diagram bpmn-js renders names each lane by its
role's label, and a referral's case page (its history opened) and the case list show no process id, role, org unit,
status or priority code, at a desktop's width and a phone's."""

import pytest

from tests.e2e.screens import snap, switch_to
from tests.test_labels_not_codes import codes_of, words_of


@pytest.fixture(scope="module")
def code_pattern(demo_server):
    return words_of(codes_of(demo_server.app))


def shown_text(page) -> str:
    """The text a person reads on the page: every <details> opened, <code> (a code shown as itself) left out."""
    return page.evaluate(
        """() => {
            document.querySelectorAll('details').forEach(d => { d.open = true; });
            const main = document.querySelector('main').cloneNode(true);
            main.querySelectorAll('code, script, style, template').forEach(e => e.remove());
            return main.innerText;
        }"""
    )


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_the_drawn_diagram_and_the_case_page_read_as_labels(demo_server, page, artifacts, code_pattern, width, height):
    page.set_viewport_size({"width": width, "height": height})
    switch_to(page, demo_server, "kuiwen_handler", "/cases/")
    cases_text = shown_text(page)
    assert "问题需求转办" in cases_text
    assert code_pattern.findall(cases_text) == []

    page.locator("main table tr:has-text('问题需求转办') a[href*='/cases/']").first.click()
    page.wait_for_selector("#diagram[data-rendered]")
    assert page.locator("#diagram").get_attribute("data-rendered") == "true"
    drawn = page.locator("#diagram svg .djs-element text").all_text_contents()
    drawn_text = "\n".join(drawn)
    assert "县级经办人" in drawn_text  # the county_handler lane, by its role's label
    assert code_pattern.findall(drawn_text) == []

    case_text = shown_text(page)
    assert "派发" in case_text  # the history holds the dispatch to the county ...
    assert code_pattern.findall(case_text) == []  # ... by the county's name, not its code
    snap(page, artifacts / f"case-labels-{width}.png")
