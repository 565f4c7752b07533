"""The configured value of a setting, inside the app or outside it (one default for each, in config.py)."""

from flask import current_app, has_app_context

import config as app_config


def setting(name: str):
    """Return the running app's value of `name`, else config.Config's (scripts and code run outside an app)."""
    return current_app.config[name] if has_app_context() else getattr(app_config.Config, name)
