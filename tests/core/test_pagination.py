"""Pages of a query: exact totals, clamped page numbers, and a count only when the page cannot tell the total."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from workflow_app.auth.models import User
from workflow_app.core.pagination import PAGE_MAX, paginate
from workflow_app.extensions import db


@contextmanager
def counts_run():
    """Collect the COUNT statements run inside the block."""
    seen = []

    def collect(conn, cursor, statement, parameters, context, executemany):
        if "count(" in statement.lower():
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", collect)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", collect)


@pytest.fixture
def five_users(create_user):
    return [create_user(f"pager{n}").username for n in range(5)]


def _names(page):
    return [user.username for user in page.items]


def _pagers():
    return sa.select(User).where(User.username.like("pager%")).order_by(User.username)


@pytest.mark.parametrize(
    "number, per_page, expected, shown, total, pages, counted",
    [
        (1, 10, ["pager0", "pager1", "pager2", "pager3", "pager4"], 1, 5, 1, False),  # one short page: no count
        (1, 2, ["pager0", "pager1"], 1, 5, 3, True),  # a full page: the rest is counted
        (2, 2, ["pager2", "pager3"], 2, 5, 3, True),
        (3, 2, ["pager4"], 3, 5, 3, False),  # the last, short page tells the total
        (99, 2, ["pager4"], 3, 5, 3, True),  # past the end: counted, clamped to the last page
        (0, 2, ["pager0", "pager1"], 1, 5, 3, True),  # below 1: the first page
        (1, 5, ["pager0", "pager1", "pager2", "pager3", "pager4"], 1, 5, 1, True),  # exactly full: counted
    ],
)
def test_a_page_has_its_rows_the_exact_total_and_counts_only_when_it_must(
    five_users, number, per_page, expected, shown, total, pages, counted
):
    with counts_run() as counts:
        page = paginate(_pagers(), number, per_page, scalars=True)
    assert (_names(page), page.number, page.total, page.pages) == (expected, shown, total, pages)
    assert bool(counts) is counted


@pytest.mark.parametrize("number, counted", [(1, False), (3, True)])
def test_an_empty_query_is_one_empty_page(app, number, counted):
    with counts_run() as counts:
        page = paginate(sa.select(User).where(User.username == "nobody-at-all"), number, 10, scalars=True)
    assert (page.items, page.number, page.total, page.pages) == ([], 1, 0, 1)
    assert bool(counts) is counted


def test_a_known_total_is_trusted_and_clamps_the_page(five_users):
    with counts_run() as counts:
        page = paginate(_pagers(), 7, 2, scalars=True, total=5)
    assert (_names(page), page.number, page.total) == (["pager4"], 3, 5)
    assert counts == []


@pytest.mark.parametrize(
    "number, count_up_to, shown, total, more",
    [
        (1, 3, 1, 3, True),  # 5 rows, counted up to 3: "more than 3", pages 1..2 and a next page
        (2, 3, 2, 4, True),  # the rows up to the page asked for are always counted
        (3, 3, 3, 5, False),  # the last, short page tells the exact total
        (1, 5, 1, 5, False),  # as many as counted: exact
        (1, 9, 1, 5, False),
        (99, 3, 3, 5, False),  # past the end: clamped to the last page, whose rows tell the total
    ],
)
def test_a_count_up_to_a_limit_says_there_are_more(five_users, number, count_up_to, shown, total, more):
    page = paginate(_pagers(), number, 2, scalars=True, count_up_to=count_up_to)
    assert (page.number, page.total, page.more) == (shown, total, more)
    assert _names(page) == [f"pager{n}" for n in range(5)][(shown - 1) * 2 : shown * 2]


# every list page that takes ?page=, with who may see it
LISTS = {
    "/inbox": "kuiwen_handler",
    "/cases/": "kuiwen_handler",
    "/notifications": "kuiwen_handler",
    "/supervision/work": "city_supervisor",
    "/supervision/notices": "city_supervisor",
    "/admin/users": "admin",
    "/admin/enterprises": "admin",
}


@pytest.mark.parametrize("typed", ["1" + "0" * 30, str(PAGE_MAX + 1), "0", "-1", "2.5", "abc", "9" * 5000])
def test_a_page_number_no_list_can_have_is_refused_with_the_argument_named(bureau, client_as, typed):
    for path, username in LISTS.items():
        client = client_as(username)
        client.post("/language/en")
        response = client.get(f"{path}?page={typed}")
        assert response.status_code == 400, path
        assert "The page number must be a whole number from 1 to 100000" in response.get_data(as_text=True), path


def test_a_page_past_the_last_shows_the_last_and_the_message_is_chinese_by_default(bureau, client_as):
    client = client_as("admin")
    assert client.get(f"/admin/users?page={PAGE_MAX}").status_code == 200
    assert "页码须为 1 至 100000 之间的整数" in client.get("/admin/users?page=100001").get_data(as_text=True)


def test_a_huge_page_number_given_to_a_query_reads_the_last_page(five_users):
    page = paginate(_pagers(), 10**30, 2, scalars=True)
    assert (_names(page), page.number, page.total) == (["pager4"], 3, 5)
