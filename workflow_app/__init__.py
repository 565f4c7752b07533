"""The Flask application factory: the configuration, the extensions, then every domain wiring itself in layer order."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as app_config
from workflow_app import (
    admin,
    agreements,
    api,
    auth,
    cases,
    cli,
    core,
    engine,
    home,
    inbox,
    monitoring,
    notifications,
    portal,
    sla,
    supervision,
)
from workflow_app.core.i18n import select_locale
from workflow_app.engine.worker import start_worker_thread
from workflow_app.extensions import babel, csrf, db, login_manager, migrate

# the layers of docs/architecture.md, lowest first: a package imports only from those before it (tests/test_layers.py)
DOMAINS = (
    core,
    auth,
    engine,
    monitoring,
    cases,
    notifications,
    sla,
    agreements,
    inbox,
    supervision,
    portal,
    admin,
    home,
    api,
)


def create_app(config_class=None):
    """Build the app: config, extensions, each domain (docs/architecture.md's layers, lowest first), the worker."""
    app = Flask(__name__, instance_relative_config=True)
    config_class = config_class or app_config.CONFIGS[app_config.APP_ENV]
    app.config.from_object(config_class)
    if (
        issubclass(config_class, app_config.ProductionConfig)
        and app.config["SECRET_KEY"] == app_config.DEFAULT_SECRET_KEY
    ):
        raise RuntimeError("SECRET_KEY is the development default; set SECRET_KEY before running in production")
    if hops := app.config["TRUSTED_PROXY_COUNT"]:
        # the client's address (login limits, signatures), scheme (HSTS) and host, as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app_config.BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    for domain in DOMAINS:
        domain.init_app(app)
    app.cli.add_command(cli.seed_demo_command)

    if app.config.get("INPROCESS_WORKER"):  # after every domain has registered its sweeps
        app.extensions["timer_worker"] = start_worker_thread(app)
    return app
