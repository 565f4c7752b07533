"""Every page of the demo, as each demo user (one test per user), judged once on a phone and once on a desktop.

On a phone 390×844: no element reaches past the screen's right edge unless it sits in a box of its own that scrolls
(a wide table, a diagram), no page scrolls sideways, and axe-core finds no violation of impact serious or critical
(contrast, names of buttons, links and fields, landmarks, the page's language...). Then the same page, resized to a
desktop's 1366×900: axe-core again, no violation serious or critical.

The pages are found as a person finds them: from the home page, following the links each page shows (a few of each
kind: one case page is like another), GETs only, downloads left out. Each page is loaded once, at the phone's size
(small_screens.js decides at load which boxes scroll and so take the keyboard's focus; a box that scrolls on a
desktop scrolls on a phone too)."""

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlparse

import pytest

from tests.e2e.axe import AXE, serious_violations
from tests.e2e.test_sign_in import sign_in
from workflow_app.demo import ENTERPRISE_USERS, USERS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PER_KIND = 2  # pages of one kind (the same path with other ids) visited per user
PER_USER = 45  # pages visited per user at most
# a bank officer or an inspector sees 9 (home, inbox, cases, a case, a task, notifications, upcoming, password, tokens),
# the others more; a walk that could not sign in or follow the links finds one or two
FEWEST_PAGES = 9
SKIPPED = re.compile(
    r"(\.(csv|xlsx|bpmn|json|pdf|zip)$)|/attachments/|/files/|^/api/|^/static/|^/(metrics|healthz|readyz)"
)
DEMO_USERNAMES = sorted([username for username, *_ in USERS] + [username for username, *_ in ENTERPRISE_USERS])

# the elements past the right edge that are not inside a box that scrolls or clips sideways
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, found = [];
  const boxed = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX; if (x === 'auto' || x === 'scroll' || x === 'hidden' || x === 'clip') return true; }
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || r.right <= width + 1 || boxed(el)) continue;
    let name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    found.push(name + ' (right edge ' + Math.round(r.right) + ' px): ' + (el.innerText || '').trim().slice(0, 40));
  }
  return {scroll: document.documentElement.scrollWidth, found: found.slice(0, 5)};
}"""
# case_diagram.js draws the diagram after fetching its BPMN: it marks the box rendered (or error) when done
DIAGRAM_DRAWN = "() => { const box = document.getElementById('diagram'); return !box || !!box.dataset.rendered; }"


def kind_of(path):
    return re.sub(r"/\d+", "/<id>", path)


def too_wide(page):
    """What reaches past the screen's right edge, as one line (None when nothing does)."""
    result = page.evaluate(OVERFLOW)
    if result["scroll"] > PHONE["width"] or result["found"]:
        return f"page {result['scroll']} px wide; {'; '.join(result['found'])}"
    return None


def judge(page):
    """What is wrong with the page just loaded at the phone's size, each problem named with its viewport; the page
    is left at the desktop's size."""
    phone, desktop = "phone {width}×{height}".format(**PHONE), "desktop {width}×{height}".format(**DESKTOP)
    wide = too_wide(page)
    problems = [f"{phone}: {wide}"] if wide else []
    problems += [f"{phone}: axe: {violation}" for violation in serious_violations(page)]
    page.set_viewport_size(DESKTOP)
    problems += [f"{desktop}: axe: {violation}" for violation in serious_violations(page)]
    return problems


def walk(page, base):
    """Visit the pages reachable from the home page, each loaded at the phone's size and judged; return (the paths
    visited, {problem: [the paths it is on]})."""
    host = urlparse(base).netloc
    queue, seen, kinds, report = deque(["/"]), set(), Counter(), {}
    while queue and len(seen) < PER_USER:
        path = queue.popleft()
        if path in seen or kinds[kind_of(path)] >= PER_KIND:
            continue
        seen.add(path)
        kinds[kind_of(path)] += 1
        page.set_viewport_size(PHONE)
        response = page.goto(base + path)
        if response is None or response.status >= 400:
            continue
        page.wait_for_function(DIAGRAM_DRAWN)
        for problem in judge(page):
            report.setdefault(problem, []).append(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlparse(urldefrag(href)[0])
            if url.netloc == host and not url.query and not SKIPPED.search(url.path) and url.path not in seen:
                queue.append(url.path)
    return seen, report


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_every_page_fits_a_phone_and_has_no_serious_accessibility_violation(demo_server, browser, username):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        sign_in(page, demo_server, username)
        seen, report = walk(page, demo_server)
    finally:
        context.close()
    assert len(seen) >= FEWEST_PAGES, f"as {username} the walk found only {sorted(seen)}"
    assert report == {}, f"as {username}:\n" + "\n".join(
        f"{problem}\n    on {len(paths)} pages: {', '.join(paths[:4])}" for problem, paths in report.items()
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
