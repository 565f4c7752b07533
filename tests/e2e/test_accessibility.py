"""axe-core on every page of the demo, as every demo user, on a desktop: no violation of impact serious or critical
(contrast, names of buttons, links and fields, landmarks, the page's language...). The phone is judged in
tests/e2e/test_phone_width.py, in its walk of the same pages (the links each page shows, a few of each kind).
"""

from tests.e2e.axe import AXE, assert_no_violations, serious_violations
from tests.e2e.test_phone_width import demo_usernames, walk
from tests.e2e.test_sign_in import sign_in


def test_no_page_on_a_desktop_has_a_serious_accessibility_violation(demo_server, browser):
    """At 1366×900; the phone's width is judged in test_phone_width.py, in the same walk as the page widths."""
    usernames = demo_usernames(demo_server)
    report, visited = {}, 0
    for username in usernames:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
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
    assert_no_violations(report)


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
