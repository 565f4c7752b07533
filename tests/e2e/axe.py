"""axe-core, vendored for the tests only (tests/e2e/vendor/axe.min.js, from npm), and the question the browser tests
ask it. It is put into each page before the page's own scripts run, by the browser (an init script): the
application never serves it, and its Content-Security-Policy stays as it is."""

from pathlib import Path

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
