"""Translated strings: escaped in templates like any other text, their catalogue found once per request."""
from flask_babel import Domain, _get_current_context
from flask_babel.speaklater import LazyString
from markupsafe import escape


def escape_lazy_strings() -> None:
    """Make `{{ _l("... %(name)s", name=user_input) }}` escape the input in Jinja.

    Flask-Babel's LazyString declares `__html__` as its plain text, which tells Jinja the text is
    safe HTML; a message that carries what a user typed (a file name, a code) would then be
    rendered raw. Our messages hold no markup, so escaping them costs nothing.
    """
    LazyString.__html__ = lambda self: str(escape(str(self)))


class RequestDomain(Domain):
    """Flask-Babel's message domain, finding the request's catalogue once instead of for every string.

    Flask-Babel 4.0 looks up the request context, the locale and its name again on each of the hundred
    strings of a page (a third of rendering the inbox). The catalogue is kept with the locale it was found
    for, so a changed locale (`refresh`, `force_locale`) still finds the right one.
    """

    def get_translations(self):
        ctx = _get_current_context()
        if ctx is None:
            return super().get_translations()
        kept = getattr(ctx, "request_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()  # finds the locale first (ctx.babel_locale)
        ctx.request_translations = (getattr(ctx, "babel_locale", None), translations)
        return translations


def find_catalogues_once_per_request(app, babel) -> None:
    """Make the Babel extension's default domain a RequestDomain."""
    babel.domain_instance = RequestDomain(domain=app.extensions["babel"].default_domain)
