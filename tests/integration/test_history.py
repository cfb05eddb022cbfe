"""The book of record on SQLite and PostgreSQL: every change kept with who, when, why and where from; the
history append-only in the database itself; time travel that gives back exactly what the ledger said;
void, restore, delete and uningest that leave every figure as if the record had never been, and back."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.api import Ledger
from ledger.db.engine import make_engine
from ledger.errors import LedgerError, NotFoundError
from tests.inputs import AWS_FOCUS

DEAL = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,status,notes
AWS-1,cloud_commitment,OpenAI,Amazon Web Services,{amount},USD,2026-01-15,{term},binding,first report
"""
PARTIES = """parties:
  - name: Amazon
    kind: cloud
  - name: Amazon Web Services
    kind: cloud
    parent: Amazon
    aliases: [AWS]
  - name: OpenAI
    kind: lab
"""


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def tick() -> dt.datetime:
    """A moment strictly between two changes (history times are to the microsecond)."""
    time.sleep(0.002)
    moment = dt.datetime.now(dt.UTC)
    time.sleep(0.002)
    return moment


def deal(tmp_path: Path, name: str, amount: str = "38000000000.00", term: int = 60) -> Path:
    return write(tmp_path, name, DEAL.format(amount=amount, term=term))


def test_a_restated_deal_keeps_its_past(book: Ledger, tmp_path: Path) -> None:
    """The $38B over 60 months later reported as 84 months: history shows the change, old schedule exact."""
    book.import_file(write(tmp_path, "parties.yaml", PARTIES))
    first = deal(tmp_path, "first.csv")
    book.import_file(first, reason="first report")
    before_change = tick()
    old_schedule = book.schedule(by="year", known_as_of=None)
    restated = deal(tmp_path, "restated.csv", term=84)
    other = Ledger(book.url, author="analyst@example.com")
    summary = other.import_file(restated, reason="term restated to 84 months (The Information)")
    other.close()
    assert summary.agreements_updated == 1

    history = book.history(["AWS-1"])
    assert list(history["action"]) == ["update", "create"]
    change = history.iloc[0]
    assert change["changes"] == {"term_months": [60, 84]}
    assert change["author"] == "analyst@example.com"
    assert change["reason"] == "term restated to 84 months (The Information)"
    assert change["source"] == f"{restated}:2"
    assert len(change["sha256"]) == 64
    assert change["record"]["term_months"] == 84
    assert history.iloc[1]["reason"] == "first report"

    then = book.schedule(by="year", known_as_of=before_change)
    pd.testing.assert_frame_equal(then, old_schedule)
    (record,) = book.agreement_records(["AWS-1"], known_as_of=before_change)
    assert record["term_months"] == 60 and record["notes"] == "first report"
    now = book.schedule(by="year")
    assert now["amount_minor"].sum() == then["amount_minor"].sum() == 38_000_000_000_00
    assert len(now) > len(then)
    assert book.schedule(by="year", known_as_of=dt.datetime.now(dt.UTC)).equals(now)


def test_known_as_of_answers_every_read_as_it_was(book: Ledger, tmp_path: Path) -> None:
    """Seeds, then a restatement, a void and a billing file: each read at T equals what it gave at T."""
    book.seed()
    day = dt.date(2026, 6, 30)

    def reads(**when: object) -> dict[str, object]:
        return {
            "schedule": book.schedule(by="quarter", **when),  # type: ignore[arg-type]
            "consolidated": book.consolidated(by="year", rollup=True, **when),  # type: ignore[arg-type]
            "adjustments": book.adjustments(by="year", **when),  # type: ignore[arg-type]
            "burn": book.burn(day, **when),  # type: ignore[arg-type]
            "reconcile": [f.as_json() for f in book.reconcile(**when)],  # type: ignore[arg-type]
            "agreements": book.agreements(**when),  # type: ignore[arg-type]
            "focus": book.focus_commitments(**when),  # type: ignore[arg-type]
            "cycles": [(c.label, c.bottleneck_minor) for c in book.cycles(save=False, **when).cycles],  # type: ignore
        }

    moments, answers = [], []
    moments.append(tick())
    answers.append(reads())
    book.import_file(write(tmp_path, "restate.yaml", RESTATE), reason="restated")
    moments.append(tick())
    answers.append(reads())
    book.void("OAI-AWS-2026-02", "OAI-AWS-2026-02-TRN", reason="test: a mistake")
    moments.append(tick())
    answers.append(reads())
    book.ingest(write(tmp_path, "aws.csv", AWS_FOCUS))
    moments.append(tick())
    answers.append(reads())
    for moment, expected in zip(moments, answers, strict=True):
        got = reads(known_as_of=moment)
        for name, value in expected.items():
            if isinstance(value, pd.DataFrame):
                pd.testing.assert_frame_equal(got[name], value, obj=f"{name} at {moment}")  # type: ignore[arg-type]
            else:
                assert got[name] == value, f"{name} at {moment}"
    assert answers[0]["burn"] is not None
    assert not answers[0]["schedule"].equals(answers[1]["schedule"])  # type: ignore[union-attr]


RESTATE = """agreements:
  - agreement_id: OAI-AWS-2025-11
    kind: cloud_commitment
    payer: OpenAI
    payee: Amazon Web Services
    amount: 38000000000.00
    currency: USD
    start_date: 2025-11-01
    term_months: 60
    status: binding
"""


def test_history_is_append_only_in_the_database(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    engine = make_engine(book.url)
    try:
        for statement in ("UPDATE history SET author = 'someone else'", "DELETE FROM history"):
            with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text("TRUNCATE history"))
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM history")).scalar_one()
            authors = connection.execute(text("SELECT DISTINCT author FROM history")).scalars().all()
    finally:
        engine.dispose()
    assert count > 0
    assert "someone else" not in authors


def test_every_record_of_an_import_is_created_once(book: Ledger) -> None:
    book.seed()
    history = book.history()
    assert set(history["action"]) == {"create"}
    created = history.groupby("entity")["key"].nunique()
    assert created["agreement"] == len(book.agreements())
    assert created["party"] == len(book.parties())
    assert not history.duplicated(["entity", "key"]).any()
    book.seed()  # again: nothing changed, nothing recorded
    assert len(book.history()) == len(history)


def test_void_takes_an_agreement_out_of_every_figure_and_restore_brings_it_back(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    day = dt.date(2026, 6, 30)
    key = "OAI-AWS-2026-02"

    def figures() -> tuple[object, ...]:
        consolidated = book.consolidated(by="year")
        burn = book.burn(day)
        focus = book.focus_commitments()
        cycles = [(c.label, c.bottleneck_minor) for c in book.cycles(save=False).cycles]
        return (
            int(consolidated["amount_minor"].sum()),
            sorted(burn["agreement_id"]),
            sorted(set(focus["ContractId"])),
            cycles,
            sorted(book.agreements()["agreement_id"]),
        )

    before = figures()
    with pytest.raises(LedgerError, match="needs a reason"):
        book.void(key, reason="")
    with pytest.raises(LedgerError, match="OAI-AWS-2026-02-TRN is tranche_of OAI-AWS-2026-02"):
        book.void(key, reason="reported twice")
    summary = book.void(key, f"{key}-TRN", reason="reported twice")
    assert summary.agreements == [key, f"{key}-TRN"]
    voided = figures()
    assert voided[0] == before[0] - 100_000_000_000_00  # type: ignore[operator]
    for part in voided[1:4]:
        assert key not in str(part)
    assert key not in voided[4]  # type: ignore[operator]
    assert book.show(key).state.state == "void"
    assert book.history([key])["action"].tolist() == ["void", "create"]
    listing = book.agreements(include_void=True).set_index("agreement_id")
    assert bool(listing.loc[key, "void"]) and not listing["void"].drop([key, f"{key}-TRN"]).any()
    assert listing.loc[key, "amount_minor"] == 100_000_000_000_00 and listing.loc[key, "status"] == "announced"
    with pytest.raises(LedgerError, match="not in the book"):
        book.void(key, reason="again")
    book.restore(key, f"{key}-TRN", reason="it was right")
    assert figures() == before
    assert book.history([key])["action"].tolist() == ["restore", "void", "create"]
    assert book.show(key).state.state == "in the book"


def test_void_refuses_a_round_its_tranches_refer_to_unless_voided_together(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    with pytest.raises(LedgerError, match="AMZN-OAI-2026-02 is tranche_of OAI-2026-02-ROUND"):
        book.void("OAI-2026-02-ROUND", reason="x")
    with pytest.raises(NotFoundError, match="NOPE"):
        book.void("NOPE", reason="x")
    assert book.history(["OAI-2026-02-ROUND"])["action"].tolist() == ["create"]


def test_delete_leaves_a_tombstone_and_refuses_what_is_referred_to(book: Ledger, tmp_path: Path) -> None:
    book.import_file(write(tmp_path, "parties.yaml", PARTIES), deal(tmp_path, "d.csv"))
    book.delete("AWS-1", reason="test record")
    assert "AWS-1" not in set(book.agreements()["agreement_id"])
    entry = book.history(["AWS-1"]).iloc[0]
    assert (entry["action"], entry["record"], entry["reason"]) == ("delete", None, "test record")
    with pytest.raises(LedgerError, match="already deleted"):
        book.delete("AWS-1")
    with pytest.raises(LedgerError, match="only a void record"):
        book.restore("AWS-1")
    book.import_file(deal(tmp_path, "d.csv"))  # the id can be used again
    assert book.history(["AWS-1"])["action"].tolist() == ["create", "delete", "create"]
    book.seed(founding_example_only=True)
    with pytest.raises(LedgerError, match="cannot delete"):
        book.delete("OAI-2026-02-ROUND")


def test_uningest_removes_a_files_charges_and_nothing_else(book: Ledger, tmp_path: Path) -> None:
    book.seed(founding_example_only=True)
    day = dt.date(2026, 6, 30)
    before = book.burn(day)
    schedule = book.schedule()
    path = write(tmp_path, "aws.csv", AWS_FOCUS)
    book.ingest(path)
    drawn = book.burn(day)
    assert drawn["consumed"].map(lambda d: d or 0).sum() > 0
    with pytest.raises(LedgerError, match="needs a reason"):
        book.uningest(path, reason="")
    summary = book.uningest(path, reason="wrong billing account")
    assert summary.billing_files == ["aws.csv"]
    pd.testing.assert_frame_equal(book.burn(day), before)
    pd.testing.assert_frame_equal(book.schedule(), schedule)
    with pytest.raises(LedgerError, match="already withdrawn"):
        book.uningest(path, reason="again")
    history = book.history(entity="billing_file")
    assert history["action"].tolist() == ["uningest", "ingest"]
    assert history.iloc[0]["reason"] == "wrong billing account"
    again = book.ingest(path)  # loading it again works
    assert again.already_loaded_at is None
    pd.testing.assert_frame_equal(book.burn(day), drawn)
    sha = history.iloc[0]["key"]
    book.uningest(sha, reason="by its SHA-256")
    with pytest.raises(NotFoundError, match="no billing file"):
        book.uningest("0" * 64, reason="x")


def test_show_gathers_one_agreement(book: Ledger) -> None:
    book.seed(founding_example_only=True)
    view = book.show("OAI-2026-02-ROUND", as_of=dt.date(2026, 6, 30))
    assert view.state.record is not None
    assert view.state.record["kind"] == "funding_round"
    assert view.state.state == "in the book"
    assert ("AMZN-OAI-2026-02", "tranche_of") in view.incoming
    assert view.schedule is not None
    assert int(view.schedule["amount_minor"].sum()) == 110_000_000_000_00
    assert view.history["action"].tolist() == ["create"]
    commitment = book.show("OAI-AWS-2026-02", as_of=dt.date(2026, 6, 30))
    assert commitment.position is not None
    assert commitment.position.terms.key == "OAI-AWS-2026-02"
    party = book.show("OpenAI")
    assert party.state.entity.value == "party"
    with pytest.raises(NotFoundError, match="did you mean OAI-AWS-2026-02"):
        book.show("OAI-AWS-2026-20")


def test_merging_parties_records_the_agreements_it_moves(book: Ledger, tmp_path: Path) -> None:
    book.seed(founding_example_only=True)
    contoso = DEAL.format(amount="1.00", term=12).replace("Amazon Web Services", "Contoso Cloud")
    book.import_file(write(tmp_path, "a.csv", contoso))
    book.merge_parties("Contoso Cloud", "AWS")
    entries = book.history(since=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
    latest = entries[entries["id"] > entries["id"].max() - 3]
    by_action = {(e, a) for e, a in zip(latest["entity"], latest["action"], strict=True)}
    assert ("party", "delete") in by_action
    change = entries[(entries["key"] == "AWS-1") & (entries["action"] == "update")].iloc[0]
    assert change["changes"] == {"payee": ["Contoso Cloud", "Amazon Web Services"]}
    assert "merged into Amazon Web Services" in change["reason"]


def test_an_upgraded_database_gets_a_first_entry_per_record(empty_db_url: str) -> None:
    with Ledger(empty_db_url) as book:
        book.init()
        book.seed(founding_example_only=True)
        count, agreements = len(book.history()), len(book.agreements())
    engine = make_engine(empty_db_url)  # back to a database of revision 0007, with the same records
    with engine.begin() as connection:
        connection.execute(text("DROP VIEW v_record_version"))
        connection.execute(text("DROP TABLE history"))  # its triggers go with it
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP FUNCTION history_append_only()"))
        connection.execute(text("ALTER TABLE ingest_file DROP COLUMN withdrawn_at"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    engine.dispose()
    with Ledger(empty_db_url) as book:
        assert book.init() == ("0007", "0008")
        history = book.history()
        assert len(history) == count
        assert (history["action"] == "create").all()
        assert history["reason"].str.contains("before its history began").all()
        assert (history["entity"] == "agreement").sum() == agreements
        assert book.init() == ("0008", "0008")
        assert len(book.history()) == count  # once only


def _moment_param(moment: dt.datetime, dialect: str) -> object:
    """A moment as a query parameter: SQLite keeps history times as naive UTC text."""
    return moment if dialect == "postgresql" else moment.replace(tzinfo=None).isoformat(" ")


def test_sql_can_ask_what_was_known_at_a_moment(book: Ledger, tmp_path: Path) -> None:
    book.import_file(write(tmp_path, "parties.yaml", PARTIES), deal(tmp_path, "d.csv"))
    moment = tick()
    book.import_file(deal(tmp_path, "e.csv", term=84))
    engine = make_engine(book.url)
    query = text(
        "SELECT record FROM v_record_version WHERE entity = 'agreement' AND entity_key = 'AWS-1' AND in_book = 1"
        " AND valid_from <= :t AND (valid_to IS NULL OR valid_to > :t)"
    )
    dialect = engine.dialect.name
    with engine.connect() as connection:
        (record,) = connection.execute(query, {"t": _moment_param(moment, dialect)}).scalars().all()
        now = _moment_param(dt.datetime.now(dt.UTC), dialect)
        (current,) = connection.execute(query, {"t": now}).scalars().all()
    engine.dispose()
    assert json.loads(record)["term_months"] == 60
    assert json.loads(current)["term_months"] == 84


def test_the_history_holds_each_record_exactly_as_stored(book: Ledger, tmp_path: Path) -> None:
    """The records an import writes into the history are those the tables give back: parties by name, not by
    the alias the file used; a known page with the title the ledger keeps for it, not the file's."""
    from ledger.domain.history import Entity
    from ledger.services.history import agreement_records, records_at

    book.seed()
    url = "https://www.techspot.com/news/110120-openai-signs-38-billion-amazon-web-services-deal.html"
    path = write(
        tmp_path,
        "alias.csv",
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,source_url,source_title\n"
        f"ALIAS-1,cloud_commitment,OpenAI,AWS,5.00,USD,2028-02-29,12,{url},Another title for the page\n"
        f"ALIAS-2,cloud_commitment,OpenAI,AWS,5.00,USD,2026-03-31,12,https://example.com/new,New\n",
    )
    book.import_file(path)
    with book.unit_of_work() as uow:
        stored = agreement_records(uow.store)
        recorded = records_at(uow.store, Entity.AGREEMENT, None)
    assert recorded == stored
    assert stored["ALIAS-1"]["payee"] == "Amazon Web Services"
    assert stored["ALIAS-1"]["sources"][0]["title"] != "Another title for the page"


def test_two_files_of_one_import_record_a_create_then_an_update(book: Ledger, tmp_path: Path) -> None:
    book.import_file(
        write(tmp_path, "parties.yaml", PARTIES), deal(tmp_path, "a.csv"), deal(tmp_path, "b.csv", term=84)
    )
    history = book.history(["AWS-1"])
    assert history["action"].tolist() == ["update", "create"]
    assert history.iloc[0]["changes"] == {"term_months": [60, 84]}
    assert history["recorded_at"].nunique() == 1  # one transaction, one moment
