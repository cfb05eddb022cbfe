"""Actual spend on SQLite and PostgreSQL: the FOCUS spec scenarios, the official sample, idempotent and
all-or-nothing ingest, draw-down order, the SQL view and the FOCUS 1.3 commitment export."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.api import Ledger
from ledger.db.engine import make_engine
from ledger.domain.spend import ChargeCategory, CountingRule
from ledger.errors import InputError

FOCUS = Path(__file__).resolve().parent.parent / "data" / "focus"
COMMITMENTS = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,minimum_amount,minimum_period
C-001,cloud_commitment,AwesomeCorp,Acme Co,1200.00,USD,2025-04-01,12,,
C-002,cloud_commitment,AwesomeCorp,Acme Co,1200.00,USD,2025-04-01,12,60.00,month
"""
SCENARIOS = {"a1": "C-001", "b1": "C-001", "a2": "C-002", "b2": "C-002"}


def commitment_file(tmp_path: Path, key: str) -> Path:
    header, *rows = COMMITMENTS.splitlines()
    path = tmp_path / f"{key}.csv"
    path.write_text("\n".join([header, *(r for r in rows if r.startswith(key))]) + "\n")
    return path


def scenario_true_up(name: str) -> Decimal:
    """The scenario's own "End of contract unused fee" (EffectiveCost: BilledCost is 0 when prepaid)."""
    with (FOCUS / f"spec_v1.2_saas_spend_agreements_{name}.csv").open() as handle:
        (fee,) = [r for r in csv.DictReader(handle) if r["ChargeDescription"] == "End of contract unused fee"]
    return Decimal(fee["EffectiveCost"])


def table_counts(book: Ledger) -> tuple[int, ...]:
    engine = make_engine(book.url)
    with engine.connect() as connection:
        counts = tuple(
            int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("ingest_file", "consumption", "drawdown", "party")
        )
    engine.dispose()
    return counts


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_spend_agreement_scenarios_match_their_true_up_rows(book: Ledger, tmp_path: Path, scenario: str) -> None:
    key = SCENARIOS[scenario]
    book.import_file(commitment_file(tmp_path, key))
    book.ingest(FOCUS / f"spec_v1.2_saas_spend_agreements_{scenario}.csv", payer="AwesomeCorp")
    (row,) = book.burn(dt.date(2026, 4, 1)).to_dict("records")
    fee = scenario_true_up(scenario)
    assert row["status"] == "expired"
    assert row["committed"] == Decimal("1200.00")
    assert row["consumed"] == Decimal("1200.00") - fee  # 228.00 (a1, b1); 720.00 (a2, b2)
    assert row["remaining"] == row["shortfall"] == fee  # 972.00 and 480.00
    assert row["true_up_billed"] == fee
    assert row["overage"] == Decimal("0.00")
    if key == "C-002":  # $60 monthly minimum: met every month but the last, which the true-up row covers
        months = book.burn_periods(dt.date(2026, 4, 1)).query("kind == 'minimum'")
        assert months["gap"].tolist() == [Decimal("0.00")] * 11 + [Decimal("60.00")]


def test_position_during_the_term(book: Ledger, tmp_path: Path) -> None:
    book.import_file(commitment_file(tmp_path, "C-001"))
    book.ingest(FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv", payer="AwesomeCorp")
    (row,) = book.burn(dt.date(2025, 6, 30)).to_dict("records")
    assert (row["consumed"], row["expected_to_date"]) == (Decimal("228.00"), Decimal("300.00"))
    assert (row["trailing_monthly"], row["required_monthly"]) == (Decimal("76.00"), Decimal("108.00"))
    assert (row["months_left"], row["days_left"], row["utilization"]) == (9, 274, "19.0%")
    assert row["shortfall"] == Decimal("288.00")  # 1200 - (228 + 9 * 76)
    assert row["met_on"] is None


def test_reingest_changes_nothing(book: Ledger, tmp_path: Path) -> None:
    book.import_file(commitment_file(tmp_path, "C-001"))
    first = book.ingest(FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv", payer="AwesomeCorp")
    before = table_counts(book)
    again = book.ingest(FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv", payer="AwesomeCorp")
    assert first.already_loaded_at is None and again.already_loaded_at is not None
    assert "nothing changed" in again.describe()
    assert table_counts(book) == before == (1, 4, 4, 2)
    (row,) = book.burn(dt.date(2026, 4, 1)).to_dict("records")
    assert row["consumed"] == Decimal("228.00")


def test_broken_file_changes_nothing(book: Ledger, tmp_path: Path) -> None:
    book.import_file(commitment_file(tmp_path, "C-001"))
    lines = (FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",12,60,", ",12,6O,", 1)  # a letter O in EffectiveCost, on file line 4
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n")
    before = table_counts(book)
    with pytest.raises(InputError) as caught:
        book.ingest(broken, payer="AwesomeCorp")
    assert str(caught.value).startswith(f"{broken}:4: EffectiveCost: got '6O', expected a decimal amount")
    assert table_counts(book) == before


def test_official_focus_sample_against_a_commitment(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "sunbird.csv"
    path.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        "SUNBIRD-AWS,cloud_commitment,SunBird,AWS,120.00,USD,2024-09-01,12\n"
    )
    book.import_file(path)
    summary = book.ingest(FOCUS / "focus_1.0_sample_1000.csv")
    assert (summary.rows, summary.parties_created) == (1000, 3)  # Microsoft, Oracle and Oracle's account id
    with (FOCUS / "focus_1.0_sample_1000.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["ProviderName"] == "AWS" and r["ChargeCategory"] == "Usage"]
    expected = sum(Decimal(r["EffectiveCost"]) for r in rows)
    (row,) = book.burn(dt.date(2024, 9, 30)).to_dict("records")
    assert row["consumed"] == expected == Decimal("16")
    assert row["remaining"] == Decimal("104.00")
    assert row["trailing_monthly"] == Decimal("16.00")
    assert row["required_monthly"] == Decimal("9.46")  # 104 / 11, rounded up to the cent


def test_counting_rule_is_configurable(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "sunbird.csv"
    path.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        "SUNBIRD-AWS,cloud_commitment,SunBird,AWS,120.00,USD,2024-09-01,12\n"
    )
    book.import_file(path)
    rule = CountingRule(frozenset({ChargeCategory.USAGE, ChargeCategory.CREDIT}))
    book.ingest(FOCUS / "focus_1.0_sample_1000.csv", rule=rule)
    (row,) = book.burn(dt.date(2024, 9, 30)).to_dict("records")
    assert row["consumed"] == Decimal("13.00")  # the sample's one AWS credit, -3.00, now counts


def test_sub_cent_costs_stay_exact_in_storage(book: Ledger) -> None:
    book.ingest(FOCUS / "focus_1.0_sample_1000.csv")
    engine = make_engine(book.url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.amount_minor, c.sub_minor FROM consumption c JOIN party p ON p.id = c.payee_id "
                "WHERE p.name = 'Microsoft' AND c.resource = 'Azure Machine Learning'"
            )
        ).all()
    engine.dispose()
    assert rows == [(-16, 8_102_438_220)]  # -0.16 + 0.0081024382200 = -0.15189756178, as the file sums


def test_draw_down_earliest_expiring_first_with_parent_companies(book: Ledger, tmp_path: Path) -> None:
    book.seed(founding_example_only=True)  # OpenAI -> AWS: $38B to 2032-10 and $100B to 2034-02
    charges = tmp_path / "charges.csv"
    charges.write_text(
        "payer,payee,charge_period_start,charge_period_end,amount,currency,agreement_id\n"
        "OpenAI,Amazon,2026-03-01,2026-04-01,5000000000.00,USD,\n"
        "OpenAI,Amazon Web Services,2026-03-01,2026-04-01,1000000000.005,USD,OAI-AWS-2026-02\n"
    )
    book.ingest(charges, format="csv")
    rows = {r["agreement_id"]: r for r in book.burn(dt.date(2026, 3, 31)).to_dict("records")}
    assert rows["OAI-AWS-2025-11"]["consumed"] == Decimal("5000000000.00")  # expires first; charged to the parent
    assert rows["OAI-AWS-2026-02"]["consumed"] == Decimal("1000000000.005")  # named, kept to the half cent
    engine = make_engine(book.url)
    with engine.connect() as connection:
        view = dict(
            connection.execute(
                text("SELECT agreement_id, consumed_minor FROM v_commitment_burn WHERE consumed_minor > 0")
            ).all()
        )
        sub = connection.execute(
            text("SELECT consumed_sub_minor FROM v_commitment_burn WHERE agreement_id = 'OAI-AWS-2026-02'")
        ).scalar_one()
    engine.dispose()
    assert view == {"OAI-AWS-2025-11": 500_000_000_000, "OAI-AWS-2026-02": 100_000_000_000}
    assert sub == 5_000_000_000  # half a cent, in 10^-12 dollars


def test_unknown_named_agreement_is_refused(book: Ledger, tmp_path: Path) -> None:
    charges = tmp_path / "charges.csv"
    charges.write_text(
        "payer,payee,charge_period_start,charge_period_end,amount,currency,agreement_id\n"
        "OpenAI,Amazon,2026-03-01,2026-04-01,5.00,USD,NOPE\n"
    )
    with pytest.raises(InputError, match=r"charges.csv:2: agreement_id: got 'NOPE', expected an agreement the ledger"):
        book.ingest(charges, format="csv")
    assert table_counts(book) == (0, 0, 0, 0)


def test_focus_commitment_export(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "commitments.yaml"
    path.write_text(
        "agreements:\n"
        "  - agreement_id: EDP-1\n    kind: cloud_commitment\n    payer: Lab\n    payee: Cloud\n"
        "    amount: '300.00'\n    currency: USD\n    start_date: 2025-07-01\n    term_months: 24\n"
        "    profile: tranches\n    tranche_amounts: '100.00;200.00'\n"
        "  - agreement_id: C-2\n    kind: cloud_commitment\n    payer: Lab\n    payee: Cloud\n"
        "    amount: '1200.00'\n    currency: USD\n    start_date: 2025-04-01\n    term_months: 12\n"
        "    minimum_amount: '60.00'\n    minimum_period: quarter\n"
    )
    book.import_file(path)
    frame = book.focus_commitments().set_index("ContractCommitmentId")
    # rows partition each contract's total: minimums and the balance they leave; binding contract years
    assert frame.index.tolist() == ["C-2/Q1", "C-2/Q2", "C-2/Q3", "C-2/Q4", "C-2/balance", "EDP-1/CY1", "EDP-1/CY2"]
    assert frame.loc["C-2/balance", ["ContractCommitmentCost", "ContractCommitmentType"]].tolist() == [
        "960.00",
        "Balance",
    ]
    assert set(frame.loc[frame["ContractId"] == "EDP-1", "ContractPeriodEnd"]) == {"2027-07-01T00:00:00Z"}
    assert frame.loc["EDP-1/CY2", ["ContractCommitmentCost", "ContractCommitmentType"]].tolist() == [
        "200.00",
        "Contract year",
    ]
    assert frame.loc["EDP-1/CY2", "ContractCommitmentPeriodStart"] == "2026-07-01T00:00:00Z"
    assert frame.loc["EDP-1/CY2", "ContractCommitmentPeriodEnd"] == "2027-07-01T00:00:00Z"  # exclusive
    assert frame.loc["C-2/Q4", ["ContractCommitmentCost", "ContractCommitmentPeriodEnd"]].tolist() == [
        "60.00", "2026-04-01T00:00:00Z",
    ]  # fmt: skip
    assert set(frame["ContractCommitmentCategory"]) == {"Spend"}


def test_charges_ingested_before_their_commitment_draw_it_once_imported(book: Ledger, tmp_path: Path) -> None:
    book.ingest(FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv", payer="AwesomeCorp")
    assert table_counts(book)[2] == 0  # no commitment yet: nothing drawn
    book.import_file(commitment_file(tmp_path, "C-001"))
    assert table_counts(book)[2] == 4  # three months of usage and the true-up, stored for SQL at import
    (row,) = book.burn(dt.date(2026, 4, 1)).to_dict("records")
    assert (row["consumed"], row["true_up_billed"]) == (Decimal("228.00"), Decimal("972.00"))


def test_party_aliases_match_billing_names(book: Ledger, tmp_path: Path) -> None:
    book.seed(founding_example_only=True)  # Amazon Web Services is also AWS, "Amazon Web Services, Inc." ...
    path = tmp_path / "sunbird.csv"
    path.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        "SUNBIRD-AWS,cloud_commitment,SunBird,AWS,120.00,USD,2024-09-01,12\n"
    )
    book.import_file(path)  # the alias names the party: no new party called AWS
    summary = book.ingest(FOCUS / "focus_1.0_sample_1000.csv")
    assert summary.parties_created == 1  # only Oracle's billing account id: SunBird came with the commitment
    (row,) = book.burn(dt.date(2024, 9, 30), ["SUNBIRD-AWS"]).to_dict("records")
    assert (row["payee"], row["consumed"]) == ("Amazon Web Services", Decimal("16.00"))
    names = set(book.agreements()["payee"])
    assert "AWS" not in names and "Amazon Web Services" in names


def test_aliases_are_checked(book: Ledger, tmp_path: Path) -> None:
    book.seed(founding_example_only=True)
    clash = tmp_path / "clash.yaml"
    clash.write_text("parties:\n  - name: Cloudco\n    aliases: [AWS, OpenAI]\n")
    with pytest.raises(InputError) as caught:
        book.import_file(clash)
    assert str(caught.value).splitlines() == [
        f"{clash}:3: aliases: got 'AWS', expected an alias no other party has (it is Amazon Web Services's)",
        f"{clash}:3: aliases: got 'OpenAI', expected an alias that is not itself a party's name (OpenAI is a party)",
    ]
    same = tmp_path / "same.csv"
    same.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        "X-1,cloud_commitment,AWS,Amazon Web Services,1.00,USD,2024-09-01,12\n"
    )
    with pytest.raises(InputError, match=r"same\.csv:2: payee: got 'Amazon Web Services', expected a payee different"):
        book.import_file(same)


@pytest.mark.parametrize("as_of", [dt.date(2020, 1, 1), dt.date(2026, 6, 30), dt.date(2040, 1, 1)])
def test_burn_json_of_every_seeded_commitment_matches_its_schema(book: Ledger, as_of: dt.date) -> None:
    import json

    import jsonschema

    import ledger.burn
    from ledger.render.burn_output import as_json

    book.seed()
    book.ingest(FOCUS / "focus_1.0_sample_1000.csv", payer="OpenAI")  # AWS, Microsoft and Oracle charges
    report = json.loads(json.dumps(as_json(book.positions(as_of), as_of)))
    schema = json.loads((Path(ledger.burn.__file__).parent / "burn.schema.json").read_text())
    jsonschema.validate(report, schema)
    statuses = {c["status"] for c in report["commitments"]}
    assert len(report["commitments"]) == 23 and statuses <= {"not_started", "active", "expired"}  # not the proposed one
