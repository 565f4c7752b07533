"""axe-core on every page of the demo, as every demo user, on a phone and on a desktop: no violation of impact
serious or critical (contrast, names of buttons, links and fields, landmarks, the page's language...).

The pages are those tests/e2e/test_phone_width.py walks (the links each page shows, a few of each kind). axe-core is
vendored for the tests only (tests/e2e/vendor/axe.min.js, from npm) and put into each page before its own scripts
run, by the browser (an init script): the application never serves it, and its Content-Security-Policy stays as it is.
"""

from pathlib import Path

import pytest

from tests.e2e.test_phone_width import demo_usernames, walk
from tests.e2e.test_sign_in import sign_in

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")
# the rules of WCAG 2.1 A and AA and of best practice; axe's experimental rules are left out
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v =>
    v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


def serious_violations(page):
    """axe's violations of impact serious or critical on the page (an empty list when there is none)."""
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}], ids=["phone", "desktop"]
)
def test_no_page_has_a_serious_accessibility_violation(demo_server, browser, viewport):
    usernames = demo_usernames(demo_server)
    report, visited = {}, 0
    for username in usernames:
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        sign_in(page, demo_server, username)
        seen, problems = walk(page, demo_server, serious_violations)
        visited += len(seen)
        for path, violations in problems.items():
            for violation in violations:
                report.setdefault(violation, []).append(f"{username} {path}")
        context.close()
    assert visited > 10 * len(usernames)  # the walk found the pages
    assert report == {}, "\n".join(
        f"{violation}\n    on {len(where)} pages: {', '.join(where[:4])}" for violation, where in report.items()
    )


def test_axe_finds_a_serious_violation_where_there_is_one(browser):
    """The check can fail: a button without a name and grey text on white are found."""
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_content(
        '<html lang="zh-CN"><head><title>t</title></head><body><main><h1>t</h1><button></button>'
        '<p style="color:#bbb;background:#fff">浅灰色的字</p></main></body></html>'
    )
    found = " ".join(serious_violations(page))
    context.close()
    assert "button-name" in found and "color-contrast" in found
