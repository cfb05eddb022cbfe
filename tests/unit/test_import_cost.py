"""Pay only for what a command uses: the everyday commands (import, schedule, burn) load neither Alembic
(schema changes) nor networkx (reconciliation findings, cycles) nor matplotlib (pictures)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledger.db import migrate

HEAVY = ("alembic", "networkx", "matplotlib")
PROBE = """
import sys
from ledger.cli import main
sys.argv = ["ledger", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LOADED", sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY)), file=sys.stderr)
"""


def loaded(args: list[str], cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args], cwd=cwd, capture_output=True, text=True
    )
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("LOADED")]
    return eval(line.removeprefix("LOADED "))  # a printed list of names


def test_the_head_revision_read_from_the_scripts_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert migrate.head_revision() == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cost")
    (path / "deals.csv").write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        "A-1,cloud_commitment,Acme,Cloudco,1200.00,USD,2026-01-15,12\n"
    )
    subprocess.run([sys.executable, "-m", "ledger", "init"], cwd=path, check=True, capture_output=True)
    return path


@pytest.mark.parametrize(
    "args",
    [["import", "deals.csv"], ["schedule", "--format", "csv"], ["burn", "--as-of", "2026-06-30", "--format", "csv"]],
    ids=" ".join,
)
def test_everyday_commands_load_no_heavy_module(folder: Path, args: list[str]) -> None:
    assert loaded(args, folder) == []


def test_schema_changes_load_alembic(folder: Path, tmp_path: Path) -> None:
    assert "alembic" in loaded(["init"], tmp_path)  # a new database: the migrations run
    assert loaded(["init"], folder) == []  # already at the newest revision: nothing to run
