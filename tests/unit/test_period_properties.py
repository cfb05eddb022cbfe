"""Property tests of the one period rule: for random agreements of every profile and basis, starting on any
day (month ends and 29 February favoured), burn's per-period figures, the FOCUS rows and the schedule agree
to the minor unit. No database: the same pure functions the services call."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.burn.position import Minimum, position
from ledger.domain.agreements import Term
from ledger.domain.calendars import Grain
from ledger.domain.dates import add_months
from ledger.domain.money import MAX_MINOR, format_minor, pico_per_minor, split_by_weights
from ledger.domain.spend import MinimumPeriod
from ledger.io.readers import read_records
from ledger.reconcile.consolidate import RelationPlan, consolidate
from ledger.render.burn_output import focus_commitments
from ledger.schedule.schedules import prepare_pieces, schedule_frame
from ledger.services.spend import terms_of

SPECIAL_STARTS = [dt.date(2024, 2, 29), dt.date(2025, 1, 31), dt.date(2025, 1, 15), dt.date(2025, 8, 31)]


@st.composite
def commitments(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Minimum]]:
    start = draw(st.one_of(st.sampled_from(SPECIAL_STARTS), st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31))))
    if draw(st.booleans()):
        term = Term.of_months(start, draw(st.integers(1, 72)))
    else:
        term = Term(start, start + dt.timedelta(days=draw(st.integers(1, 2200))))
    total = draw(st.one_of(st.integers(1, 100_000), st.integers(1, MAX_MINOR)))
    profile = draw(st.sampled_from(["straight_line", "tranches", "ramp"]))
    basis = draw(st.sampled_from(["monthly", "daily"]))
    entry = {
        "agreement_id": "C-1", "kind": "cloud_commitment", "payer": "Lab", "payee": "Cloud", "currency": "USD",
        "amount": format_minor(total, "USD"), "start_date": term.start, "end_date": term.last_day, "profile": profile,
        "basis": basis, "status": "binding",
    }  # fmt: skip
    if profile == "tranches":  # contract-year amounts in random proportions
        years = term.contract_years()
        weights = draw(st.lists(st.integers(0, 50), min_size=len(years), max_size=len(years)))
        entry["tranche_amounts"] = [format_minor(p, "USD") for p in split_by_weights(total, [w + 1 for w in weights])]
    batch = read_records("property", agreements=[entry]).batch  # ramps: linear weights
    frame, sliced = batch.agreements, batch.slices
    minimums = {}
    if draw(st.booleans()):
        period = draw(st.sampled_from(list(MinimumPeriod)))
        minimums["C-1"] = Minimum(draw(st.integers(0, max(total // 20, 1))), period)
    return frame, sliced, minimums


def terms_for(frame: pd.DataFrame, sliced: pd.DataFrame, minimums: dict[str, Minimum]):  # type: ignore[no-untyped-def]
    (terms,) = terms_of(frame, consolidate(prepare_pieces(frame, sliced), RelationPlan()), minimums)
    return terms


@settings(max_examples=80, deadline=None)
@given(commitments())
def test_burn_contract_years_are_the_schedules(case: tuple[pd.DataFrame, pd.DataFrame, dict[str, Minimum]]) -> None:
    frame, sliced, minimums = case
    terms = terms_for(frame, sliced, minimums)
    total = int(frame["amount_minor"].iloc[0])
    assert terms.committed_minor == sum(terms.schedule.values()) == total
    assert terms.last_day == frame["end_date"].iloc[0].date()

    years = schedule_frame(frame, sliced, Grain.CONTRACT_YEAR)
    unit = pico_per_minor("USD")
    burn_years = [q for q in position(terms, {}, terms.start).periods if q.kind == "contract_year"]
    # every contract year of the schedule, including those in which nothing falls
    scheduled = dict(zip(years["period"], years["amount_minor"], strict=True))
    assert [q.required_pico // unit for q in burn_years] == [scheduled.get(q.label, 0) for q in burn_years]
    for q in burn_years:
        if q.label in scheduled:
            row = years[years["period"] == q.label].iloc[0]
            assert (q.start, q.last_day) == (row["period_start"].date(), row["period_end"].date())

    # the pieces roll up to the schedule's calendar months
    months = schedule_frame(frame, sliced, Grain.MONTH)
    by_month: dict[dt.date, int] = defaultdict(int)
    for start, amount in terms.schedule.items():
        by_month[start.replace(day=1)] += amount
    assert {m: v for m, v in by_month.items() if v} == dict(
        zip(months["period_start"].dt.date, months["amount_minor"], strict=True)
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=commitments())
def test_focus_rows_partition_the_commitment(
    focus_rules,  # type: ignore[no-untyped-def]  # a pure function: safe to share between examples
    case: tuple[pd.DataFrame, pd.DataFrame, dict[str, Minimum]],
) -> None:
    frame, sliced, minimums = case
    terms = terms_for(frame, sliced, minimums)
    rows = focus_commitments([terms])
    records = [{k: (None if pd.isna(v) else str(v)) for k, v in r.items()} for r in rows.to_dict("records")]
    assert focus_rules(records) == []
    costs = [Decimal(c) for c in rows["ContractCommitmentCost"]]
    # Rows partition each binding period (a contract year of tranches, else the term): its minimums and the
    # balance they leave; where the minimums add up to more than the period's amount, they are what is due.
    if frame["profile"].iloc[0] == "tranches":
        years = schedule_frame(frame, sliced, Grain.CONTRACT_YEAR)
        amounts = dict(zip(years["period"], years["amount_minor"], strict=True))
        bases = {
            q.label: amounts.get(q.label, 0)
            for q in position(terms, {}, terms.start).periods
            if q.kind == "contract_year"
        }
    else:
        bases = {"": int(frame["amount_minor"].iloc[0])}
    minimums_of: dict[str, Decimal] = defaultdict(Decimal)
    for commitment_id, kind, cost in zip(
        rows["ContractCommitmentId"], rows["ContractCommitmentType"], costs, strict=True
    ):
        if kind == "Minimum":  # ids: C-1/M3 within the term, C-1/CY2/M3 within a binding contract year
            minimums_of[commitment_id.split("/")[1] if len(bases) > 1 or "" not in bases else ""] += cost
    assert sum(costs) == sum(max(Decimal(a) / 100, minimums_of[label]) for label, a in bases.items())
    end = f"{(terms.last_day + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
    assert set(rows["ContractPeriodEnd"]) == {end} and set(rows["ContractId"]) == {"C-1"}
    assert rows["ContractCommitmentId"].is_unique
    assert (rows["ContractCommitmentPeriodStart"] < rows["ContractCommitmentPeriodEnd"]).all()
    assert rows["ContractCommitmentPeriodEnd"].max() == end
    if frame["profile"].iloc[0] == "tranches" and not minimums:
        focus_years = dict(zip(rows["ContractCommitmentId"], costs, strict=True))
        for label, amount in zip(years["period"], years["amount_minor"], strict=True):
            assert focus_years[f"C-1/{label}"] == Decimal(int(amount)) / 100


@settings(max_examples=60, deadline=None)
@given(commitments(), st.integers(0, 2400))
def test_expected_to_date_grows_to_the_total(
    case: tuple[pd.DataFrame, pd.DataFrame, dict[str, Minimum]], offset: int
) -> None:
    frame, sliced, minimums = case
    terms = terms_for(frame, sliced, minimums)
    day = terms.start + dt.timedelta(days=offset)
    later = add_months(day, 1)
    assert 0 <= position(terms, {}, day).expected_pico <= position(terms, {}, later).expected_pico
    assert position(terms, {}, terms.last_day).expected_pico == terms.committed_minor * pico_per_minor("USD")
