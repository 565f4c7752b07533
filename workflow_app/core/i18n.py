"""Translated strings: escaped in templates like any other text, their catalogue found once per request."""

from flask import g, has_request_context, request, session
from flask_babel import Domain
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

LANGUAGES = ("zh_Hans_CN", "en")


def select_locale():
    """Use the language the user picked (API clients: Accept-Language), else Chinese."""
    if has_request_context() and request.path.startswith("/api/"):
        return "en" if request.accept_languages.best_match(["zh", "en"], "zh") == "en" else LANGUAGES[0]
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in LANGUAGES else LANGUAGES[0]


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
        try:
            app_globals = g._get_current_object()  # one context lookup; Flask-Babel's helper makes three
        except RuntimeError:  # outside an app context
            return super().get_translations()
        ctx = getattr(app_globals, "_flask_babel", None)
        if ctx is not None:
            kept = getattr(ctx, "request_translations", None)
            locale = getattr(ctx, "babel_locale", None)
            if kept is not None and locale is not None and kept[0] is locale:
                return kept[1]
        translations = super().get_translations()  # finds the locale first (ctx.babel_locale)
        ctx = app_globals._flask_babel
        ctx.request_translations = (getattr(ctx, "babel_locale", None), translations)
        return translations


def find_catalogues_once_per_request(app, babel) -> None:
    """Make the Babel extension's default domain a RequestDomain, and the templates' `_` use it directly.

    Flask-Babel's template callables look the domain up in the request context on every string first, and
    Jinja's `_` reaches them through two more calls: 12-18 us a string, a hundred strings a page. `_` does
    what Jinja's newstyle gettext does (the text as Markup under autoescaping, then `% variables`, which
    escapes them) in one call.
    """
    domain = babel.domain_instance = RequestDomain(domain=app.extensions["babel"].default_domain)

    @pass_eval_context
    def template_gettext(eval_context, string, **variables):
        text = domain.get_translations().ugettext(string)
        if eval_context.autoescape:
            text = Markup(text)
        return text % variables

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals["_"] = template_gettext
