"""Every user-facing string has a Chinese translation, and the compiled catalogues are current."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "workflow_app" / "translations"
METHODS = [("workflow_app/**.py", "python"), ("forms/**.py", "python"), ("workflow_app/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages():
    ids = set()
    for sub in ("workflow_app", "forms"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / sub,
            method_map=[(m.removeprefix(f"{sub}/"), k) for m, k in METHODS if m.startswith(sub)],
            keywords=KEYWORDS,
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_message_has_a_chinese_translation():
    with open(TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    # a plural message is known by its singular form, translated when its forms are
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(source_messages() - translated)
    assert not missing, f"untranslated (run `make translations` and fill messages.po): {missing}"


def test_compiled_catalogue_matches_the_po_file():
    folder = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with open(folder / "messages.mo", "rb") as f:
        mo = {_hashable(m.id): _hashable(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "messages.mo is stale: run `make translations`"


def _hashable(value):
    """The .mo reader gives a plural's forms as a list, the .po reader as a tuple."""
    return tuple(value) if isinstance(value, list) else value


def test_a_request_finds_its_catalogue_once_and_follows_a_changed_locale(app):
    from flask import session
    from flask_babel import force_locale, get_domain, gettext, refresh

    with app.test_request_context("/inbox"):
        first = get_domain().get_translations()
        assert gettext("Sign out") == "退出"
        assert get_domain().get_translations() is first  # kept for the rest of the request
        with force_locale("en"):
            assert gettext("Sign out") == "Sign out"
        assert gettext("Sign out") == "退出"
        session["lang"] = "en"  # what choosing a language does, then the locale is looked up again
        refresh()
        assert gettext("Sign out") == "Sign out"
