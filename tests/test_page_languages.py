"""Every page renders in Chinese and English, and no Chinese page shows an English source string.

The pages are those of the route matrix, each opened by a user who may see it; the English
source strings are the catalogue's msgids (the fragments between their placeholders).
"""

import re
from html import unescape
from pathlib import Path

from babel.messages.pofile import read_po

from tests.test_route_matrix import GET_MATRIX, url_for_rule

CATALOGUE = Path(__file__).resolve().parent.parent / "workflow_app/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
# short or technical words that may rightly stay as they are in a Chinese page
ALLOWED = {"SLA", "SHA-256", "BPMN", "DMN", "CSV", "USCC", "JSON", "PDF", "OFD"}


def english_fragments():
    with open(CATALOGUE, "rb") as f:
        catalogue = read_po(f)
    fragments = set()
    for message in catalogue:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if not msgid:
            continue
        for fragment in re.split(r"%\(\w+\)[sd]|%[sd]", msgid):
            fragment = fragment.strip(" .:;,()'\"“”")
            # whole words of English only: a fragment of two words or more, or one long word
            if (
                re.fullmatch(r"[A-Za-z][A-Za-z ,'/-]+", fragment)
                and fragment not in ALLOWED
                and (" " in fragment or len(fragment) >= 8)
            ):
                fragments.add(fragment)
    return fragments


def visible_text(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attributes = " ".join(re.findall(r'(?:placeholder|title|aria-label|alt)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(text + " " + attributes)


def pages(app):
    """(url, user) for every page with a GET, opened by someone who may see it."""
    for rule in sorted(r.rule for r in app.url_map.iter_rules() if "GET" in r.methods):
        if (
            rule.startswith(("/static", "/portal/files"))
            or rule.endswith((".csv", ".xlsx", ".bpmn", ".json"))
            or "attachments/" in rule
        ):
            continue
        if rule.startswith("/admin"):
            yield rule, "admin"
        elif rule == "/login":
            yield rule, None
        elif rule in GET_MATRIX:
            users = [user for user, status in GET_MATRIX[rule].items() if status == 200]
            if users:  # (the portal's apply and task pages: below, with ids of their own)
                yield rule, "dispatcher" if "dispatcher" in users else sorted(users)[0]
    # the same pages in their other states
    yield from [
        ("/inbox?queue=group", "kuiwen_handler"),
        ("/inbox?queue=unit", "city_supervisor"),
        ("/tasks/<int:task_id>", "kuiwen_handler"),
        ("/cases/new/health_check", "kuiwen_handler"),
        ("/cases/<int:case_id>", "kuiwen_handler"),
        ("/inbox", "kuiwen_supervisor"),
        ("/supervision/notices?all=1", "city_supervisor"),
        ("/notifications", "kuiwen_supervisor"),
        ("/portal/apply/installment_agreement", "ent_huayu"),
        ("/portal/apply/loan_extension", "ent_huayu"),
        ("/portal/apply/health_check", "ent_huayu"),
        ("/portal/tasks/<int:sign_task_id>", "ent_huayu"),
        ("/portal/cases/<int:agreement_case_id>", "ent_huayu"),
        ("/cases/<int:agreement_case_id>", "agency"),
        ("/account/tokens", "kuiwen_handler"),
    ]


def test_every_page_renders_in_both_languages_with_no_english_left_in_chinese(app, route_ids, client_as):
    fragments = english_fragments()
    assert len(fragments) > 200  # the catalogue was read
    problems = []
    for rule, user in pages(app):
        url = url_for_rule(rule, route_ids)
        client = client_as(user)
        chinese = client.get(url)
        assert chinese.status_code == 200, f"{url} as {user}: {chinese.status_code}"
        text = visible_text(chinese.get_data(as_text=True))
        left = sorted(f for f in fragments if re.search(r"(?<![A-Za-z_-])" + re.escape(f) + r"(?![A-Za-z_-])", text))
        if left:
            problems.append(f"{url}: {left}")
        client.post("/language/en")
        english = client.get(url)
        assert english.status_code == 200 and 'lang="en"' in english.get_data(as_text=True), url
    assert problems == []
