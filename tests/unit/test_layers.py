"""The rooms of the code and the arrows between them: files -> ledger.io (readers) -> services ->
ledger.render (renderers), with the pure domain and kernels in the middle depending on no room around them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ledger"

# room -> the rooms it must never import
FORBIDDEN = {
    "domain": {"io", "render", "db", "services", "cli", "api", "schedule", "reconcile", "flows", "burn"},
    "schedule": {"io", "render", "db", "services", "cli", "api"},
    "reconcile": {"io", "render", "db", "services", "cli", "api"},
    "flows": {"io", "render", "db", "services", "cli", "api"},
    "burn": {"io", "render", "db", "services", "cli", "api"},
    "io": {"render", "db", "services", "cli", "api"},
    "render": {"io", "db", "services", "cli", "api"},
    "db": {"io", "render", "services", "cli", "api"},
    "services": {"render", "cli", "api"},
}


def imported_rooms(path: Path) -> set[str]:
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        rooms |= {n.split(".")[1] for n in names if n.startswith("ledger.") and n.count(".") >= 1}
    return rooms


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_no_arrow_points_the_wrong_way(room: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE.parent)} imports ledger.{r}"
        for path in sorted((PACKAGE / room).glob("*.py"))
        for r in imported_rooms(path) & FORBIDDEN[room]
    }
    assert not wrong, sorted(wrong)
