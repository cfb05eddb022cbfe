"""`ledger agreements --format csv|yaml|json -o FILE`: an import file of every agreement, through the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.e2e.runner import ledger


def ok(*args: str, cwd: Path) -> str:
    done = ledger(*args, cwd=cwd)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeded")
    ok("init", cwd=folder)
    ok("seed", cwd=folder)
    return folder


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_an_export_imports_into_a_fresh_ledger_as_the_same_agreements(seeded: Path, tmp_path: Path, fmt: str) -> None:
    ok(
        "--db",
        f"sqlite:///{seeded / 'ledger.db'}",
        "agreements",
        "--format",
        fmt,
        "-o",
        str(tmp_path / f"f.{fmt}"),
        cwd=tmp_path,
    )
    fresh = ["--db", f"sqlite:///{tmp_path / 'fresh.db'}"]
    ok(*fresh, "init", cwd=tmp_path)
    done = ledger(*fresh, "import", f"f.{fmt}", cwd=tmp_path)
    assert done.returncode == 0 and "agreements: 94 new" in done.stderr, done.stderr
    written = (tmp_path / f"f.{fmt}").read_text(encoding="utf-8")
    assert ok(*fresh, "agreements", "--format", fmt, cwd=tmp_path) == written
    again = ledger("import", str(tmp_path / f"f.{fmt}"), cwd=seeded)  # into the ledger it came from
    assert "agreements: 0 new, 0 updated, 94 unchanged" in again.stderr
    schedule = ["schedule", "--by", "month", "--format", "csv"]
    assert ok(*fresh, *schedule, cwd=tmp_path) == ok(*schedule, cwd=seeded)


def test_the_three_formats_hold_the_same_records(seeded: Path) -> None:
    from_json = json.loads(ok("agreements", "--format", "json", cwd=seeded))
    from_yaml = yaml.safe_load(ok("agreements", "--format", "yaml", cwd=seeded))
    assert from_json == from_yaml and len(from_json["agreements"]) == 94
    founding = next(a for a in from_json["agreements"] if a["agreement_id"] == "OAI-AWS-2026-02")
    assert founding["amount"] == "100000000000.00" and founding["relations"] == [
        {"kind": "additional", "to": "OAI-AWS-2025-11"}
    ]
    header = ok("agreements", "--format", "csv", cwd=seeded).splitlines()[0].split(",")
    assert {"relations", "sources", "tranches"} <= set(header)
    assert not {"relation_to", "relation_kind", "source_url", "source_title", "source_date", "tranche_amounts"} & set(
        header
    )


def test_the_table_is_a_listing_with_qualifier_and_status(seeded: Path) -> None:
    table = ok("agreements", cwd=seeded)
    assert "up to 4,000,000,000.00" in table and "undisclosed" in table and "announced" in table


def test_an_unknown_format_is_refused(seeded: Path) -> None:
    done = ledger("agreements", "--format", "xml", cwd=seeded)
    assert done.returncode == 2 and "'xml' is not one of table, csv, yaml, json" in done.stderr
