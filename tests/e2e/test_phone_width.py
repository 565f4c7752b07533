"""Every page of the demo, as every demo user, on a phone 390 px wide: no element reaches past the screen's right
edge unless it sits in a box of its own that scrolls (a wide table, a diagram), and no page scrolls sideways; and
axe-core finds no violation of impact serious or critical on it (one walk for both).

The pages are found as a person finds them: from the home page, following the links each page shows (a few of each
kind: one case page is like another), GETs only, downloads left out."""

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlparse

import pytest

from tests.e2e.axe import AXE, assert_no_violations, serious_violations
from tests.e2e.test_sign_in import sign_in

WIDTH, HEIGHT = 390, 844
PER_KIND = 2  # pages of one kind (the same path with other ids) visited per user
PER_USER = 45  # pages visited per user at most
SKIPPED = re.compile(
    r"(\.(csv|xlsx|bpmn|json|pdf|zip)$)|/attachments/|/files/|^/api/|^/static/|^/(metrics|healthz|readyz)"
)

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


def kind_of(path):
    return re.sub(r"/\d+", "/<id>", path)


def walk(page, base, check):
    """Visit the pages reachable from the home page; return (the paths visited, {path: what check(page) found})
    for the pages where it found something."""
    host = urlparse(base).netloc
    queue, seen, kinds, problems = deque(["/"]), set(), Counter(), {}
    while queue and len(seen) < PER_USER:
        path = queue.popleft()
        if path in seen or kinds[kind_of(path)] >= PER_KIND:
            continue
        seen.add(path)
        kinds[kind_of(path)] += 1
        response = page.goto(base + path)
        if response is None or response.status >= 400:
            continue
        page.wait_for_timeout(50)
        found = check(page)
        if found:
            problems[path] = found
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlparse(urldefrag(href)[0])
            if url.netloc == host and not url.query and not SKIPPED.search(url.path) and url.path not in seen:
                queue.append(url.path)
    return seen, problems


def too_wide(page):
    """What reaches past the screen's right edge (None when nothing does)."""
    result = page.evaluate(OVERFLOW)
    return result if result["scroll"] > WIDTH or result["found"] else None


def demo_usernames(server) -> list[str]:
    with server.app.app_context():
        import sqlalchemy as sa

        from workflow_app.auth.models import User
        from workflow_app.extensions import db

        usernames = db.session.scalars(
            sa.select(User.username).where(User.active.is_(True)).order_by(User.username)
        ).all()
        db.session.remove()
    return usernames


@pytest.fixture(scope="module")
def phone_walk(demo_server, browser):
    """Every demo user's walk at 390×844: {"user path": (what reaches past the edge, axe's serious violations)} and
    the number of pages visited."""
    found, visited = {}, 0
    for username in demo_usernames(demo_server):
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        sign_in(page, demo_server, username)
        seen, problems = walk(page, demo_server, lambda page: (too_wide(page), serious_violations(page)))
        visited += len(seen)
        found.update({f"{username} {path}": result for path, result in problems.items()})
        context.close()
    assert visited > 10 * len(demo_usernames(demo_server))  # the walk found the pages
    return found


def test_every_page_fits_a_phone_for_every_demo_user(phone_walk):
    report = {where: wide for where, (wide, _violations) in phone_walk.items() if wide}
    assert report == {}, "\n".join(
        f"{where}: page {r['scroll']} px wide; {'; '.join(r['found'])}" for where, r in report.items()
    )


def test_no_page_on_a_phone_has_a_serious_accessibility_violation(phone_walk):
    report = {}
    for where, (_wide, violations) in phone_walk.items():
        for violation in violations:
            report.setdefault(violation, []).append(where)
    assert_no_violations(report)
