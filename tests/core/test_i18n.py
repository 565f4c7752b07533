"""A translated message carrying user input is escaped when a template renders it."""

from flask import render_template_string
from flask_babel import lazy_gettext as _l


def test_a_lazy_message_with_user_input_is_escaped(app):
    with app.test_request_context():
        html = render_template_string(
            "{{ message }}", message=_l("The file '%(name)s' is empty", name="<img src=x onerror=alert(1)>")
        )
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_templates_gettext_translates_and_escapes_what_it_is_given(app):
    template = app.jinja_env.from_string(
        '{{ _("Claim") }}|{{ _("%(n)d tasks", n=3) }}|'
        "{{ _(\"Role name '%(name)s' must start with a letter and use only "
        'letters, digits, _ . -", name="<b>x</b>") }}'
    )
    # a request of its own (its own g); under /api/ the language follows Accept-Language
    with app.app_context(), app.test_request_context("/api/", headers={"Accept-Language": "en"}):
        english = template.render()
    with app.app_context(), app.test_request_context("/api/", headers={"Accept-Language": "zh-CN"}):
        chinese = template.render()
    assert english.startswith("Claim|3 tasks|Role name '&lt;b&gt;x&lt;/b&gt;'")
    assert chinese.startswith("认领|")
    assert "&lt;b&gt;x&lt;/b&gt;" in chinese and "<b>" not in chinese
