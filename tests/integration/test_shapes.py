"""The shapes users bring, on SQLite and PostgreSQL: mid-month starts, amounts near the limit with every
relation, every status. Each output is checked against the others (schedule, burn, FOCUS export, views)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ledger.api import Ledger
from ledger.errors import SchemaError
from ledger.render.flows_output import as_json as cycles_json
from ledger.services import flows

SQL = Callable[[str], list[tuple]]  # type: ignore[type-arg]  # the `sql` fixture (conftest)

D = dt.date


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "deals.csv"
    path.write_text(body)
    return path


MID_MONTH = (
    "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,profile,tranche_amounts,status\n"
    "TR-1,cloud_commitment,Acme,Cloudco,600.00,USD,2025-01-15,36,tranches,100.00;200.00;300.00,binding\n"
    "SL-1,cloud_commitment,Acme,Cloudco Two,1200.00,USD,2025-01-15,12,,,\n"
)


def test_mid_month_contract_years_agree_in_schedule_burn_and_focus(book: Ledger, tmp_path: Path) -> None:
    book.import_file(write(tmp_path, MID_MONTH))
    years = book.schedule(by="contract-year", agreements=["TR-1"])
    assert years["amount"].tolist() == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00")]
    periods = book.burn_periods(D(2026, 6, 1), ["TR-1"])
    assert periods["required"].tolist() == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00")]
    assert periods["period_end"].tolist() == ["2026-01-14", "2027-01-14", "2028-01-14"]
    burn = book.burn(D(2026, 6, 1)).set_index("agreement_id")
    assert burn.loc["TR-1", "end_date"] == "2028-01-14" and burn.loc["SL-1", "end_date"] == "2026-01-14"

    focus = book.focus_commitments().set_index("ContractCommitmentId")
    assert focus.loc[["TR-1/CY1", "TR-1/CY2", "TR-1/CY3"], "ContractCommitmentCost"].tolist() == [
        "100.00",
        "200.00",
        "300.00",
    ]
    assert focus.loc["TR-1/CY3", "ContractCommitmentPeriodEnd"] == "2028-01-15T00:00:00Z"
    assert set(focus.loc[focus["ContractId"] == "TR-1", "ContractPeriodEnd"]) == {"2028-01-15T00:00:00Z"}
    assert focus.loc["SL-1", "ContractCommitmentPeriodEnd"] == "2026-01-15T00:00:00Z"
    assert focus.loc["SL-1", "ContractPeriodEnd"] == "2026-01-15T00:00:00Z"


NEAR_LIMIT = (
    "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,relation_to,relation_kind\n"
    "OLD,cloud_commitment,Lab,Cloud,999999999999999.97,USD,2025-01-01,24,,\n"
    "NEW,cloud_commitment,Lab,Cloud,999999999999999.97,USD,2026-01-01,24,OLD,supersedes\n"
    "MORE,cloud_commitment,Lab,Cloud,999999999999999.99,USD,2027-01-01,12,NEW,expands\n"
    "EXTRA,cloud_commitment,Lab,Cloud,999999999999999.95,USD,2028-01-01,12,NEW,additional\n"
    "ROUND,funding_round,Investors,Lab,999999999999999.99,USD,2025-06-01,,,\n"
    "STAKE,equity_investment,Cloud,Lab,333333333333333.33,USD,2025-06-01,,ROUND,tranche_of\n"
)


def test_amounts_near_the_limit_stay_exact_through_every_output(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    book.import_file(write(tmp_path, NEAR_LIMIT))
    gross = book.schedule(by="year").groupby("agreement_id")["amount"].sum().to_dict()
    assert gross["OLD"] == gross["NEW"] == Decimal("999999999999999.97") and gross["MORE"] == Decimal(
        "999999999999999.99"
    )
    gross_view = sql("SELECT agreement_id, sum(amount_minor) FROM v_schedule_year GROUP BY agreement_id")
    assert {k: int(v) for k, v in gross_view}["OLD"] == 99999999999999997
    consolidated = book.consolidated(by="year", by_agreement=True)
    got = {
        (k, p): a
        for k, p, a in zip(consolidated["agreement_id"], consolidated["period"], consolidated["amount"], strict=True)
    }
    assert got[("OLD", "2025")] == Decimal("499999999999999.98")  # cut where NEW starts
    assert ("OLD", "2026") not in got
    assert got[("NEW", "2026")] == Decimal("499999999999999.98")
    assert got[("NEW", "2027")] == Decimal("499999999999999.99")
    assert got[("MORE", "2027")] == Decimal("999999999999999.99")
    assert got[("EXTRA", "2028")] == Decimal("999999999999999.95")
    assert got[("STAKE", "2025")] == Decimal("333333333333333.33")
    assert got[("ROUND", "2025")] == Decimal("666666666666666.66")  # the whole keeps what its part leaves
    assert all(isinstance(v, Decimal) for v in got.values())
    assert consolidated["amount_minor"].dtype == "int64"

    # the SQL views give the same lines, to the minor unit
    views = sql("SELECT agreement_id, period, amount_minor FROM v_consolidated_schedule_year")
    assert {(k, p): int(m) for k, p, m in views} == {
        (k, p): int(m)
        for k, p, m in zip(
            consolidated["agreement_id"], consolidated["period"], consolidated["amount_minor"], strict=True
        )
    }
    adjustments = book.adjustments(by="year")
    removed = adjustments[adjustments["agreement_id"] == "OLD"]["amount"].sum()
    assert removed == Decimal("-499999999999999.99")

    burn = book.burn(D(2026, 6, 30)).set_index("agreement_id")
    assert burn.loc["OLD", "committed"] == Decimal("499999999999999.98")
    assert burn.loc["OLD", "end_date"] == "2025-12-31"
    assert burn.loc["NEW", "committed"] == Decimal("999999999999999.97")
    burn_view = dict(sql("SELECT agreement_id, committed_minor FROM v_commitment_burn"))
    assert {k: int(v) for k, v in burn_view.items()} == {
        "OLD": 49999999999999998,
        "NEW": 99999999999999997,
        "MORE": 99999999999999999,
        "EXTRA": 99999999999999995,
    }

    focus = book.focus_commitments()
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for contract, cost in zip(focus["ContractId"], focus["ContractCommitmentCost"], strict=True):
        costs[contract] += Decimal(cost)
    # NEW and MORE are one contract (expands); OLD and EXTRA stand alone
    assert costs == {
        "OLD": Decimal("499999999999999.98"),
        "NEW": Decimal("1999999999999999.96"),
        "EXTRA": Decimal("999999999999999.95"),
    }

    analysis = flows.analyse_flows(book.unit_of_work)
    report = json.loads(json.dumps(cycles_json(analysis, flows.FlowRequest())))
    firm = {(e["payer"], e["payee"]): e["firm"] for e in report["cycles"][0]["edges"]}
    # 499999999999999.98 + 1999999999999999.96 + 999999999999999.95, the counted commitments to the cent
    assert firm == {("Cloud", "Lab"): "333333333333333.33", ("Lab", "Cloud"): "3499999999999999.89"}
    assert report["suppliers"][0]["backlog"] == "3499999999999999.89"


STATUSES = (
    "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,status,relation_to,relation_kind\n"
    "BASE,cloud_commitment,Lab,Cloud,1200.00,USD,2026-01-01,12,binding,,\n"
    "GONE,cloud_commitment,Lab,Cloud,900000.00,USD,2026-01-01,12,cancelled,,\n"
    "TALK,cloud_commitment,Lab,Cloud,2400.00,USD,2026-07-01,12,proposed,BASE,supersedes\n"
    "BACK,equity_investment,Cloud,Lab,5000.00,USD,2026-01-01,,proposed,,\n"
)


def test_statuses_count_as_they_say(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    book.import_file(write(tmp_path, STATUSES))
    assert set(book.agreements()["status"]) == {"binding", "cancelled", "proposed"}  # all still listed
    assert set(book.schedule()["agreement_id"]) == {"BASE", "TALK", "BACK"}  # cancelled has no schedule

    consolidated = book.consolidated(by="year", by_agreement=True)
    assert consolidated.set_index("agreement_id")["amount"].to_dict() == {"BASE": Decimal("1200.00")}
    proposed = book.consolidated(by="year", by_agreement=True, include_proposed=True)
    # counted, the proposed restatement cuts BASE where it starts
    assert proposed.groupby("agreement_id")["amount"].sum().to_dict() == {
        "BASE": Decimal("600.00"),
        "TALK": Decimal("2400.00"),
        "BACK": Decimal("5000.00"),
    }
    views = sql("SELECT agreement_id, amount_minor FROM v_consolidated_schedule_year")
    assert [(k, int(v)) for k, v in views] == [("BASE", 120000)]

    burn = book.burn(D(2026, 12, 31)).set_index("agreement_id")
    assert burn.index.tolist() == ["BASE", "GONE"]
    assert burn.loc["GONE", ["status", "committed", "shortfall"]].tolist() == ["cancelled", Decimal("0.00"), Decimal(0)]
    assert burn.loc["BASE", "shortfall"] == Decimal("1200.00")
    assert set(book.burn(D(2026, 12, 31), include_proposed=True)["agreement_id"]) == {"BASE", "GONE", "TALK"}
    assert [k for (k,) in sql("SELECT agreement_id FROM v_commitment_burn")] == ["BASE"]

    assert set(book.focus_commitments()["ContractId"]) == {"BASE"}
    assert set(book.focus_commitments(include_proposed=True)["ContractId"]) == {"BASE", "TALK"}

    edges = flows.analyse_flows(book.unit_of_work).edges
    assert [e.agreements for e in edges.values()] == [["BASE"]]
    counted = flows.analyse_flows(book.unit_of_work, flows.FlowRequest(include_proposed=True)).edges
    assert {a for e in counted.values() for a in e.agreements} == {"BASE", "TALK", "BACK"}


CONTRACTS = (
    "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,relation_to,relation_kind\n"
    "STAKE,equity_investment,Cloud,Lab,5000.00,USD,2025-01-01,,,\n"
    "SPEND,cloud_commitment,Lab,Cloud,1200.00,USD,2025-03-01,12,STAKE,expands\n"
    "GROW,cloud_commitment,Lab,Cloud,2400.00,USD,2026-03-01,24,SPEND,expands\n"
)


def test_a_contract_is_one_kind_between_the_same_parties(book: Ledger, tmp_path: Path, sql: SQL) -> None:
    book.import_file(write(tmp_path, CONTRACTS))
    focus = book.focus_commitments()
    assert set(focus["ContractId"]) == {"SPEND"}  # never the equity stake's
    assert set(zip(focus["ContractPeriodStart"], focus["ContractPeriodEnd"], strict=True)) == {
        ("2025-03-01T00:00:00Z", "2028-03-01T00:00:00Z")
    }
    contracts = dict(sql("SELECT agreement_id, contract_id FROM v_contract"))
    assert contracts == {"STAKE": "STAKE", "SPEND": "SPEND", "GROW": "SPEND"}


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_schema_errors_never_show_a_password(empty_db_url: str) -> None:
    from sqlalchemy.engine import make_url

    secret = make_url(empty_db_url).set(password="s3cret-pass").render_as_string(hide_password=False)
    with Ledger(secret) as book, pytest.raises(SchemaError) as raised:
        book.schedule()
    assert "s3cret-pass" not in str(raised.value) and "***" in str(raised.value)


def test_the_seeds_export_passes_the_focus_rules_and_sums_to_each_contract(book: Ledger, focus_rules) -> None:  # type: ignore[no-untyped-def]
    book.seed()
    focus = book.focus_commitments()
    rows = [{k: (None if pd.isna(v) else str(v)) for k, v in r.items()} for r in focus.to_dict("records")]
    assert focus_rules(rows) == []
    assert len(rows) > 20
    # rows of one contract share its period; costs add up to the contract's counted commitments
    periods = focus.groupby("ContractId")[["ContractPeriodStart", "ContractPeriodEnd"]].nunique()
    assert (periods == 1).all().all()
    burn = book.burn(D(2026, 12, 31)).set_index("agreement_id")
    spend = focus[focus["ContractCommitmentCategory"] == "Spend"]
    by_agreement: dict[str, Decimal] = defaultdict(Decimal)
    for commitment_id, cost in zip(spend["ContractCommitmentId"], spend["ContractCommitmentCost"], strict=True):
        by_agreement[commitment_id.split("/")[0]] += Decimal(cost)
    assert by_agreement == {k: burn.loc[k, "committed"] for k in by_agreement}
    assert set(by_agreement) == set(burn.index[burn["status"] != "cancelled"])
    usage = focus[focus["ContractCommitmentCategory"] == "Usage"].set_index("ContractCommitmentId")
    assert usage.loc[
        "OAI-AWS-2026-02-TRN", ["ContractCommitmentQuantity", "ContractCommitmentUnit", "ContractId"]
    ].tolist() == [
        "2",
        "GW",
        "OAI-AWS-2026-02",
    ]
    # an expansion of an equity stake is not in the stake's contract
    assert focus.set_index("ContractCommitmentId").loc["ANTH-AWS-2026-04", "ContractId"] == "ANTH-AWS-2026-04"
