"""Reconciliation findings on hand-checked cases, one test per kind."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ledger.reconcile.findings import (
    Deal,
    Severity,
    ValuationPoint,
    overlap_findings,
    parts_findings,
    rate_findings,
    reference_findings,
    relation_findings,
    valuation_findings,
)

B = 100 * 10**9


def deals(*rows: tuple[str, str, str, str, str, int | None]) -> pd.DataFrame:
    """(agreement_id, payer group, payee group, start, last day, amount_minor)"""
    return pd.DataFrame(
        {
            "agreement_id": [r[0] for r in rows],
            "kind": "cloud_commitment",
            "payer_group": [r[1] for r in rows],
            "payee_group": [r[2] for r in rows],
            "start_date": [dt.date.fromisoformat(r[3]) for r in rows],
            "end_date": [dt.date.fromisoformat(r[4]) for r in rows],
            "amount_minor": pd.array([r[5] for r in rows], dtype="Int64"),
            "currency": "USD",
        }
    )


NO_SOURCES = pd.DataFrame({"agreement_id": [], "url": []})


def test_unexplained_overlap_and_what_explains_it() -> None:
    table = deals(
        ("A", "Anthropic", "Alphabet", "2023-01-01", "2026-12-31", 3 * B),
        ("B", "Anthropic", "Alphabet", "2026-01-01", "2030-12-31", 200 * B),
        ("C", "Anthropic", "Alphabet", "2031-01-01", "2031-12-31", 1 * B),  # after B: no overlap
        ("D", "Anthropic", "Amazon", "2026-01-01", "2030-12-31", 100 * B),  # other payee
    )
    (finding,) = overlap_findings(table, [], NO_SOURCES)
    assert (finding.kind, finding.severity, finding.agreements) == ("overlap_unexplained", Severity.WARNING, ("A", "B"))
    assert finding.suggested_relation == "additional" and finding.as_json()["amount"] == "200000000000.00"
    assert overlap_findings(table, [("B", "additional", "A")], NO_SOURCES) == []
    assert overlap_findings(table, [("B", "expands", "X"), ("X", "expands", "A")], NO_SOURCES) == []  # a chain


def test_probable_duplicates_by_amount_or_source() -> None:
    table = deals(
        ("A", "OpenAI", "Oracle", "2027-01-01", "2031-12-31", 300 * B),
        ("B", "OpenAI", "Oracle", "2027-06-01", "2031-12-31", 309 * B),  # 3% apart
    )
    (finding,) = overlap_findings(table, [], NO_SOURCES)
    assert finding.kind == "probable_duplicate" and finding.suggested_relation == "supersedes"
    assert finding.as_json()["difference"] == "9000000000.00"
    apart = deals(
        ("A", "OpenAI", "Oracle", "2027-01-01", "2031-12-31", 300 * B),
        ("B", "OpenAI", "Oracle", "2027-06-01", "2031-12-31", 330 * B),  # 10% apart
    )
    assert overlap_findings(apart, [], NO_SOURCES)[0].kind == "overlap_unexplained"
    shared = pd.DataFrame({"agreement_id": ["A", "B"], "url": ["https://x.example/deal", "https://x.example/deal"]})
    (same_source,) = overlap_findings(apart, [], shared)
    assert same_source.kind == "probable_duplicate" and "https://x.example/deal" in same_source.message


def test_parts_against_their_whole() -> None:
    book = {
        "ROUND": Deal(110 * B, "USD", "Investors in ROUND"),
        "AMZN": Deal(50 * B, "USD", "Amazon"),
        "T1": Deal(15 * B, "USD", "Amazon"),
        "T2": Deal(40 * B, "USD", "Amazon"),
        "NVDA": Deal(30 * B, "USD", "Nvidia"),
        "SB": Deal(30 * B, "USD", "SoftBank"),
        "SB40": Deal(40 * B, "USD", "Investors in SB40"),
        "SBT1": Deal(75 * B // 10, "USD", "SoftBank"),
        "SBT2": Deal(225 * B // 10, "USD", "SoftBank"),
        "MSFT": Deal(None, "USD", "Microsoft"),
    }
    found = parts_findings(
        book, {"ROUND": ["AMZN", "NVDA", "SB"], "AMZN": ["T1", "T2"], "SB40": ["SBT1", "SBT2", "MSFT"]}
    )
    exceed, short = found
    assert (exceed.kind, exceed.severity, exceed.agreements) == (
        "parts_exceed_whole",
        Severity.ERROR,
        ("AMZN", "T1", "T2"),
    )
    assert exceed.as_json()["difference"] == "5000000000.00"  # 15 + 40 - 50
    assert (short.kind, short.severity) == ("parts_short_of_whole", Severity.INFO)
    assert short.as_json()["difference"] == "-10000000000.00" and "(and 1 undisclosed)" in short.message


def test_staged_deal_short_of_its_whole_is_a_warning() -> None:
    book = {"W": Deal(4 * B, "USD", "Amazon"), "T1": Deal(125 * B // 100, "USD", "Amazon")}
    (finding,) = parts_findings(book, {"W": ["T1"]})
    assert finding.severity == Severity.WARNING and finding.as_json()["difference"] == "-2750000000.00"


def test_valuations_pre_plus_new_money_against_post() -> None:
    book = {"R": Deal(110 * B, "USD", "Investors in R")}

    def check(post: int) -> list:  # type: ignore[type-arg]
        points = [
            ValuationPoint("PRE", "R", "pre_money", 730 * B, "USD"),
            ValuationPoint("POST", "R", "post_money", post, "USD"),
        ]
        return valuation_findings(points, book)

    assert check(840 * B) == []  # the founding example: consistent
    assert check(845 * B) == []  # 0.6% off: within the 1% tolerance of rounded reports
    (finding,) = check(860 * B)
    assert finding.kind == "valuation_mismatch" and finding.agreements == ("R", "PRE", "POST")
    assert finding.as_json()["difference"] == "20000000000.00"


def test_rates_taken_for_totals() -> None:
    table = pd.DataFrame(
        {
            "agreement_id": ["ORCL-07", "ORCL-09", "TOTAL"],
            "notes": [
                "approximately $30B PER YEAR (Oracle annual revenue starting FY2028)",
                "reported (WSJ); ~five years starting 2027; implies ~$60B/yr vs $30B/yr",
                "seven-year; usable immediately",
            ],
            "amount_minor": pd.array([30 * B, 300 * B, 38 * B], dtype="Int64"),
            "currency": "USD",
            "term_months": pd.array([12, 60, 84], dtype="Int64"),
        }
    )
    (finding,) = rate_findings(table)
    assert finding.agreements == ("ORCL-07",) and "PER YEAR" in finding.message and "12 months" in finding.message


def test_relation_loops_and_missing_targets_are_errors() -> None:
    found = relation_findings(
        ["A", "B", "C"], [("A", "supersedes", "B"), ("B", "expands", "A"), ("C", "additional", "Z")]
    )
    assert {(f.kind, f.severity, f.agreements) for f in found} == {
        ("missing_relation_target", Severity.ERROR, ("C", "Z")),
        ("relation_cycle", Severity.ERROR, ("A", "B")),
    }


def test_notes_naming_an_unrelated_agreement() -> None:
    table = pd.DataFrame(
        {
            "agreement_id": ["NVDA-OAI-2025-09-LOI", "NVDA-OAI-2026-02", "X"],
            "notes": ["replaced by NVDA-OAI-2026-02", "replaces the LOI NVDA-OAI-2025-09-LOI", "see NVDA-OAI-2026-02"],
        }
    )
    found = reference_findings(table, [("X", "tranche_of", "NVDA-OAI-2026-02")])
    assert [f.agreements for f in found] == [("NVDA-OAI-2025-09-LOI", "NVDA-OAI-2026-02")]  # each pair once
