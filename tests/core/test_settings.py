"""Each setting has one default, in config.py: code outside an app reads config.Config, inside one the app's value."""

import pytest

import config as app_config
from config import ProductionConfig, TestingConfig
from workflow_app import create_app
from workflow_app.core.settings import setting
from workflow_app.engine.limits import ModelLimits
from workflow_app.sla.calendar import configured_working_hours


def test_outside_an_app_the_settings_are_config_py_s():
    assert setting("SLA_ESCALATE_AFTER") == app_config.Config.SLA_ESCALATE_AFTER
    assert ModelLimits.current().cpu_seconds == app_config.Config.MODEL_CPU_SECONDS
    assert str(configured_working_hours().periods[0][0])[:5] == app_config.Config.WORKING_HOURS[:5]


def test_inside_an_app_its_own_values_count(app):
    app.config.update(MODEL_CALL_DEPTH=7, WORKING_HOURS="08:00-12:00")
    try:
        assert ModelLimits.current().call_depth == 7
        assert str(configured_working_hours().periods[0][0]) == "08:00:00"
    finally:
        app.config.update(
            MODEL_CALL_DEPTH=app_config.Config.MODEL_CALL_DEPTH, WORKING_HOURS=app_config.Config.WORKING_HOURS
        )


def test_production_refuses_the_development_secret_key_even_in_a_subclass():
    class Deployed(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Deployed)
    assert not hasattr(TestingConfig, "DISPLAY_TIMEZONE") and not hasattr(TestingConfig, "ENV_NAME")
