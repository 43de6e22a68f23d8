"""The layers of ARCHITECTURE.md hold: every module imports only what its row of the table allows."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mockserver"


def table() -> list[tuple[list[str], set[str] | None]]:
    """(units of a row, what they may import; None for everything), in the document's order."""
    rows: list[tuple[list[str], set[str] | None]] = []
    text = (ROOT / "ARCHITECTURE.md").read_text()
    for line in text.split("| package | holds | may import |", 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        units = [re.sub(r"(/|\.py)$", "", name) for name in re.findall(r"`([^`]+)`", cells[0])]
        allowed_text = cells[-1]
        if allowed_text == "everything":
            allowed = None
        elif allowed_text == "everything above":
            allowed = {unit for row_units, _ in rows for unit in row_units}
        else:
            allowed = set(re.findall(r"`([^`.]+)[^`]*`", allowed_text))
        rows.append((units, allowed))
    return rows


def unit_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def runtime_imports(path: Path) -> set[str]:
    """Units of mockserver this file imports, outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mockserver."):
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("mockserver.")]
        found.update(name.split(".")[1] for name in names)
    return found


RULES = {unit: allowed for units, allowed in table() for unit in units}
FILES = sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py") or p.parent != PACKAGE)


def test_the_table_covers_every_module() -> None:
    missing = sorted({unit_of(p) for p in FILES} - set(RULES))
    assert not missing, f"ARCHITECTURE.md's table has no row for {missing}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_what_its_layer_may(path: Path) -> None:
    unit = unit_of(path)
    allowed = RULES.get(unit)
    if allowed is None:
        return
    extra = sorted(runtime_imports(path) - allowed - {unit})
    assert not extra, f"{path.relative_to(ROOT)} ({unit}) imports {extra}; ARCHITECTURE.md allows {sorted(allowed)}"


def test_the_suites_property_tests_draw_the_same_examples_every_run() -> None:
    import os

    import hypothesis

    if os.environ.get("HYPOTHESIS_PROFILE", "test") != "test":
        pytest.skip("make fuzz explores on purpose")
    current = hypothesis.settings.default
    assert current.derandomize and current.database is None and current.print_blob
