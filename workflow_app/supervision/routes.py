"""Supervision pages: the dashboard, the overdue/at-risk list with exports, the ranking export, notices."""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflow_app.auth.access import roles_required
from workflow_app.auth.queries import county_choices
from workflow_app.cases.queries import process_label
from workflow_app.core.dates import typed_day_range
from workflow_app.core.errors import BadQueryArgument, InvalidInput
from workflow_app.core.ids import id_arg
from workflow_app.core.pagination import page_number, paginate
from workflow_app.core.spreadsheets import Column, table_response
from workflow_app.core.time import format_local, local_today, utcnow
from workflow_app.extensions import db
from workflow_app.sla.calendar import shown_calendar
from workflow_app.sla.queries import SLA_STATE_LABELS, format_working_time
from workflow_app.supervision import operations
from workflow_app.supervision.forms import AcknowledgeForm
from workflow_app.supervision.queries import (
    PERSON_GROUPS,
    RANKING_RULE,
    WORK_STATES,
    WorkFilter,
    county_ranking,
    notices_statement,
    open_notice_count,
    section_options,
    trend,
    visible_notice,
    work_counts,
    work_statement,
)

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
SUPERVISORS = ("supervisor", "admin")


def _work_filter(args) -> WorkFilter:
    return WorkFilter(
        state=args.get("state") if args.get("state") in WORK_STATES else "late",
        county=args.get("county", "").strip()[:40],
        section=args.get("section", "").strip()[:60],
        person=args.get("person") if args.get("person") in PERSON_GROUPS else id_arg(args, "person"),
    )


def _month(args) -> date:
    """The month asked for as YYYY-MM (this month when none); 400 naming `month` when it is none people mean."""
    text = args.get("month", "").strip()
    if not text:
        today = local_today()
        return date(today.year, today.month, 1)
    earliest, latest = typed_day_range()
    message = _l(
        "'month' must be a month from %(earliest)s to %(latest)s, as YYYY-MM",
        earliest=earliest.strftime("%Y-%m"),
        latest=latest.strftime("%Y-%m"),
    )
    year, _dash, month = text.partition("-")
    if not (year.isdecimal() and month.isdecimal() and len(year) == 4 and len(month) <= 2):
        raise BadQueryArgument("month", message)
    try:
        first = date(int(year), int(month), 1)
    except ValueError:  # month 0 or 13
        raise BadQueryArgument("month", message) from None
    if not earliest <= first <= latest:
        raise BadQueryArgument("month", message)
    return first


@bp.route("")
@roles_required(*SUPERVISORS)
def dashboard():
    now, month = utcnow(), _month(request.args)
    counts = work_counts(current_user, now, _("No section"), _("Unclaimed"))
    return render_template(
        "supervision/dashboard.html",
        month=month,
        by_county=counts.by_county,
        by_section=counts.by_section,
        by_person=counts.by_person,
        ranking=county_ranking(current_user, month),
        ranking_rule=RANKING_RULE,
        trend=trend(current_user, month),
        open_notices=open_notice_count(current_user),
    )


def _describe(items, now) -> list[dict]:
    """The rows of the work list as the page and the exports show them."""
    calendar = shown_calendar()
    return [
        {
            "clock": clock,
            "task": task,
            "case": case,
            "county": county,
            "assignee": assignee,
            "enterprise": enterprise,
            "state": "overdue" if clock.due_at <= now else "at_risk",
            "remaining": format_working_time(calendar.working_time_between(now, clock.due_at)),
        }
        for clock, task, case, county, assignee, enterprise in items
    ]


@bp.route("/work")
@roles_required(*SUPERVISORS)
def work():
    filters, now = _work_filter(request.args), utcnow()
    page = paginate(
        work_statement(current_user, filters, now), page_number(request.args), current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "supervision/work.html",
        filters=filters,
        page=page,
        rows=_describe(page.items, now),
        counties=county_choices(),
        sections=section_options(current_user),
    )


def _work_table(filters):
    now = utcnow()
    header = [
        Column(_("Case number")),
        Column(_("Process")),
        Column(_("Enterprise")),
        Column(_("Step")),
        Column(_("County")),
        Column(_("Section")),
        Column(_("Assignee")),
        Column(_("Due"), "datetime"),
        Column(_("Remaining working time")),
        Column(_("SLA state")),
    ]
    rows = [
        [
            r["case"].number,
            str(process_label(r["case"].process_id)),
            r["enterprise"].name if r["enterprise"] else "",
            r["task"].name,
            r["county"].name,
            r["clock"].section or "",
            r["assignee"].display_name if r["assignee"] else _("Unclaimed"),
            r["clock"].due_at,
            r["remaining"],
            str(SLA_STATE_LABELS[r["state"]]),
        ]
        for r in _describe(db.session.execute(work_statement(current_user, filters, now)), now)
    ]
    title = _("Overdue and at-risk work, as of %(when)s", when=format_local(now))
    return header, rows, f"overdue-work-{format_local(now, '%Y%m%d-%H%M')}", title


@bp.route("/work.csv", defaults={"kind": "csv"})
@bp.route("/work.xlsx", defaults={"kind": "xlsx"})
@roles_required(*SUPERVISORS)
def work_download(kind):
    header, rows, name, title = _work_table(_work_filter(request.args))
    return table_response(kind, name, _("Overdue and at-risk work"), header, rows, title=title)


# each rate of the ranking, with what its two counts count
RANKING_RATES = (
    ("sign_for_on_time", _l("On-time sign-for rate"), _l("Signed for on time"), _l("Signed for")),
    ("send_back", _l("Send-back rate"), _l("Sent back"), _l("City reviews")),
    ("reopen", _l("Reopen rate"), _l("Cases reopened"), _l("Follow-ups")),
    ("completion_on_time", _l("On-time completion rate"), _l("Handled on time"), _l("Handled")),
    ("satisfaction", _l("Satisfaction rate"), _l("Satisfied"), _l("Follow-ups")),
)


def _ranking_table(month):
    header = [Column(_("Rank"), "integer"), Column(_("County"))]
    for _name, rate, hits, total in RANKING_RATES:
        header += [Column(str(rate), "percent"), Column(str(hits), "integer"), Column(str(total), "integer")]
    rows = []
    for county in county_ranking(current_user, month):
        row = [county.rank, county.county]
        for name, *_labels in RANKING_RATES:
            rate = getattr(county, name)
            row += [rate.value, rate.hits if rate.total else None, rate.total if rate.total else None]
        rows.append(row)
    title = _("County ranking of referrals, %(month)s", month=month.strftime("%Y-%m"))
    return header, rows, f"county-ranking-{month.year:04d}-{month.month:02d}", title


@bp.route("/ranking.csv", defaults={"kind": "csv"})
@bp.route("/ranking.xlsx", defaults={"kind": "xlsx"})
@roles_required(*SUPERVISORS)
def ranking_download(kind):
    header, rows, name, title = _ranking_table(_month(request.args))
    return table_response(kind, name, _("County ranking"), header, rows, title=title, notes=(str(RANKING_RULE),))


@bp.route("/notices")
@roles_required(*SUPERVISORS)
def notices():
    open_only = request.args.get("all") != "1"
    page = paginate(
        notices_statement(current_user, open_only), page_number(request.args), current_app.config["PAGE_SIZE"]
    )
    return render_template("supervision/notices.html", page=page, open_only=open_only, form=AcknowledgeForm())


@bp.route("/notices/<int:notice_id>/acknowledge", methods=["POST"])
@roles_required(*SUPERVISORS)
def acknowledge(notice_id):
    notice = visible_notice(current_user, notice_id) or abort(404)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.response.errors) or _("The form has expired; please try again."), "danger")
        return redirect(url_for("supervision.notices"))
    try:
        operations.acknowledge_notice(notice, current_user.id, form.response.data)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("supervision.notices"))
    db.session.commit()
    flash(_("Supervision notice %(number)s acknowledged.", number=notice.number), "success")
    return redirect(url_for("supervision.notices"))
