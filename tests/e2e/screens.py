"""What the browser tests of whole flows share: a look at a page on a wide screen and on a phone, its screenshots
written only when asked, and going on as another person.

Full-page PNGs were a sixth of the browser tests' time; TEST_SCREENSHOTS=1 writes them to test-artifacts/e2e/ for
people to look at, the checks that come with them (nothing wider than the phone) run either way.
"""

import re

from playwright.sync_api import expect

from config import TestingConfig
from tests.e2e.test_sign_in import sign_in

PHONE = {"width": 390, "height": 844}


def snap(page, path, full_page=True):
    """The page's screenshot at `path`, when screenshots are asked for (TEST_SCREENSHOTS=1)."""
    if TestingConfig.TEST_SCREENSHOTS:
        page.screenshot(path=path, full_page=full_page)


def fits(page, width) -> bool:
    """Whether nothing on the page is wider than `width` (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


def screenshots(page, path, name, at=None, on_phone=None):
    """The page as it is now at its own size and on a phone (390 x 844), where nothing is wider than the phone's
    screen and `on_phone(page)` holds; screenshots `name`-desktop.png and `name`-phone.png in `path`, and with `at`
    also `name`-phone-screen.png, the phone's screen from the first element `at` matches."""
    wide = page.viewport_size
    snap(page, path / f"{name}-desktop.png")
    page.set_viewport_size(PHONE)
    assert fits(page, PHONE["width"]), name
    if on_phone is not None:
        on_phone(page)
    snap(page, path / f"{name}-phone.png")
    if at is not None and TestingConfig.TEST_SCREENSHOTS:
        page.locator(at).first.evaluate("element => element.scrollIntoView()")
        snap(page, path / f"{name}-phone-screen.png", full_page=False)
    page.set_viewport_size(wide)


def switch_to(page, server, username, path="/"):
    """Go on in `page` as `username` at `path` (their home page unless given), signed in through the login form with
    the cookies of the person before dropped (tests/e2e/test_sign_in.py tests the form and 退出).

    Not by 退出, which ends every session of the person. The page before is left first: a request its scripts still
    make (the case diagram's fetch) would otherwise go out without cookies, be sent to sign in, and its new session
    cookie would replace the one the login form's CSRF token is kept in."""
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, server, username)
    # the click returns when the form is sent; the page it leads to may not have come yet
    expect(page, f"{username} could not sign in").not_to_have_url(re.compile(r"/login"))
    if path != "/":
        page.goto(f"{server}{path}")
