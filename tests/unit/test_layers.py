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
# The exceptions, module by module: the repository reads stored agreements back into the columnar batch
# (ledger.io.batch) the importer writes them from, so that a replayed or exported book is the same value.
ALLOWED = {"db": {"ledger.io.batch"}}


def imported_rooms(path: Path, allowed: frozenset[str] = frozenset()) -> set[str]:
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module in allowed:
                continue
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        names = [n for n in names if n not in allowed]
        rooms |= {n.split(".")[1] for n in names if n.startswith("ledger.") and n.count(".") >= 1}
    return rooms


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_no_arrow_points_the_wrong_way(room: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE.parent)} imports ledger.{r}"
        for path in sorted((PACKAGE / room).glob("*.py"))
        for r in imported_rooms(path, frozenset(ALLOWED.get(room, ()))) & FORBIDDEN[room]
    }
    assert not wrong, sorted(wrong)


def test_an_exception_allows_one_module_only(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from ledger.io.batch import AgreementBatch\nimport ledger.io.batch\n")
    assert imported_rooms(module, frozenset({"ledger.io.batch"})) == set()
    module.write_text("from ledger.io.batch import AgreementBatch\nfrom ledger.io.records import RawEntry\n")
    assert imported_rooms(module, frozenset({"ledger.io.batch"})) == {"io"}
