"""The Flask application factory."""

from flask import Flask, has_request_context, request, session

import config as app_config
from workflow_app.extensions import babel, csrf, db, login_manager, migrate

LANGUAGES = ("zh_Hans_CN", "en")


def select_locale():
    """Use the language the user picked (API clients: Accept-Language), else Chinese."""
    if has_request_context() and request.path.startswith("/api/"):
        return "en" if request.accept_languages.best_match(["zh", "en"], "zh") == "en" else LANGUAGES[0]
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in LANGUAGES else LANGUAGES[0]


def create_app(config_class=None):
    """Build the app: config, extensions, blueprints, CLI and (optionally) the in-process worker."""
    app = Flask(__name__, instance_relative_config=True)
    config_class = config_class or app_config.CONFIGS[app_config.APP_ENV]
    app.config.from_object(config_class)
    if (
        issubclass(config_class, app_config.ProductionConfig)
        and app.config["SECRET_KEY"] == app_config.DEFAULT_SECRET_KEY
    ):
        raise RuntimeError("SECRET_KEY is the development default; set SECRET_KEY before running in production")
    if app.config["TRUSTED_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        # the client's address (login limits, signatures), scheme (HSTS) and host, as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        from pathlib import Path

        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app_config.BASE_DIR / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    from workflow_app.core.i18n import find_catalogues_once_per_request

    find_catalogues_once_per_request(app, babel)
    from workflow_app.core.logs import configure_logging

    configure_logging(app.config)
    from workflow_app.monitoring.request_log import finish_request, forget_request_id, start_request

    # first of all (before CSRF's check, which may answer 400 itself): every request has its id and its log line
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(finish_request)  # run last of the after_request functions: it logs the final status
    app.teardown_request(forget_request_id)

    from workflow_app import models  # noqa: F401  (register every table with the metadata)
    from workflow_app.agreements import operations  # noqa: F401  (its task handlers and signal receivers)
    from workflow_app.core import database
    from workflow_app.core.i18n import escape_lazy_strings
    from workflow_app.sla import clocks as sla_clocks  # noqa: F401  (its engine-signal receivers: the SLA clocks)
    from workflow_app.sla import escalation  # noqa: F401  (registers the SLA sweep with the worker)
    from workflow_app.sla import operations as sla_operations  # noqa: F401  (registers working_days_after)

    escape_lazy_strings()
    database.configure_engine_events(app)
    from workflow_app.core.reference import keep_reference_data

    keep_reference_data(app)

    from workflow_app.core.ids import IdConverter

    app.url_map.converters["int"] = IdConverter  # every <int:...> in a route is an id; before the routes are added
    from workflow_app.admin.routes import bp as admin_bp
    from workflow_app.agreements.routes import bp as agreements_bp
    from workflow_app.api.routes import bp as api_bp
    from workflow_app.auth.routes import bp as auth_bp
    from workflow_app.cases.routes import bp as cases_bp
    from workflow_app.home.routes import bp as home_bp
    from workflow_app.inbox.routes import bp as inbox_bp
    from workflow_app.monitoring.routes import bp as monitoring_bp
    from workflow_app.monitoring.routes import check_allowed_networks
    from workflow_app.notifications.routes import bp as notifications_bp
    from workflow_app.portal.routes import bp as portal_bp
    from workflow_app.sla.routes import bp as sla_bp
    from workflow_app.supervision.routes import bp as supervision_bp

    check_allowed_networks(app.config["METRICS_ALLOWED_IPS"])
    for blueprint in (
        auth_bp,
        home_bp,
        inbox_bp,
        cases_bp,
        agreements_bp,
        sla_bp,
        supervision_bp,
        notifications_bp,
        portal_bp,
        admin_bp,
        api_bp,
        monitoring_bp,
    ):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: no cross-site request can carry one
    from workflow_app.api.endpoint import CookieSessionOutsideApi

    app.session_interface = CookieSessionOutsideApi(api_bp.url_prefix)

    from workflow_app.core.security_headers import add_security_headers

    app.after_request(add_security_headers)
    from workflow_app.core.input_guard import RequestWithBodyLimit, refuse_nul_characters

    app.request_class = RequestWithBodyLimit
    app.before_request(refuse_nul_characters)

    from workflow_app.core.time import format_local

    app.jinja_env.filters["localtime"] = format_local
    from workflow_app.core.money import format_yuan

    app.jinja_env.filters["yuan"] = format_yuan
    from workflow_app.core.file_sizes import format_file_size

    app.jinja_env.filters["file_size"] = format_file_size
    from workflow_app.agreements.queries import agreement_late_fees, case_agreements
    from workflow_app.core.money import amount_in_capitals

    app.jinja_env.globals["case_agreements"] = case_agreements
    app.jinja_env.globals["agreement_late_fees"] = agreement_late_fees
    app.jinja_env.filters["capitals"] = amount_in_capitals
    from workflow_app.core.time import local_today

    app.jinja_env.globals["local_today"] = local_today
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale
    from workflow_app.home.navigation import nav_items, top_bar_counts_of, unread_notifications

    app.extensions["top_bar_counts"] = top_bar_counts_of
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    from workflow_app.cases.queries import INSTANCE_STATUS_LABELS, process_label
    from workflow_app.sla.queries import PAUSE_REASON_LABELS, SLA_STATE_LABELS, case_clocks, task_clock

    app.jinja_env.globals.update(
        task_clock=task_clock,
        sla_state_labels=SLA_STATE_LABELS,
        case_clocks=case_clocks,
        pause_reason_labels=PAUSE_REASON_LABELS,
        instance_status_labels=INSTANCE_STATUS_LABELS,
        process_label=process_label,
    )
    from workflow_app.auth.queries import role_label

    app.jinja_env.globals["role_label"] = role_label
    from workflow_app.auth.scopes import unit_name

    app.jinja_env.globals["unit_name"] = unit_name
    app.jinja_env.filters["role_label"] = role_label

    from workflow_app.cli import register_cli

    register_cli(app)

    from workflow_app.api import errors as api_errors
    from workflow_app.core.errors import answer_errors_under, register_error_handlers

    register_error_handlers(app)
    answer_errors_under(app, "/api/", api_errors.http_error, api_errors.domain_error)

    if app.config.get("INPROCESS_WORKER"):
        from workflow_app.engine.worker import start_worker_thread

        app.extensions["timer_worker"] = start_worker_thread(app)
    return app
