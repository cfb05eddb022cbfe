"""Importing files on SQLite and PostgreSQL: exact schedules, idempotence, updates, and nothing written on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.db.engine import make_engine
from ledger.errors import InputError, NotFoundError

CSV = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,end_date,basis,relation_to,relation_kind,source_url
OAI-AWS-2025-11,cloud_commitment,OpenAI,Amazon Web Services,38000000000.00,USD,2025-11-01,84,,monthly,,,https://example.com/38
OAI-AWS-2026-02,cloud_commitment,OpenAI,Amazon Web Services,100000000000.00,USD,2026-03-01,96,,monthly,OAI-AWS-2025-11,additional,https://example.com/100
TINY,cloud_commitment,Acme,Cloudco,99999999999.99,USD,2024-02-29,,2025-02-27,daily,,,
YEN,cloud_commitment,Acme,Cloudco,1000000,JPY,2026-01-31,3,,monthly,,,
"""


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        tables = [
            "party",
            "agreement",
            "agreement_relation",
            "agreement_source",
            "source",
            "schedule_line",
            "valuation",
        ]
        result = {t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}
    engine.dispose()
    return result


@pytest.fixture
def deals(tmp_path: Path) -> Path:
    path = tmp_path / "deals.csv"
    path.write_text(CSV)
    return path


def test_import_then_schedule_ties_out(book: Ledger, deals: Path) -> None:
    summary = book.import_file(deals)
    assert (summary.agreements_created, summary.parties_created) == (4, 4)
    yearly = book.schedule(by="year")
    totals = yearly.groupby("agreement_id")["amount_minor"].sum().to_dict()
    assert totals == {
        "OAI-AWS-2025-11": 3_800_000_000_000,
        "OAI-AWS-2026-02": 10_000_000_000_000,
        "TINY": 9_999_999_999_999,
        "YEN": 1_000_000,
    }
    assert str(yearly.loc[yearly["agreement_id"] == "TINY", "amount"].sum()) == "99999999999.99"
    for grain in ("month", "quarter", "fiscal-year", "contract-year"):
        assert book.schedule(by=grain).groupby("agreement_id")["amount_minor"].sum().to_dict() == totals


def test_stored_month_lines_equal_the_computed_schedule(book: Ledger, deals: Path) -> None:
    book.import_file(deals)
    engine = make_engine(book.url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT a.key, s.month, s.amount_minor FROM schedule_line s JOIN agreement a ON a.id = s.agreement_id")
        ).all()
    engine.dispose()
    monthly = book.schedule(by="month")
    columns = (monthly["agreement_id"], monthly["period_start"].dt.strftime("%Y-%m-%d"), monthly["amount_minor"])
    computed = set(zip(*columns, strict=True))
    assert {(k, str(m), a) for k, m, a in stored} == computed  # SQLite returns text dates, PostgreSQL dates


def test_reimport_is_idempotent_and_updates_change_only_what_changed(book: Ledger, deals: Path, tmp_path: Path) -> None:
    book.import_file(deals)
    before = counts(book.url)
    again = book.import_file(deals)
    assert (again.agreements_created, again.agreements_updated, again.agreements_unchanged) == (0, 0, 4)
    assert again.schedule_lines_written == 0 and counts(book.url) == before

    changed = tmp_path / "changed.csv"
    changed.write_text(CSV.replace("99999999999.99,USD,2024-02-29,,2025-02-27", "12.00,USD,2024-02-29,,2024-03-31"))
    summary = book.import_file(changed)
    assert (summary.agreements_updated, summary.agreements_unchanged) == (1, 3)
    tiny = book.schedule(by="month", agreements=["TINY"])
    assert tiny["period"].tolist() == ["2024-02", "2024-03"]
    assert tiny["amount_minor"].tolist() == [1200 // 32, 1200 - 1200 // 32]


def test_bad_file_writes_nothing(book: Ledger, deals: Path, tmp_path: Path) -> None:
    book.import_file(deals)
    before = counts(book.url)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        CSV.replace("OAI-AWS-2025-11,cloud_commitment", "NEW-1,cloud_commitment")
        + "NEW-2,cloud_commitment,X,Y,1.5.0,USD,2026-01-01,12,,,,,\n"
    )
    with pytest.raises(InputError, match=r"bad\.csv:6: amount: got '1\.5\.0'"):
        book.import_file(bad)
    assert counts(book.url) == before


def test_relation_to_unknown_agreement_writes_nothing(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "orphan.csv"
    path.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,relation_to,relation_kind\n"
        "A,cloud_commitment,OpenAI,AWS,1.00,USD,2026-01-01,12,NOPE,additional\n"
    )
    with pytest.raises(InputError, match=r"orphan\.csv:2: relation_to: got 'NOPE', expected an agreement_id"):
        book.import_file(path)
    assert counts(book.url)["agreement"] == 0


def test_failure_after_writes_rolls_back(book: Ledger, deals: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.db import repository

    def explode(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repository.Store, "write_schedule_lines", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        book.import_file(deals)
    assert counts(book.url) == dict.fromkeys(counts(book.url), 0)


def test_party_filters_include_subsidiaries(book: Ledger, deals: Path, tmp_path: Path) -> None:
    parties = tmp_path / "parties.yaml"
    parties.write_text("parties:\n  - name: Amazon\n  - name: Amazon Web Services\n    parent: Amazon\n")
    book.import_file(parties, deals)
    assert set(book.schedule(payee="Amazon")["agreement_id"]) == {"OAI-AWS-2025-11", "OAI-AWS-2026-02"}
    assert set(book.schedule(payer="Acme")["agreement_id"]) == {"TINY", "YEN"}
    with pytest.raises(NotFoundError, match=r"no payee named 'Amazn'.*did you mean Amazon"):
        book.schedule(payee="Amazn")
    with pytest.raises(NotFoundError, match="no agreement named 'OAI-AWS-2026'"):
        book.schedule(agreements=["OAI-AWS-2026"])


def test_party_parent_loops_are_refused(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("parties:\n  - name: A\n    parent: B\n  - name: B\n    parent: A\n")
    with pytest.raises(
        InputError, match=r"loop\.yaml:3: parent: got 'B', expected a parent that does not lead back to A"
    ):
        book.import_file(path)


def test_fiscal_years_follow_the_payers_calendar(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "fy.yaml"
    path.write_text(
        "parties:\n  - name: Microsoft\n    fiscal_calendar: jun\n"
        "agreements:\n  - {agreement_id: M, kind: cloud_commitment, payer: Microsoft, payee: Nebius,"
        " amount: '1200.00', currency: USD, start_date: 2026-01-01, term_months: 12}\n"
    )
    book.import_file(path)
    payer_view = book.schedule(by="fiscal-year")
    assert payer_view[["period", "amount_minor"]].values.tolist() == [["FY2026", 60000], ["FY2027", 60000]]
    payee_view = book.schedule(by="fiscal-year", fiscal_calendar="payee")
    assert payee_view[["period", "amount_minor"]].values.tolist() == [["FY2026", 120000]]


def test_bulk_line_path_keeps_the_foreign_key(book: Ledger, deals: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large loads on PostgreSQL drop and re-add the schedule_line foreign key in their transaction."""
    from ledger.db import migrate, repository

    monkeypatch.setattr(repository, "BULK_LINES", 1)
    book.import_file(deals)
    assert counts(book.url)["schedule_line"] == len(book.schedule(by="month"))
    engine = make_engine(book.url)
    with engine.connect() as connection:
        migrate.check(connection)  # the constraint is back, named as the migration made it
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            connection.execute(
                text("INSERT INTO schedule_line (agreement_id, month, amount_minor) VALUES (999999, '2026-01-01', 1)")
            )
    engine.dispose()
