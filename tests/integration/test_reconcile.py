"""Reconciliation on SQLite and PostgreSQL: consolidated schedules, stored adjustments and findings."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import jsonschema

from ledger.api import Ledger
from ledger.services import seed_dir

SQL = Callable[[str], list[tuple]]  # type: ignore[type-arg]  # the `sql` fixture (conftest)


def schema() -> dict:  # type: ignore[type-arg]
    import ledger.reconcile

    return json.loads((Path(ledger.reconcile.__file__).parent / "findings.schema.json").read_text())


def test_founding_example_counts_each_deal_once(book: Ledger) -> None:
    book.import_file(seed_dir() / "00_parties.yaml", seed_dir() / "10_founding_example.yaml")
    yearly = book.consolidated(by="year", by_agreement=True)
    counted = yearly.groupby("agreement_id")["amount"].sum().to_dict()
    assert counted["OAI-AWS-2025-11"] == Decimal("38000000000.00")
    assert counted["OAI-AWS-2026-02"] == Decimal("100000000000.00")
    investments = {k: v for k, v in counted.items() if not k.startswith("OAI-AWS")}
    assert investments == {
        "AMZN-OAI-2026-02-T1": Decimal("15000000000.00"),
        "AMZN-OAI-2026-02-T2": Decimal("35000000000.00"),
        "NVDA-OAI-2026-02": Decimal("30000000000.00"),
        "SB-OAI-2026-02": Decimal("30000000000.00"),
        "ANTH-2026-02-SERIES-G": Decimal("30000000000.00"),
    }
    into_openai = book.consolidated(by="year", payee="OpenAI")
    assert into_openai["amount"].sum() == Decimal("110000000000.00")  # the round once, not once plus its tranches
    by_group = book.consolidated(by="year", payee="OpenAI", rollup=True).groupby("payer")["amount"].sum().to_dict()
    assert by_group == {
        "Amazon": Decimal("50000000000.00"),
        "Nvidia": Decimal("30000000000.00"),
        "SoftBank": Decimal("30000000000.00"),
    }


def test_seeded_pairs_follow_the_relations(book: Ledger) -> None:
    book.seed()
    totals = book.consolidated(by="year", rollup=True).groupby(["payer", "payee"])["amount"].sum()
    assert totals["OpenAI", "Amazon"] == Decimal("138000000000.00")  # additional: both count
    assert totals["OpenAI", "Oracle"] == Decimal("300000000000.00")  # the $30B a year is restated
    assert totals["OpenAI", "Microsoft"] == Decimal("250000000000.00")
    # the $122B round restates the $110B one and keeps its investors: it counts once
    assert totals["Investors in OAI-2026-03-ROUND", "OpenAI"] == Decimal("12000000000.00")
    oracle = book.adjustments(by="year")
    oracle = oracle[oracle["agreement_id"] == "OAI-ORCL-2025-07"]
    assert oracle["amount"].sum() == Decimal("-30000000000.00") and set(oracle["related_id"]) == {"OAI-ORCL-2025-09"}


def test_stored_adjustments_give_the_consolidated_views(book: Ledger, sql: SQL) -> None:
    book.seed()
    service = book.consolidated(by="year", by_agreement=True)
    expected = {
        (k, p, a) for k, p, a in zip(service["agreement_id"], service["period"], service["amount_minor"], strict=True)
    }
    assert set(sql("SELECT agreement_id, period, amount_minor FROM v_consolidated_schedule_year")) == expected
    removed = dict(
        ((a, r), m)
        for a, r, m in sql(
            "SELECT agreement_id, related_agreement_id, amount_minor FROM v_adjustment WHERE relation_kind = 'supersedes'",
        )
    )
    assert removed == {
        ("OAI-2026-02-ROUND", "OAI-2026-03-ROUND"): -11_000_000_000_000,
        ("OAI-ORCL-2025-07", "OAI-ORCL-2025-09"): -3_000_000_000_000,
    }
    contracts = dict(sql("SELECT agreement_id, contract_id FROM v_contract WHERE agreement_id LIKE 'OAI-CRWV-2025-0_'"))
    assert contracts == {
        "OAI-CRWV-2025-03": "OAI-CRWV-2025-03",
        "OAI-CRWV-2025-05": "OAI-CRWV-2025-03",
        "OAI-CRWV-2025-09": "OAI-CRWV-2025-03",
    }


def test_supersedes_removes_the_remainder_to_the_cent_at_every_grain(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "restated.csv"
    path.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,basis,relation_to,relation_kind\n"
        "OLD,cloud_commitment,Acme,Cloudco,1000000.00,USD,2026-01-01,24,daily,,\n"
        "NEW,cloud_commitment,Acme,Cloudco,3000000.00,USD,2026-09-10,36,monthly,OLD,supersedes\n"
    )
    book.import_file(path)
    gross = book.schedule(by="month", agreements=["OLD"])
    cut_lines = gross[gross["period_start"] >= "2026-09-01"]
    # the kept part: 252 of 730 days (Jan 1 .. Sep 9, 2026) of 1,000,000.00
    kept = 100_000_000 * 252 // 730
    for grain in ("month", "quarter", "year", "fiscal-year", "contract-year"):
        removed = book.adjustments(by=grain)
        assert removed["amount_minor"].sum() == -(100_000_000 - kept), grain
        consolidated = book.consolidated(by=grain, agreements=["OLD"], by_agreement=True)
        assert consolidated["amount_minor"].sum() == kept, grain
    september = book.adjustments(by="month")
    assert september.loc[september["period"] == "2026-09", "amount_minor"].item() == -(
        cut_lines["amount_minor"].iloc[0]
        - (kept - gross.loc[gross["period_start"] < "2026-09-01", "amount_minor"].sum())
    )


def test_reconcile_on_the_seeds_validates_against_the_schema(book: Ledger) -> None:
    book.seed()
    findings = book.reconcile()
    payload = {
        "findings": [f.as_json() for f in findings],
        "counts": {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")},
    }
    jsonschema.validate(payload, schema())
    kinds = {(f.kind, f.agreements) for f in findings}
    # sources' known inconsistencies that the data can express (README of the reference data: #1, #2, #3, #9, #11, #12)
    assert ("rate_vs_total", ("OAI-ORCL-2025-07",)) in kinds
    assert ("rate_vs_total", ("ANTH-SPACEX-2026-05",)) in kinds
    assert ("unlinked_reference", ("NVDA-OAI-2025-09-LOI", "NVDA-OAI-2026-02")) in kinds
    assert ("unlinked_reference", ("AMZN-OAI-2025-12-TALKS", "AMZN-OAI-2026-02")) in kinds
    assert ("overlap_unexplained", ("ANTH-GOOG-2023-CLOUD", "ANTH-GOOG-2026-05-CLOUD")) in kinds
    short = {f.agreements[0]: f.difference_minor for f in findings if f.kind == "parts_short_of_whole"}
    assert short["OAI-2025-03-ROUND"] == -1_000_000_000_000  # $40B round, SoftBank's $7.5B + $22.5B itemized
    assert not [f for f in findings if f.severity == "error"]


def test_every_finding_kind_end_to_end(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "messy.yaml"
    path.write_text(
        """
agreements:
  - {agreement_id: R, kind: funding_round, payer: Investors in R, payee: Lab, amount: '100.00', currency: USD, start_date: 2026-01-10}
  - {agreement_id: P1, kind: equity_investment, payer: Fund, payee: Lab, amount: '70.00', currency: USD, start_date: 2026-01-10, relation_to: R, relation_kind: tranche_of}
  - {agreement_id: P2, kind: equity_investment, payer: Bank, payee: Lab, amount: '40.00', currency: USD, start_date: 2026-01-10, relation_to: R, relation_kind: tranche_of}
  - {agreement_id: C1, kind: cloud_commitment, payer: Lab, payee: Cloud, amount: '1000.00', currency: USD, start_date: 2026-01-01, term_months: 12}
  - {agreement_id: C2, kind: cloud_commitment, payer: Lab, payee: Cloud, amount: '1020.00', currency: USD, start_date: 2026-03-01, term_months: 12}
  - {agreement_id: C3, kind: cloud_commitment, payer: Lab, payee: Cloud, amount: '5000.00', currency: USD, start_date: 2026-06-01, term_months: 12, notes: about $5000 PER YEAR}
  - {agreement_id: X, kind: cloud_commitment, payer: Lab, payee: Other, amount: '1.00', currency: USD, start_date: 2026-01-01, term_months: 1, relation_to: Y, relation_kind: additional}
  - {agreement_id: Y, kind: cloud_commitment, payer: Lab, payee: Other, amount: '1.00', currency: USD, start_date: 2026-01-01, term_months: 1, relation_to: X, relation_kind: supersedes, notes: see C1}
valuations:
  - {valuation_id: PRE, party: Lab, kind: pre_money, amount: '900.00', currency: USD, as_of: 2026-01-10, round: R}
  - {valuation_id: POST, party: Lab, kind: post_money, amount: '1050.00', currency: USD, as_of: 2026-01-10, round: R}
"""
    )
    book.import_file(path)
    found = {(f.kind, f.agreements): f for f in book.reconcile()}
    assert found["parts_exceed_whole", ("R", "P1", "P2")].difference_minor == 1000
    assert found["probable_duplicate", ("C1", "C2")].difference_minor == 2000
    assert ("overlap_unexplained", ("C1", "C3")) in found and ("overlap_unexplained", ("C2", "C3")) in found
    assert found["valuation_mismatch", ("R", "PRE", "POST")].difference_minor == 5000  # 1050 - (900 + 100)
    assert ("rate_vs_total", ("C3",)) in found
    assert ("relation_cycle", ("X", "Y")) in found
    assert ("unlinked_reference", ("Y", "C1")) in found
    consolidated = book.consolidated(by="year", payee="Lab", rollup=True)
    assert consolidated["amount_minor"].sum() == 11000  # the parts count (70 + 40); the whole keeps nothing
