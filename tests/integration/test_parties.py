"""Merging parties on SQLite and PostgreSQL: every reference moves, the name stays as an alias, derived tables
follow, re-imports change nothing, every refusal writes nothing, and the party listing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.api import Ledger
from ledger.errors import DomainError, InputError, LedgerError, NotFoundError
from ledger.services import flows, refresh_derived
from tests.inputs import AWS_FOCUS, OLD_PARTIES

# Cloudco (of Cloudco Holdings) is the party kept; CC is the name a billing file and a deal used for it.
PARTIES = """parties:
  - name: Cloudco Holdings
  - name: Cloudco
    parent: Cloudco Holdings
    aliases: [Cloudco Inc.]
  - name: Cloudco EU
    parent: Cloudco
  - name: CC
    aliases: [CC Ltd]
  - name: CC Europe
    parent: CC
"""
DEALS = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months
A-CLOUD,cloud_commitment,Acme,Cloudco,1200.00,USD,2025-04-01,12
A-CC,cloud_commitment,Acme,CC,600.00,USD,2025-01-01,12
CC-CHIP,chip_agreement,CC,Chipco,100.00,USD,2025-01-01,12
"""
VALUATIONS = """valuations:
  - valuation_id: CC-2025-POST
    party: CC
    kind: post_money
    amount: 1000000.00
    currency: USD
    as_of: 2025-03-01
"""
CHARGES = """payer,payee,charge_period_start,charge_period_end,amount,currency
Acme,CC Ltd,2025-05-01,2025-06-01,50.00,USD
Acme,Cloudco Inc.,2025-05-01,2025-06-01,30.00,USD
"""
SNAPSHOT = {
    "party": "SELECT id, name, kind, parent_id FROM party ORDER BY id",
    "party_alias": "SELECT alias, party_id FROM party_alias ORDER BY alias",
    "agreement": "SELECT key, payer_id, payee_id, content_hash FROM agreement ORDER BY key",
    "valuation": "SELECT key, party_id FROM valuation ORDER BY key",
    "consumption": "SELECT id, payer_id, payee_id FROM consumption ORDER BY id",
    "drawdown": "SELECT consumption_id, agreement_id, kind, amount_minor FROM drawdown ORDER BY 1, 2, 3",
    "schedule_adjustment": "SELECT agreement_id, month, related_id, amount_minor FROM schedule_adjustment ORDER BY 1, 2, 3",
    "flow_edge": "SELECT payer, payee, currency FROM flow_edge ORDER BY 1, 2, 3",
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "parties": write(tmp_path, "parties.yaml", PARTIES),
        "deals": write(tmp_path, "deals.csv", DEALS),
        "valuations": write(tmp_path, "valuations.yaml", VALUATIONS),
        "charges": write(tmp_path, "charges.csv", CHARGES),
    }


@pytest.fixture
def loaded(book: Ledger, files: dict[str, Path]) -> Ledger:
    book.import_file(files["parties"], files["deals"], files["valuations"])
    book.ingest(files["charges"], format="csv")
    return book


def snapshot(sql: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {table: sql(query) for table, query in SNAPSHOT.items()}


def consumed(book: Ledger) -> dict[str, Decimal]:
    return {r["agreement_id"]: r["consumed"] for r in book.burn(dt.date(2025, 6, 30)).to_dict("records")}


def test_merge_moves_every_reference_and_keeps_the_name_as_an_alias(loaded: Ledger, sql: Any) -> None:
    assert consumed(loaded) == {"A-CC": Decimal("50.00"), "A-CLOUD": Decimal("30.00"), "CC-CHIP": Decimal("0.00")}
    summary = loaded.merge_parties("CC", "Cloudco")
    assert (summary.merged, summary.into) == ("CC", "Cloudco")
    moved = (summary.agreements, summary.valuations, summary.consumption, summary.subsidiaries, summary.aliases)
    assert moved == (2, 1, 1, 1, 1)  # A-CC and CC-CHIP; its valuation; one month sum; CC Europe; CC Ltd
    assert summary.describe() == (
        "merged 'CC' into 'Cloudco': 2 agreements, 1 valuation, 1 consumption row, 1 subsidiary and 1 alias moved;"
        f" 'CC' is now an alias of 'Cloudco'; draw-downs rewritten: {summary.drawdowns}"
    )

    parties = loaded.parties().set_index("name")
    assert "CC" not in parties.index
    assert parties.loc["Cloudco", "aliases"] == ["CC", "CC Ltd", "Cloudco Inc."]
    assert parties.loc["CC Europe", ["parent", "ultimate_parent"]].tolist() == ["Cloudco", "Cloudco Holdings"]
    agreements = loaded.agreements().set_index("agreement_id")
    assert agreements.loc["A-CC", "payee"] == agreements.loc["CC-CHIP", "payer"] == "Cloudco"
    assert sql("SELECT p.name FROM valuation v JOIN party p ON p.id = v.party_id") == [("Cloudco",)]
    assert sql("SELECT DISTINCT p.name FROM consumption c JOIN party p ON p.id = c.payee_id") == [("Cloudco",)]
    # Both charges are Acme -> Cloudco Holdings now: drawn earliest-expiring first, all from A-CC.
    assert consumed(loaded) == {"A-CC": Decimal("80.00"), "A-CLOUD": Decimal("0.00"), "CC-CHIP": Decimal("0.00")}
    stored = snapshot(sql)
    refresh_derived(loaded.unit_of_work)  # what the merge left is what a full recomputation gives
    assert snapshot(sql) == stored


def test_files_naming_the_merged_party_mean_the_kept_one(loaded: Ledger, files: dict[str, Path], sql: Any) -> None:
    loaded.merge_parties("CC", "Cloudco")
    before = snapshot(sql)
    again = loaded.import_file(files["deals"], files["valuations"])  # they name CC, now an alias
    assert (again.agreements_unchanged, again.agreements_created, again.agreements_updated) == (3, 0, 0)
    assert (again.valuations_unchanged, again.parties_created, again.parties_updated) == (1, 0, 0)
    assert snapshot(sql) == before  # content hashes kept: the same text still names the same parties
    assert loaded.ingest(files["charges"], format="csv").already_loaded_at is not None

    later = write(
        files["charges"].parent, "later.csv", CHARGES.replace("2025-05-01,2025-06-01", "2025-06-01,2025-07-01")
    )
    later.write_text(later.read_text().replace("CC Ltd", "CC"))
    summary = loaded.ingest(later, format="csv")
    assert summary.parties_created == 0
    assert consumed(loaded)["A-CC"] == Decimal("160.00")
    assert {name for (name,) in sql("SELECT name FROM party")} == {
        "Acme", "Chipco", "Cloudco", "Cloudco EU", "Cloudco Holdings", "CC Europe"
    }  # fmt: skip


def test_into_may_be_named_by_an_alias(loaded: Ledger) -> None:
    summary = loaded.merge_parties("CC", "Cloudco Inc.")
    assert summary.into == "Cloudco"
    assert "CC" in loaded.parties().set_index("name").loc["Cloudco", "aliases"]


def test_a_parent_merged_into_another_hands_over_its_subsidiaries(loaded: Ledger) -> None:
    loaded.merge_parties("Cloudco Holdings", "CC")
    parties = loaded.parties().set_index("name")
    assert parties.loc["Cloudco", "parent"] == "CC"
    assert parties.loc["Cloudco EU", "ultimate_parent"] == "CC"
    assert parties.loc["CC", "aliases"] == ["CC Ltd", "Cloudco Holdings"]


REFUSALS = [
    ("Clodco", "Cloudco", NotFoundError, "no party named 'Clodco' in the ledger; did you mean Cloudco"),
    ("CC", "Cludco", NotFoundError, "no party named 'Cludco' in the ledger; did you mean Cloudco"),
    ("Cloudco", "Cloudco", DomainError, "cannot merge 'Cloudco' into itself ('Cloudco' is one of its names)"),
    ("Cloudco", "Cloudco Inc.", DomainError, "cannot merge 'Cloudco' into itself ('Cloudco Inc.' is one of its"),
    ("Cloudco Inc.", "Cloudco", DomainError, "'Cloudco Inc.' is already an alias of 'Cloudco': nothing to merge"),
    ("CC Ltd", "Cloudco", DomainError, "'CC Ltd' is an alias of 'CC', not a party's name: merge 'CC' itself"),
    (
        "Cloudco Holdings", "Cloudco", DomainError,
        "cannot merge 'Cloudco Holdings' into 'Cloudco': 'Cloudco' rolls up to 'Cloudco Holdings' (Cloudco ->"
        " Cloudco Holdings), so it would become its own parent",
    ),
    (
        "Cloudco Holdings", "Cloudco EU", DomainError,
        "'Cloudco EU' rolls up to 'Cloudco Holdings' (Cloudco EU -> Cloudco -> Cloudco Holdings)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("merged", "into", "error", "message"), REFUSALS)
def test_refusals_are_one_line_and_write_nothing(
    loaded: Ledger, sql: Any, merged: str, into: str, error: type[LedgerError], message: str
) -> None:
    before = snapshot(sql)
    with pytest.raises(error) as caught:
        loaded.merge_parties(merged, into)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(error):
        loaded.merge_parties(merged, into, dry_run=True)
    assert snapshot(sql) == before


def test_agreements_between_the_two_are_refused_by_name(loaded: Ledger, tmp_path: Path, sql: Any) -> None:
    rows = "".join(f"X-{i},cloud_commitment,CC,Cloudco,1.00,USD,2025-01-01,12\n" for i in range(1, 8))
    loaded.import_file(write(tmp_path, "between.csv", DEALS.splitlines()[0] + "\n" + rows))
    before = snapshot(sql)
    with pytest.raises(DomainError) as caught:
        loaded.merge_parties("CC", "Cloudco")
    assert str(caught.value) == (
        "cannot merge 'CC' into 'Cloudco': 7 agreements between them would have one party as payer and payee"
        " (X-1, X-2, X-3, X-4, X-5 and 2 more); change or remove them first"
    )
    assert snapshot(sql) == before


def test_charges_between_the_two_are_refused(loaded: Ledger, tmp_path: Path, sql: Any) -> None:
    loaded.ingest(write(tmp_path, "between.csv", CHARGES.replace("Acme,CC Ltd", "Cloudco,CC")), format="csv")
    before = snapshot(sql)
    with pytest.raises(DomainError, match=r"1 consumption row \(month sums of billed charges\) between them would"):
        loaded.merge_parties("CC", "Cloudco")
    assert snapshot(sql) == before


def test_dry_run_counts_and_writes_nothing(loaded: Ledger, sql: Any) -> None:
    before = snapshot(sql)
    trial = loaded.merge_parties("CC", "Cloudco", dry_run=True)
    assert trial.describe().startswith("would merge 'CC' into 'Cloudco': 2 agreements")
    assert trial.describe().endswith(
        "'CC' would become an alias of 'Cloudco'; draw-downs rewritten: 2 (dry run: nothing written)"
    )
    assert snapshot(sql) == before
    done = loaded.merge_parties("CC", "Cloudco")
    assert (done.agreements, done.consumption, done.drawdowns) == (trial.agreements, trial.consumption, trial.drawdowns)


def test_a_failure_after_the_writes_rolls_everything_back(
    loaded: Ledger, sql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.services.parties

    def broken(*_: object, **__: object) -> tuple[int, int]:
        raise RuntimeError("the disk is full")

    before = snapshot(sql)
    monkeypatch.setattr(ledger.services.parties, "refresh_derived_in", broken)
    with pytest.raises(RuntimeError):
        loaded.merge_parties("CC", "Cloudco")
    assert snapshot(sql) == before


def test_the_stored_cycles_are_cleared(loaded: Ledger, sql: Any) -> None:
    flows.cycles(loaded.unit_of_work, save=True)
    assert ("CC", "Chipco", "USD") in sql(SNAPSHOT["flow_edge"])
    summary = loaded.merge_parties("CC", "Cloudco")
    assert summary.flows_cleared and summary.describe().endswith(
        "; stored cycles cleared (run ledger cycles --save again)"
    )
    assert sql(SNAPSHOT["flow_edge"]) == [] and sql("SELECT id FROM flow_cycle") == []


def test_issue_scenario_a_billing_name_blocks_the_seeds_until_merged(book: Ledger, tmp_path: Path) -> None:
    """The database knew Amazon Web Services without the AWS alias; a FOCUS file then created AWS."""
    book.import_file(write(tmp_path, "old.yaml", OLD_PARTIES))
    assert book.ingest(write(tmp_path, "aws.csv", AWS_FOCUS)).parties_created == 2  # AWS and OpenAI
    with pytest.raises(InputError, match=r"got 'AWS', expected an alias that is not itself a party's name"):
        book.seed()
    book.merge_parties("AWS", "Amazon Web Services")
    book.seed()
    (row,) = book.burn(dt.date(2026, 6, 30), ["OAI-AWS-2025-11"]).to_dict("records")
    assert (row["payee"], row["consumed"]) == ("Amazon Web Services", Decimal("4000000.75"))
    again = book.seed()  # and the seeds stay idempotent
    assert (again.agreements_created, again.agreements_updated, again.parties_created) == (0, 0, 0)


def test_listing(loaded: Ledger) -> None:
    frame = loaded.parties()
    assert list(frame.columns) == [
        "name", "kind", "parent", "ultimate_parent", "aliases", "fiscal_year_end_month", "notes"
    ]  # fmt: skip
    assert frame["name"].tolist() == sorted(frame["name"])  # code point order on both backends
    cloudco = frame.set_index("name").loc["Cloudco"].to_dict()
    assert cloudco == {
        "kind": "company", "parent": "Cloudco Holdings", "ultimate_parent": "Cloudco Holdings",
        "aliases": ["Cloudco Inc."], "fiscal_year_end_month": 12, "notes": None,
    }  # fmt: skip
    assert frame.set_index("name").loc["Acme", "parent"] is None
