"""The layers of docs/architecture.md hold: every import inside workflow_app/ points down them (function-level imports
too), every package is placed, create_app wires the domains in their order and stays short."""

import ast
import inspect
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def documented_layers(text: str) -> dict[str, int]:
    """{package or top-level module: its layer}, from the numbered list under "## Layers" (names before the colon)."""
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for line in section.splitlines():
        item = re.match(r"(\d+)\. ([^:]*):", line)
        if item:
            for name in re.findall(r"`([\w.]+)`", item.group(2)):
                layers[name.removesuffix(".py")] = int(item.group(1))
    return layers


def unit_of(path: Path, app_dir: Path) -> str:
    """The package (or top-level module) a file of the app belongs to."""
    parts = path.relative_to(app_dir).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def imported_units(tree: ast.AST, app_dir: Path):
    """(line, unit) of every import of the app's packages and modules in a parsed file."""
    app = app_dir.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(app + "."):
                    yield node.lineno, alias.name.split(".")[1]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: a relative import; write the whole name"
            if node.module == app:  # from workflow_app import cases, create_app
                for alias in node.names:
                    is_unit = (app_dir / alias.name).is_dir() or (app_dir / f"{alias.name}.py").is_file()
                    yield node.lineno, alias.name if is_unit else "__init__"
            elif node.module and node.module.startswith(app + "."):
                yield node.lineno, node.module.split(".")[1]


def imports_against_the_layers(app_dir: Path, layers: dict[str, int]) -> list[str]:
    """Every import of a package of the same or a higher layer (another package than the importer's own)."""
    found = []
    for path in sorted(app_dir.rglob("*.py")):
        importer = unit_of(path, app_dir)
        for line, imported in imported_units(ast.parse(path.read_text(encoding="utf-8")), app_dir):
            if imported != importer and layers.get(imported, 99) >= layers.get(importer, 99):
                found.append(
                    f"{path.relative_to(app_dir.parent)}:{line}: {importer} (layer {layers.get(importer)}) imports "
                    f"{imported} (layer {layers.get(imported)})"
                )
    return found


LAYERS = documented_layers((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))


def test_every_import_points_down_the_documented_layers():
    assert imports_against_the_layers(ROOT / "workflow_app", LAYERS) == []


def test_every_package_and_module_of_the_app_is_placed_in_a_layer():
    units = {unit_of(path, ROOT / "workflow_app") for path in (ROOT / "workflow_app").rglob("*.py")}
    assert units - set(LAYERS) == set()
    assert set(LAYERS) - units == set()  # no layer names a package that is gone


def test_the_check_finds_an_import_sideways_and_upwards(tmp_path):
    app = tmp_path / "workflow_app"
    for package in ("core", "sla", "inbox"):
        (app / package).mkdir(parents=True)
        (app / package / "__init__.py").write_text("")
    (app / "sla" / "clocks.py").write_text("def f():\n    from workflow_app.inbox.queries import x\n")
    (app / "inbox" / "routes.py").write_text("import workflow_app.sla.queries\nfrom workflow_app.core import time\n")
    (app / "core" / "time.py").write_text("from workflow_app import sla\n")
    layers = {"core": 1, "sla": 6, "inbox": 8}
    assert imports_against_the_layers(app, layers) == [
        "workflow_app/core/time.py:1: core (layer 1) imports sla (layer 6)",
        "workflow_app/sla/clocks.py:2: sla (layer 6) imports inbox (layer 8)",
    ]
    layers["inbox"] = 6  # beside sla: neither may import the other
    assert "workflow_app/inbox/routes.py:1: inbox (layer 6) imports sla (layer 6)" in imports_against_the_layers(
        app, layers
    )


def test_create_app_wires_the_domains_in_layer_order_in_at_most_40_lines():
    from workflow_app import DOMAINS, create_app

    wired = [domain.__name__.removeprefix("workflow_app.") for domain in DOMAINS]
    assert [LAYERS[name] for name in wired] == sorted(LAYERS[name] for name in wired)
    packages = {path.parent.name for path in (ROOT / "workflow_app").glob("*/__init__.py")}
    assert set(wired) == packages  # every domain package wires itself
    assert all(callable(getattr(domain, "init_app", None)) for domain in DOMAINS)
    body = inspect.getsource(create_app).splitlines()[1:]  # after the def line
    assert len(body) <= 40


def test_no_side_effect_imports_register_anything():
    """Registration happens in init_app: no `import x  # noqa: F401 (registers ...)` in the app package."""
    flagged = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "workflow_app").rglob("*.py")
        if path.name != "models.py"  # workflow_app/models.py gathers every table for Alembic
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "noqa: F401" in line and "regist" in line
    ]
    assert flagged == []
