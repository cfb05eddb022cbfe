"""The lossless agreement export on both databases: export, import into an empty ledger, export again, same
bytes; and importing an export into its own ledger changes nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.api import AGREEMENT_COLUMNS, Ledger
from ledger.errors import NotFoundError
from ledger.render.agreement_files import write_agreements
from tests.integration.test_agreement_batch import RICH

# Names a spreadsheet would run, and one that is itself a quoted formula: the quote rule must give them back.
HOSTILE = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,resource,notes
HX-1,cloud_commitment,"=HYPERLINK(""http://x"",""y"")",Acme Co,1200.00,USD,2025-04-01,12,@SUM(1),"-2+3
second line, ""quoted"" text"
HX-2,cloud_commitment,+1,''-cmd,600.00,USD,2026-01-01,12,'=1+1,O'Reilly
"""


def export(book: Ledger, fmt: str, *, raw: bool = False) -> str:
    out = io.StringIO()
    write_agreements(book.agreement_records(), AGREEMENT_COLUMNS, fmt, out, raw=raw)
    return out.getvalue()


@pytest.fixture
def full(db_url: str, tmp_path: Path) -> Ledger:
    """The seeds, a file of every stored part, and formula-like names."""
    (tmp_path / "rich.yaml").write_text(RICH)
    (tmp_path / "hostile.csv").write_text(HOSTILE)
    book = Ledger(db_url)
    book.seed()
    book.import_file(tmp_path / "rich.yaml", tmp_path / "hostile.csv")
    return book


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_export_import_export_gives_the_same_bytes(
    full: Ledger, fresh_url: Callable[[str], str], tmp_path: Path, fmt: str
) -> None:
    first = export(full, fmt)
    path = tmp_path / f"agreements.{fmt}"
    path.write_text(first, encoding="utf-8")
    with Ledger(fresh_url("copy")) as copy:
        summary = copy.import_file(path)
        assert summary.agreements_created == len(full.agreement_records()) == 94 + 6 + 2
        assert export(copy, fmt) == first
        assert copy.agreement_records() == full.agreement_records()
        assert copy.schedule(by="month").equals(full.schedule(by="month"))
    again = full.import_file(path)  # into the ledger it came from: nothing to change
    assert (again.agreements_created, again.agreements_updated, again.agreements_unchanged) == (0, 0, 102)
    full.close()


def test_a_raw_csv_imports_the_same_but_a_value_that_begins_with_a_quoted_formula(
    full: Ledger, fresh_url: Callable[[str], str], tmp_path: Path
) -> None:
    """--raw-csv writes cells as stored, and the importer takes one quote off `'-cmd` (README, Safe exports)."""
    path = tmp_path / "raw.csv"
    path.write_text(export(full, "csv", raw=True), encoding="utf-8")
    with Ledger(fresh_url("copy")) as copy:
        copy.import_file(path)
        imported = copy.agreement_records()
    expected = [r | {"payee": "-cmd"} if r["agreement_id"] == "HX-2" else r for r in full.agreement_records()]
    assert imported == expected
    full.close()


def test_the_csv_export_quotes_formulas_that_the_import_takes_off(full: Ledger) -> None:
    safe, raw = export(full, "csv"), export(full, "csv", raw=True)
    assert '"\'=HYPERLINK(""http://x"",""y"")",Acme Co' in safe and '"=HYPERLINK(""http://x"",""y"")"' in raw
    assert ",'+1,''-cmd," in safe and ",+1,'-cmd," in raw
    records = {r["agreement_id"]: r for r in full.agreement_records(["HX-2", "HX-1"])}
    assert (records["HX-2"]["payee"], records["HX-2"]["resource"], records["HX-2"]["notes"]) == (
        "'-cmd", "=1+1", "O'Reilly",
    )  # fmt: skip
    assert list(records) == ["HX-1", "HX-2"]
    full.close()


def test_json_is_the_records(full: Ledger) -> None:
    payload = json.loads(export(full, "json"))
    assert payload == {"agreements": full.agreement_records()}
    with pytest.raises(NotFoundError, match="no agreement named 'HX-9' in the ledger; did you mean HX-2, HX-1"):
        full.agreement_records(["HX-1", "HX-9"])
    full.close()
