"""Translated strings in templates are escaped like any other text."""
from flask_babel.speaklater import LazyString
from markupsafe import escape


def escape_lazy_strings() -> None:
    """Make `{{ _l("... %(name)s", name=user_input) }}` escape the input in Jinja.

    Flask-Babel's LazyString declares `__html__` as its plain text, which tells Jinja the text is
    safe HTML; a message that carries what a user typed (a file name, a code) would then be
    rendered raw. Our messages hold no markup, so escaping them costs nothing.
    """
    LazyString.__html__ = lambda self: str(escape(str(self)))
