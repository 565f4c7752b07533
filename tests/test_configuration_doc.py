"""docs/configuration.md documents every setting of config.py with its defaults, and nothing config.py lacks."""

import ast
import re
from pathlib import Path, PurePosixPath

import config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.py"
PAGE = ROOT / "docs" / "configuration.md"


def _is_environ_get(node) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "environ"
    )


def _default_text(node) -> str:
    """A default as the page writes it: its text, with the install folder for BASE_DIR."""
    names = {"str": str, "BASE_DIR": PurePosixPath("<install folder>"), "DEFAULT_SECRET_KEY": config.DEFAULT_SECRET_KEY}
    return str(eval(compile(ast.Expression(node), str(CONFIG), "eval"), {"__builtins__": {}}, names))  # noqa: S307


def settings_of_config() -> tuple[dict, dict]:
    """The environment variables config.py reads, each with its defaults ({name: {class: default or None}}), and
    the settings its classes fix without the environment ({name: {class: value}})."""
    read, fixed = {}, {}
    tree = ast.parse(CONFIG.read_text(encoding="utf-8"))
    for statement in tree.body:
        scopes = (
            [(statement.name, item) for item in statement.body]
            if isinstance(statement, ast.ClassDef)
            else [("module", statement)]
        )
        for scope, item in scopes:
            if not isinstance(item, ast.Assign) or not isinstance(item.targets[0], ast.Name):
                continue
            name = item.targets[0].id
            calls = [node for node in ast.walk(item.value) if _is_environ_get(node)]
            for call in calls:
                variable = call.args[0].value
                read.setdefault(variable, {})[scope] = _default_text(call.args[1]) if len(call.args) > 1 else None
            if not calls and scope != "module" and name.isupper():
                fixed.setdefault(name, {})[scope] = str(ast.literal_eval(item.value))
    return read, fixed


def rows_of_page() -> dict[str, list[str]]:
    """{setting: the default (or value) cells of its rows}, from the tables above "Read elsewhere"."""
    text = PAGE.read_text(encoding="utf-8").split("## Read elsewhere")[0]
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and re.fullmatch(r"`[A-Z_]+`", cells[0]):
            rows.setdefault(cells[0].strip("`"), []).append(cells[1])
    return rows


def test_every_setting_of_config_py_is_on_the_page_and_nothing_else():
    read, fixed = settings_of_config()
    documented = set(rows_of_page())
    assert sorted((set(read) | set(fixed)) - documented) == [], "config.py has these; add rows to docs/configuration.md"
    assert sorted(documented - set(read) - set(fixed)) == [], "docs/configuration.md has these; config.py does not"


def test_each_default_on_the_page_is_config_py_s():
    read, fixed = settings_of_config()
    rows = rows_of_page()
    wrong = []
    for name, defaults in list(read.items()) + list(fixed.items()):
        shown = " ".join(rows.get(name, []))
        spans = re.findall(r"`([^`]*)`", shown)
        for scope, default in defaults.items():
            if default == "":
                if not shown.startswith("empty"):
                    wrong.append(f"{name}: {scope} has an empty default, the page shows {shown!r}")
            elif default is not None and default not in spans:
                wrong.append(f"{name}: {scope} has {default!r}, the page shows {shown!r}")
    assert wrong == []


def test_the_check_sees_what_config_py_reads():
    read, fixed = settings_of_config()
    assert read["ATTACHMENT_MAX_BYTES"] == {"Config": "10485760"}
    assert read["HSTS_MAX_AGE_SECONDS"] == {"Config": "0", "ProductionConfig": "31536000"}
    assert read["DATABASE_URL"] == {"Config": None} and read["APP_ENV"] == {"module": "development"}
    assert fixed["WTF_CSRF_ENABLED"] == {"Config": "True", "TestingConfig": "False"}
    assert config.Config.METRICS_ALLOWED_IPS == read["METRICS_ALLOWED_IPS"]["Config"]
