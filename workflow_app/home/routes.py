"""The landing page: who I am and what waits for me."""
import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from workflow_app.engine.models import Task
from workflow_app.engine.queries import list_latest_versions
from workflow_app.extensions import db

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(
        Task.state == "open", Task.org_unit_id == current_user.org_unit_id,
        Task.role.in_(current_user.role_names)))
    return render_template("home/index.html", waiting=waiting, processes=list_latest_versions())
