"""SLA pages: the working-day calendar and notifications."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflow_app.extensions import db
from workflow_app.sla.calendar_input import parse_date_lines
from workflow_app.sla.forms import CalendarYearForm
from workflow_app.sla.operations import CalendarRefused, enter_calendar_year
from workflow_app.sla.queries import calendar_years, year_exceptions

bp = Blueprint("sla", __name__)

ADMIN_ROLE = "admin"


@bp.route("/admin/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    """List the calendar's years; enter or correct one (admins only)."""
    if ADMIN_ROLE not in current_user.role_names:
        abort(403)
    form = CalendarYearForm()
    problems = []
    if request.method == "GET" and request.args.get("year", "").isdigit():
        entry = year_exceptions(int(request.args["year"]))
        form.year.data = entry["year"]
        form.status.data = entry["status"] if entry["status"] != "unknown" else "provisional"
        form.source.data = entry["source"] or ""
        form.holidays.data = "\n".join(entry["holidays"])
        form.workdays.data = "\n".join(entry["workdays"])
    if form.validate_on_submit():
        holidays, notes, found = parse_date_lines(form.holidays.data or "", _("Holidays"))
        workdays, workday_notes, more = parse_date_lines(form.workdays.data or "", _("Adjusted working days (调休)"))
        problems = found + more
        if not problems:
            try:
                result = enter_calendar_year(
                    form.year.data,
                    holidays,
                    workdays,
                    form.status.data,
                    current_user.id,
                    form.source.data,
                    notes={**notes, **workday_notes},
                )
            except CalendarRefused as exc:
                db.session.rollback()
                problems = exc.problems
            else:
                db.session.commit()
                flash(
                    _(
                        "The calendar of %(year)d is saved; %(n)d open task deadline(s) recomputed, "
                        "%(changed)d changed.",
                        year=result["year"],
                        n=result["tasks_recomputed"],
                        changed=result["tasks_changed"],
                    ),
                    "success",
                )
                return redirect(url_for("sla.calendar"))
    status = 422 if problems or form.errors else 200
    return render_template("sla/calendar.html", form=form, problems=problems, years=calendar_years()), status
