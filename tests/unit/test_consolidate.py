"""Consolidation without a database: relations applied, nothing counted twice, every removal traceable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.calendars import Grain
from ledger.domain.money import split_schedule
from ledger.reconcile.consolidate import consolidate, relation_plan
from ledger.schedule.schedules import prepare

D = dt.date
B = 100 * 10**9  # one billion dollars in cents
NO_SLICES = pd.DataFrame({"agreement_id": [], "start_date": [], "end_date": [], "amount_minor": []})


def frame(*rows: tuple[str, int | None, str, str, str]) -> pd.DataFrame:
    """(agreement_id, amount_minor, start, last day, basis)."""
    return pd.DataFrame(
        {
            "agreement_id": [r[0] for r in rows],
            "amount_minor": pd.array([r[1] for r in rows], dtype="Int64"),
            "currency": "USD",
            "start_date": np.array([r[2] for r in rows], dtype="datetime64[D]").astype("datetime64[s]"),
            "end_date": np.array([r[3] for r in rows], dtype="datetime64[D]").astype("datetime64[s]"),
            "profile": "straight_line",
            "basis": [r[4] for r in rows],
        }
    )


def run(agreements: pd.DataFrame, relations: list[tuple[str, str, str]], grain: Grain = Grain.YEAR):  # type: ignore[no-untyped-def]
    starts = dict(zip(agreements["agreement_id"], agreements["start_date"].dt.date, strict=True))
    return consolidate(prepare(agreements, NO_SLICES, grain), relation_plan(starts, relations))


def totals(lines: pd.DataFrame) -> dict[str, int]:
    return lines.groupby("agreement_id")["amount_minor"].sum().to_dict()


FOUNDING = frame(
    ("OAI-2026-02-ROUND", 110 * B, "2026-02-27", "2026-02-27", "monthly"),
    ("AMZN-OAI-2026-02", 50 * B, "2026-02-27", "2026-02-27", "monthly"),
    ("AMZN-OAI-2026-02-T1", 15 * B, "2026-02-27", "2026-02-27", "monthly"),
    ("AMZN-OAI-2026-02-T2", 35 * B, "2026-02-27", "2026-02-27", "monthly"),
    ("NVDA-OAI-2026-02", 30 * B, "2026-02-27", "2026-02-27", "monthly"),
    ("SB-OAI-2026-02", 30 * B, "2026-02-27", "2026-02-27", "monthly"),
)
FOUNDING_RELATIONS = [
    ("AMZN-OAI-2026-02", "tranche_of", "OAI-2026-02-ROUND"),
    ("AMZN-OAI-2026-02-T1", "tranche_of", "AMZN-OAI-2026-02"),
    ("AMZN-OAI-2026-02-T2", "tranche_of", "AMZN-OAI-2026-02"),
    ("NVDA-OAI-2026-02", "tranche_of", "OAI-2026-02-ROUND"),
    ("SB-OAI-2026-02", "tranche_of", "OAI-2026-02-ROUND"),
]


def test_the_round_counts_once_through_its_parts() -> None:
    result = run(FOUNDING, FOUNDING_RELATIONS)
    assert totals(result.lines) == {
        "AMZN-OAI-2026-02-T1": 15 * B,
        "AMZN-OAI-2026-02-T2": 35 * B,
        "NVDA-OAI-2026-02": 30 * B,
        "SB-OAI-2026-02": 30 * B,
    }
    assert result.lines["amount_minor"].sum() == 110 * B
    removed = result.adjustments.groupby(["agreement_id", "related_id"])["amount_minor"].sum().to_dict()
    assert removed == {
        ("AMZN-OAI-2026-02", "AMZN-OAI-2026-02-T1"): -15 * B,
        ("AMZN-OAI-2026-02", "AMZN-OAI-2026-02-T2"): -35 * B,
        ("OAI-2026-02-ROUND", "AMZN-OAI-2026-02"): -50 * B,
        ("OAI-2026-02-ROUND", "NVDA-OAI-2026-02"): -30 * B,
        ("OAI-2026-02-ROUND", "SB-OAI-2026-02"): -30 * B,
    }


def test_additional_commitments_both_count() -> None:
    aws = frame(
        ("OAI-AWS-2025-11", 38 * B, "2025-11-01", "2032-10-31", "monthly"),
        ("OAI-AWS-2026-02", 100 * B, "2026-03-01", "2034-02-28", "monthly"),
    )
    result = run(aws, [("OAI-AWS-2026-02", "additional", "OAI-AWS-2025-11")])
    assert totals(result.lines) == {"OAI-AWS-2025-11": 38 * B, "OAI-AWS-2026-02": 100 * B}
    assert result.adjustments.empty


def test_supersedes_removes_exactly_the_remainder_at_every_grain() -> None:
    # $120.00 in 12 monthly instalments from Jan 2026; the newer deal starts 2026-07-15:
    # the older keeps Jan-Jul (70.00) and loses Aug-Dec (50.00).
    deals = frame(
        ("OLD", 12000, "2026-01-01", "2026-12-31", "monthly"), ("NEW", 50000, "2026-07-15", "2027-07-14", "monthly")
    )
    relations = [("NEW", "supersedes", "OLD")]
    expected = {
        Grain.MONTH: {"2026-08": -1000, "2026-09": -1000, "2026-10": -1000, "2026-11": -1000, "2026-12": -1000},
        Grain.QUARTER: {"2026-Q3": -2000, "2026-Q4": -3000},
        Grain.YEAR: {"2026": -5000},
        Grain.CONTRACT_YEAR: {"CY1": -5000},
    }
    for grain, removed in expected.items():
        result = run(deals, relations, grain)
        old = result.adjustments[result.adjustments["agreement_id"] == "OLD"]
        assert dict(zip(old["period"], old["amount_minor"], strict=True)) == removed, grain
        assert set(old["relation_kind"]) == {"supersedes"} and set(old["related_id"]) == {"NEW"}
        assert totals(result.lines) == {"OLD": 7000, "NEW": 50000}


def test_supersedes_on_a_daily_basis_cuts_inside_the_month() -> None:
    # $365.00 over 2026 day by day; cut on 2026-07-15: 195 days kept (181 to June 30, 14 in July).
    deals = frame(
        ("OLD", 36500, "2026-01-01", "2026-12-31", "daily"), ("NEW", 100, "2026-07-15", "2026-07-15", "daily")
    )
    result = run(deals, [("NEW", "supersedes", "OLD")], Grain.MONTH)
    old = result.lines[result.lines["agreement_id"] == "OLD"]
    assert old["amount_minor"].sum() == 19500
    assert old["period"].tolist()[-1] == "2026-07" and old["amount_minor"].tolist()[-1] == 1400


def test_a_restatement_takes_over_the_parts_of_what_it_restates() -> None:
    upsized = pd.concat([FOUNDING, frame(("OAI-2026-03-ROUND", 122 * B, "2026-02-27", "2026-02-27", "monthly"))])
    relations = [*FOUNDING_RELATIONS, ("OAI-2026-03-ROUND", "supersedes", "OAI-2026-02-ROUND")]
    result = run(upsized.reset_index(drop=True), relations)
    counted = totals(result.lines)
    assert counted["OAI-2026-03-ROUND"] == 12 * B  # the investors not itemized
    assert "OAI-2026-02-ROUND" not in counted
    assert result.lines["amount_minor"].sum() == 122 * B
    assert result.plan.parts["OAI-2026-03-ROUND"] == ["AMZN-OAI-2026-02", "NVDA-OAI-2026-02", "SB-OAI-2026-02"]


def test_parts_exceeding_the_whole_leave_it_nothing() -> None:
    deals = frame(("W", 10000, "2026-01-01", "2026-01-01", "monthly"), ("P1", 6000, "2026-01-01", "2026-01-01", "monthly"),
                  ("P2", 6000, "2026-01-01", "2026-01-01", "monthly"))  # fmt: skip
    result = run(deals, [("P1", "tranche_of", "W"), ("P2", "tranche_of", "W")])
    assert totals(result.lines) == {"P1": 6000, "P2": 6000}
    assert result.adjustments.groupby("related_id")["amount_minor"].sum().to_dict() == {"P1": -5000, "P2": -5000}


def test_the_whole_keeps_what_its_parts_leave_and_its_timing() -> None:
    deals = frame(
        ("W", 12000, "2026-01-01", "2026-12-31", "monthly"), ("P", 3000, "2026-06-01", "2026-06-01", "monthly")
    )
    result = run(deals, [("P", "tranche_of", "W")], Grain.QUARTER)
    whole = result.lines[result.lines["agreement_id"] == "W"]
    assert whole["amount_minor"].tolist() == [2250, 2250, 2250, 2250]  # 9000 spread as the whole was
    assert totals(result.lines) == {"W": 9000, "P": 3000}


def test_expands_chains_report_one_contract() -> None:
    deals = frame(("A", 100, "2025-03-01", "2030-02-28", "monthly"), ("B", 40, "2025-06-01", "2030-03-31", "monthly"),
                  ("C", 65, "2025-10-01", "2030-03-31", "monthly"))  # fmt: skip
    result = run(deals, [("B", "expands", "A"), ("C", "expands", "B")])
    assert set(result.lines["contract_id"]) == {"A"}
    assert totals(result.lines) == {"A": 100, "B": 40, "C": 65}


@given(
    st.lists(st.integers(0, 10**17), min_size=1, max_size=30), st.lists(st.integers(0, 10**17), min_size=1, max_size=6)
)
def test_split_schedule_ties_out_both_ways(amounts: list[int], weights: list[int]) -> None:
    from fractions import Fraction

    from ledger.domain.money import split_by_weights

    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    pieces = split_schedule(amounts, weights)
    total = sum(amounts)
    shares = split_by_weights(total, weights)
    for period, amount in enumerate(amounts):
        assert sum(piece[period] for piece in pieces) == amount
    for piece, share in zip(pieces, shares, strict=True):
        assert all(part >= 0 for part in piece)
        assert sum(piece) == share
        accrued = running = 0
        for period, part in enumerate(piece):
            accrued += amounts[period]
            running += part
            if total:
                assert abs(running - Fraction(accrued * share, total)) < 1  # within one unit of its exact share


def test_split_schedule_hand_checked() -> None:
    # 5.13 then 0.01 split 505 : 5 : 104 -> shares 4.22, 0.04, 0.88 (floor rule on the total 5.14)
    assert split_schedule([513, 1], [505, 5, 104]) == [[421, 1], [4, 0], [88, 0]]
