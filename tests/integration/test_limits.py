"""No overflow, anywhere, on SQLite and PostgreSQL: sums of money at the ledger's limits come out exact
through every output, and a write that would pass them is refused whole with an error naming the limit.

Limits (ledger.domain.money): one agreement amount at most MAX_MINOR (10^17 minor units); one billing
row at most 15 whole digits; every sum, and the book's total per currency of agreement amounts and of
charge magnitudes, at most MAX_TOTAL_MINOR (10^18 minor units).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.api import Ledger
from ledger.domain.money import MAX_MINOR, MAX_TOTAL_MINOR
from ledger.errors import LimitError
from ledger.render.flows_output import as_json as cycles_json
from ledger.services import flows

SQL = Callable[[str], list[tuple]]  # type: ignore[type-arg]  # the `sql` fixture (conftest)

TOP = "999999999999999.99"  # MAX_MINOR - 1 cents: the largest USD amount below the one-amount limit
COUNTS = ("agreement", "schedule_line", "consumption", "drawdown", "ingest_file", "party")


def agreements(tmp_path: Path, n: int, name: str = "deals.csv", prefix: str = "BIG") -> Path:
    path = tmp_path / name
    rows = [f"{prefix}-{i},cloud_commitment,Lab,Cloud {i % 3},{TOP},USD,2025-01-01,12" for i in range(n)]
    path.write_text("agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n" + "\n".join(rows) + "\n")
    return path


def charges(tmp_path: Path, name: str, rows: list[tuple[str, str, str]]) -> Path:
    """Simple charge CSV rows (month start 'YYYY-MM', amount, currency) of Lab to Cloud 0."""
    path = tmp_path / name
    body = "".join(f"Lab,Cloud 0,{m}-01,{m}-02,{amount},{currency}\n" for m, amount, currency in rows)
    path.write_text("payer,payee,charge_period_start,charge_period_end,amount,currency\n" + body)
    return path


def counts(sql: SQL) -> tuple[int, ...]:
    return tuple(int(sql(f"SELECT count(*) FROM {t}")[0][0]) for t in COUNTS)


def test_ingest_refuses_a_month_of_charges_past_the_limit(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    book.import_file(agreements(tmp_path, 1))
    before = counts(sql)
    hundred = charges(tmp_path, "usd.csv", [("2025-03", TOP, "USD")] * 100)  # wrapped to -8446744073709551716
    with pytest.raises(LimitError, match=r"Lab to Cloud 0 in 2025-03 sum to more than 10000000000000000\.00 USD"):
        book.ingest(hundred, format="csv")
    bhd = charges(tmp_path, "bhd.csv", [("2025-03", "999999999999999.999", "BHD")] * 20)
    with pytest.raises(LimitError, match=r"more than 1000000000000000\.000 BHD"):
        book.ingest(bhd, format="csv")
    assert counts(sql) == before


def test_charges_at_the_limit_are_exact_in_burn_and_the_view(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    book.import_file(agreements(tmp_path, 1))
    # ten rows of 999999999999999.99 and one of 0.10: exactly MAX_TOTAL_MINOR in one month
    at_limit = charges(tmp_path, "at.csv", [("2025-03", TOP, "USD")] * 10 + [("2025-03", "0.10", "USD")])
    book.ingest(at_limit, format="csv")
    assert sql("SELECT amount_minor FROM consumption") == [(MAX_TOTAL_MINOR,)]
    (row,) = book.burn(dt.date(2026, 1, 1)).to_dict("records")
    assert row["consumed"] == Decimal(MAX_TOTAL_MINOR) / 100
    assert row["committed"] == Decimal(TOP)
    assert row["remaining"] == 0 and row["overage"] >= 0
    assert [int(v) for (v,) in sql("SELECT consumed_minor FROM v_commitment_burn")] == [MAX_TOTAL_MINOR]
    # one cent more, in another file, takes the book's charges past the limit
    more = charges(tmp_path, "more.csv", [("2025-04", "0.01", "USD")])
    with pytest.raises(LimitError, match=r"charges in USD would total more than 10000000000000000\.00 USD"):
        book.ingest(more, format="csv")


def test_charges_summing_past_64_bits_over_many_months_are_refused(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    before = counts(sql)
    months = [f"2025-{m:02d}" for m in range(1, 13)]  # each month at the limit: 1.2 * 10^19 in all
    rows = [(m, TOP, "USD") for m in months for _ in range(10)]
    with pytest.raises(LimitError, match="charges in USD would total more than"):
        book.ingest(charges(tmp_path, "year.csv", rows), format="csv")
    assert counts(sql) == before


def test_agreements_at_the_book_limit_are_exact_everywhere(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    book.import_file(agreements(tmp_path, 10))  # 10 * (10^17 - 1) cents
    total = 10 * (MAX_MINOR - 1)
    assert sum(int(v) for (v,) in sql("SELECT amount_minor FROM v_schedule_year")) == total
    yearly = book.consolidated(by="year")
    assert yearly["amount_minor"].sum() == total and yearly["amount"].sum() == Decimal(total) / 100
    assert sum(int(v) for (v,) in sql("SELECT amount_minor FROM v_consolidated_schedule_year")) == total
    report = json.loads(json.dumps(cycles_json(flows.analyse_flows(book.unit_of_work), flows.FlowRequest())))
    assert sum(Decimal(s["backlog"]) for s in report["suppliers"]) == Decimal(total) / 100


def test_agreements_past_the_book_limit_are_refused(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    before = counts(sql)
    with pytest.raises(LimitError, match=r"agreement amounts in USD would total more than 10000000000000000\.00"):
        book.import_file(agreements(tmp_path, 11))
    assert counts(sql) == before
    book.import_file(agreements(tmp_path, 10))
    with pytest.raises(LimitError, match="agreement amounts in USD"):
        book.import_file(agreements(tmp_path, 1, name="one_more.csv", prefix="MORE"))
    assert int(sql("SELECT count(*) FROM agreement")[0][0]) == 10


MIXED = {
    "mixed.csv": "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,amount_qualifier\n"
    "BIG,cloud_commitment,Lab,Cloud,900000000000000.01,USD,2025-01-15,12,\n"
    "HIDDEN,cloud_commitment,Lab,Other Cloud,,USD,2025-01-31,12,undisclosed\n",
    # the batch of validated YAML agreements once read the same column as float64
    "mixed.yaml": "agreements:\n"
    "- {agreement_id: BIG, kind: cloud_commitment, payer: Lab, payee: Cloud, amount: 900000000000000.01,"
    " currency: USD, start_date: 2025-01-15, term_months: 12}\n"
    "- {agreement_id: HIDDEN, kind: cloud_commitment, payer: Lab, payee: Other Cloud, currency: USD,"
    " start_date: 2025-01-31, term_months: 12, amount_qualifier: undisclosed}\n",
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_an_undisclosed_deal_beside_a_large_one_rounds_nothing(book: Ledger, tmp_path: Path, name: str) -> None:
    """A column of amounts holding a blank once read as float64, rounding 900000000000000.01 to .00."""
    path = tmp_path / name
    path.write_text(MIXED[name])
    book.import_file(path)
    listed = book.agreements().set_index("agreement_id")
    assert listed.loc["BIG", "amount_minor"] == 90000000000000001
    assert listed.loc["BIG", "amount"] == Decimal("900000000000000.01")
    assert book.schedule(by="year")["amount_minor"].sum() == 90000000000000001
    assert book.consolidated(by="year")["amount_minor"].sum() == 90000000000000001
    burn = book.burn(dt.date(2026, 6, 1)).set_index("agreement_id")
    assert burn.loc["BIG", "committed"] == Decimal("900000000000000.01")
