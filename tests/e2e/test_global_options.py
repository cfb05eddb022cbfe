"""The app's options (--db, --version) are accepted after any command's name as well as before it."""

from __future__ import annotations

from pathlib import Path

import typer

from ledger.cli import app
from tests.e2e.runner import Done, ledger
from tests.inputs import AWS_FOCUS

DEALS = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,status
ACME-AWS,cloud_commitment,OpenAI,Amazon Web Services,1200000.00,USD,2026-01-15,12,binding
ACME-ORCL,cloud_commitment,Acme Inc.,Oracle,500000.00,USD,2026-01-01,12,
"""

# Every command, with the arguments of one run that works, in an order in which each one does.
RUNS: list[tuple[str, list[str]]] = [
    ("quickstart", []),
    ("init", []),
    ("seed", ["--founding-example"]),
    ("import", ["deals.csv"]),
    ("agreements", ["-f", "csv"]),
    ("schedule", ["-a", "ACME-AWS", "-f", "csv"]),
    ("adjustments", ["-f", "csv"]),
    ("reconcile", ["-f", "json"]),
    ("cycles", ["-f", "csv"]),
    ("ingest", ["aws.csv"]),
    ("burn", ["--as-of", "2026-06-30", "-f", "csv"]),
    ("commitments", []),
    ("parties list", ["-f", "csv"]),
    ("parties merge", ["Acme Inc.", "Acme", "--create"]),
    ("show", ["ACME-AWS"]),
    ("history", ["ACME-AWS"]),
    ("void", ["ACME-AWS", "--reason", "a test"]),
    ("restore", ["ACME-AWS"]),
    ("uningest", ["aws.csv", "--reason", "a test"]),
    ("delete", ["ACME-ORCL", "--yes"]),
]


def ok(*args: str, cwd: Path) -> Done:
    done = ledger(*args, cwd=cwd)
    assert done.returncode == 0, (args, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def _commands(group: object, prefix: str = "") -> list[str]:
    found = []
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, f"{prefix}{name} ") if hasattr(command, "commands") else [f"{prefix}{name}"]
    return found


def test_the_runs_cover_every_command() -> None:
    assert sorted(name for name, _ in RUNS) == sorted(_commands(typer.main.get_command(app)))


def test_every_command_takes_db_after_its_name(tmp_path: Path, db_url: str) -> None:
    """Each command with --db URL last: it works on URL, and no ./ledger.db (the default) appears."""
    tmp_path = tmp_path / "work"  # the SQLite db_url is a ledger.db in tmp_path itself
    tmp_path.mkdir()
    (tmp_path / "deals.csv").write_text(DEALS)
    (tmp_path / "aws.csv").write_text(AWS_FOCUS)
    for command, args in RUNS:
        done = ok(*command.split(), *args, "--db", db_url, cwd=tmp_path)
        if command == "agreements":
            assert "ACME-AWS" in done.stdout and "OAI-AWS-2025-11" in done.stdout  # imported, and seeded
    assert not (tmp_path / "ledger.db").exists()
    listed = ok("agreements", "--db", db_url, "-f", "csv", cwd=tmp_path).stdout  # and before the command's options
    assert "ACME-AWS" in listed and "ACME-ORCL" not in listed
    parties = ok("parties", "--db", db_url, "list", "-f", "csv", cwd=tmp_path).stdout  # and after a group's name
    assert "Acme Inc." in parties  # an alias of Acme now
    assert not (tmp_path / "ledger.db").exists()


def test_after_the_command_counts_over_before(tmp_path: Path) -> None:
    ok("--db", "sqlite:///book.db", "init", cwd=tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS)
    ok("--db", "sqlite:///other.db", "import", "deals.csv", "--db", "sqlite:///book.db", cwd=tmp_path)
    assert not (tmp_path / "other.db").exists()
    assert "ACME-AWS" in ok("--db", "sqlite:///book.db", "agreements", "-f", "csv", cwd=tmp_path).stdout


def test_an_output_file_is_checked_against_the_database_given_after_it(tmp_path: Path) -> None:
    """--db is read before the other options, so -o FILE before it is still refused as the database."""
    ok("init", "--db", "sqlite:///book.db", cwd=tmp_path)
    done = ledger("agreements", "-f", "csv", "-o", "book.db", "--db", "sqlite:///book.db", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (1, "error: cannot write book.db: it is the ledger's database\n")


def test_version_and_the_help_of_every_command(tmp_path: Path) -> None:
    import ledger as package

    top = ok("--help", cwd=tmp_path).stdout
    assert "may also follow the command" in top
    for command, _ in RUNS:
        assert ok(*command.split(), "--version", cwd=tmp_path).stdout == f"ledger {package.__version__}\n"
        shown = ok(*command.split(), "--help", cwd=tmp_path).stdout
        assert "--db URL" in shown and "Database URL" in shown, command
