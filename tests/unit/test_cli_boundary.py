"""The CLI is a door to the Python API: it never wires the database itself, and every command has a method."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import typer

from ledger.api import Ledger, sqlite_file
from ledger.cli import app

CLI = Path(__file__).resolve().parents[2] / "ledger" / "cli"
FORBIDDEN = ("sqlalchemy", "ledger.db", "ledger.services")

# Each command and the Ledger methods it is a door to (quickstart runs the main job: several of them).
COMMAND_METHODS = {
    "init": ["init"],
    "seed": ["seed"],
    "import": ["import_file"],
    "agreements": ["agreements", "agreement_records"],
    "quickstart": ["init", "seed", "founding_example", "schedule", "agreements"],
    "schedule": ["schedule", "consolidated"],
    "adjustments": ["adjustments"],
    "reconcile": ["reconcile"],
    "cycles": ["cycles"],
    "ingest": ["ingest"],
    "burn": ["positions", "burn", "burn_periods"],
    "commitments": ["focus_commitments"],
    "parties list": ["parties"],
    "parties merge": ["merge_parties"],
    "show": ["show"],
    "history": ["history"],
    "void": ["void"],
    "restore": ["restore"],
    "delete": ["delete"],
    "uningest": ["uningest"],
}


def _imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # from ledger import services
    return names


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_the_cli_imports_neither_sqlalchemy_nor_the_database_nor_the_services(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    wrong = [name for name in _imported_modules(tree) if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)]
    assert not wrong, f"{path.name} imports {wrong}: go through ledger.api instead"


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_the_cli_opens_no_unit_of_work(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    uses = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "unit_of_work"]
    assert not uses, f"{path.name} lines {uses} use a unit of work: call a Ledger method instead"


def _commands(group: Any, prefix: str = "") -> list[str]:
    """Command paths of a click group (typer's vendored click: a group is what has subcommands)."""
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append(f"{prefix}{name}")
    return found


def test_every_command_has_a_python_api_method() -> None:
    root = typer.main.get_command(app)
    assert sorted(_commands(root)) == sorted(COMMAND_METHODS)
    missing = [m for methods in COMMAND_METHODS.values() for m in methods if not callable(getattr(Ledger, m, None))]
    assert not missing
    undocumented = [m for methods in COMMAND_METHODS.values() for m in methods if not getattr(Ledger, m).__doc__]
    assert not undocumented


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("sqlite:///ledger.db", Path("ledger.db")),
        ("sqlite:////tmp/a/b.db", Path("/tmp/a/b.db")),
        ("sqlite:///file:ledger.db?mode=ro&uri=true", Path("ledger.db")),
        ("sqlite:///file:/tmp/my%20book.db?mode=ro&uri=true", Path("/tmp/my book.db")),
        ("sqlite:///file:odd.db", Path("file:odd.db")),  # without uri=true SQLite takes the name as it is
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql://postgres@127.0.0.1:5432/test", None),
    ],
)
def test_sqlite_file_names_the_database_file(url: str, file: Path | None) -> None:
    assert sqlite_file(url) == file


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:///file:ledger.db?mode=ro&uri=true", "sqlite:///file:ledger.db?mode=ro&uri=true"),  # not file%3A
        ("sqlite:///ledger.db", "sqlite:///ledger.db"),
        ("sqlite+pysqlcipher://:secret@/x.db", "sqlite+pysqlcipher://:***@/x.db"),
        ("postgresql+psycopg://user:pw@host/db", "postgresql+psycopg://user:***@host/db"),
    ],
)
def test_database_urls_are_shown_as_given_with_passwords_masked(url: str, shown: str) -> None:
    from ledger.config import display_url

    assert display_url(url) == shown
