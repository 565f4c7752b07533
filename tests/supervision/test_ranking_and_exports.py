"""The county ranking (a place for counties with data, shared places on ties, the rule stated, the whole city for a
county's supervisor) and the XLSX exports (numbers, percentages and dates as real cells, a title, a frozen header)."""

import io
from datetime import date, datetime

import openpyxl
import pytest

from tests.conftest import open_task_of
from tests.supervision.test_supervision_pages import late_referrals  # noqa: F401  (the fixture)
from workflow_app.engine.operations import complete_task
from workflow_app.extensions import db
from workflow_app.supervision.queries import CountyRanking, Rate, _ranked


def county(code, sign_for=None, send_back=None):
    row = CountyRanking(code, code)
    if sign_for is not None:
        row.sign_for_on_time = Rate(*sign_for)
    if send_back is not None:
        row.send_back = Rate(*send_back)
    return row


def test_equal_scores_share_a_place_and_counties_without_data_have_none():
    rows = _ranked(
        [
            county("e"),
            county("a", (1, 2)),
            county("b", (2, 2)),
            county("c", (2, 4)),
            county("d", (1, 4)),
            county("f", send_back=(0, 3)),
            county("g"),
        ]
    )
    assert [(r.county_code, r.rank) for r in rows] == [
        ("b", 1),
        ("a", 2),
        ("c", 2),
        ("d", 4),
        ("f", 5),
        ("e", None),
        ("g", None),
    ]


def test_a_rate_reached_by_other_sums_still_ties():
    rows = _ranked([county("a", (1, 3)), county("b", (2, 6)), county("c", (7, 21))])
    assert [r.rank for r in rows] == [1, 1, 1]


def sign_for_both(bureau, kuiwen, shouguang):
    complete_task(open_task_of(kuiwen, "sign_for").id, {"sign_decision": "sign"}, bureau["kuiwen_handler"].id)
    complete_task(open_task_of(shouguang, "sign_for").id, {"sign_decision": "sign"}, bureau["shouguang_handler"].id)
    db.session.commit()


def ranking_rows(html):
    import re

    return re.findall(r'<tr data-county="([^"]+)" data-rank="([^"]*)"( class="table-primary")?', html)


def test_the_page_ranks_counties_with_data_lists_the_rest_unranked_and_states_the_rule(
    late_referrals, bureau, client_as
):  # noqa: F811
    sign_for_both(bureau, *late_referrals)
    html = client_as("city_supervisor").get("/supervision?month=2026-11").get_data(as_text=True)
    rows = ranking_rows(html)
    assert [r[:2] for r in rows[:2]] == [("shouguang", "1"), ("kuiwen", "2")]  # on time first; then the late one
    assert len(rows) == 16 and all(rank == "" for _code, rank, _own in rows[2:])  # no data: no place, listed last
    assert all(own == "" for _code, _rank, own in rows)  # the city oversees all: nothing stands out
    rule = html[html.index('id="ranking-rule"') :]
    assert "得分相同者名次并列（如 1、2、2、4）" in rule[:600] and "不参与排名" in rule[:600]
    unranked = html[html.index('data-county="anqiu"') :]
    assert unranked[: unranked.index("</tr>")].count("—") == 6  # the place and the five rates


def test_a_county_supervisor_sees_the_whole_ranking_with_their_county_marked(late_referrals, bureau, client_as):  # noqa: F811
    sign_for_both(bureau, *late_referrals)
    html = client_as("kuiwen_supervisor").get("/supervision?month=2026-11").get_data(as_text=True)
    rows = ranking_rows(html)
    assert len(rows) == 16 and ("shouguang", "1", "") in rows and ("kuiwen", "2", ' class="table-primary"') in rows
    assert 'href="/supervision/work?county=kuiwen"' in html
    assert 'href="/supervision/work?county=shouguang"' not in html  # another county's work is not theirs to open


def test_the_ranking_xlsx_has_a_title_numbers_percentages_counts_and_a_frozen_header(late_referrals, bureau, client_as):  # noqa: F811
    sign_for_both(bureau, *late_referrals)
    response = client_as("city_supervisor").get("/supervision/ranking.xlsx?month=2026-11")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "问题需求转办县市区排名（2026-11）" and sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]][:5] == ["排名", "县（市、区）", "按时签收率", "按时签收数", "签收总数"]
    shouguang, kuiwen, anqiu = sheet[3], sheet[4], sheet[5]
    assert [c.value for c in shouguang[:5]] == [1, "寿光市", 1.0, 1, 1]
    assert shouguang[2].number_format == "0.0%" and shouguang[3].data_type == "n"
    assert [c.value for c in kuiwen[:5]] == [2, "奎文区", 0.0, 0, 1]
    assert anqiu[0].value is None and anqiu[1].value == "安丘市" and anqiu[2].value is None  # unranked, no data
    assert sheet.column_dimensions["B"].width >= 10 and sheet.column_dimensions["C"].width >= 12
    rule = [row[0] for row in sheet.iter_rows(min_row=20, values_only=True) if row[0]]
    assert any("得分相同者名次并列" in text for text in rule)
    csv_text = client_as("city_supervisor").get("/supervision/ranking.csv?month=2026-11").get_data(as_text=True)
    assert "1,寿光市,100.0%,1,1," in csv_text and "\r\n,安丘市,,,," in csv_text


def test_the_work_xlsx_writes_deadlines_as_date_cells(late_referrals, client_as):  # noqa: F811
    kuiwen, _shouguang = late_referrals
    sheet = openpyxl.load_workbook(
        io.BytesIO(client_as("city_supervisor").get("/supervision/work.xlsx?state=late").data)
    ).active
    assert sheet["A1"].value.startswith("超期及临期事项（截至 ") and sheet.freeze_panes == "A3"
    row = {sheet.cell(2, c).value: sheet.cell(3, c) for c in range(1, sheet.max_column + 1)}
    assert row["案件编号"].value == kuiwen.number
    due = row["办理时限"]
    assert isinstance(due.value, datetime) and due.is_date and due.number_format == "yyyy-mm-dd hh:mm"
    assert due.value.date() > date(2026, 11, 2)  # Beijing's wall clock, as the page shows it


@pytest.mark.parametrize("kind", ["integer", "percent", "date", "datetime", "text"])
def test_an_empty_value_is_an_empty_cell_whatever_its_kind(app, kind):
    from workflow_app.core.spreadsheets import Column, xlsx_response

    with app.test_request_context():
        response = xlsx_response("t.xlsx", "t", [Column("a", kind), Column("b")], [[None, "x"]])
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet["A3"].value is None and sheet["B3"].value == "x"
