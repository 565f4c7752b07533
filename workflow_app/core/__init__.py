"""Shared plumbing: column types, errors, time, durations, identifiers."""

from flask_babel import get_locale

from workflow_app.core import database
from workflow_app.core.errors import register_error_handlers
from workflow_app.core.file_sizes import format_file_size
from workflow_app.core.i18n import escape_lazy_strings, find_catalogues_once_per_request
from workflow_app.core.ids import IdConverter
from workflow_app.core.input_guard import RequestWithBodyLimit, refuse_nul_characters
from workflow_app.core.logs import configure_logging
from workflow_app.core.money import amount_in_capitals, format_yuan
from workflow_app.core.reference import keep_reference_data
from workflow_app.core.security_headers import add_security_headers
from workflow_app.core.time import format_local, local_today
from workflow_app.extensions import babel


def init_app(app) -> None:
    """Wire the plumbing: catalogues, logs, connections, reference data, ids in URLs, guards, headers, errors."""
    find_catalogues_once_per_request(app, babel)
    configure_logging(app.config)
    escape_lazy_strings()
    database.configure_engine_events(app)
    keep_reference_data(app)
    app.url_map.converters["int"] = IdConverter  # every <int:...> in a route is an id; before the routes are added
    app.request_class = RequestWithBodyLimit
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    register_error_handlers(app)
    app.jinja_env.filters.update(
        localtime=format_local, yuan=format_yuan, file_size=format_file_size, capitals=amount_in_capitals
    )
    app.jinja_env.globals.update(local_today=local_today, get_locale=get_locale)
