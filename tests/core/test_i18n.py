"""A translated message carrying user input is escaped when a template renders it."""
from flask import render_template_string
from flask_babel import lazy_gettext as _l


def test_a_lazy_message_with_user_input_is_escaped(app):
    with app.test_request_context():
        html = render_template_string("{{ message }}", message=_l("The file '%(name)s' is empty", name="<img src=x onerror=alert(1)>"))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
