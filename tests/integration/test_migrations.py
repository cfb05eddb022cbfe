"""Migrations on SQLite and PostgreSQL: databases made by every earlier revision (and by the first release
of 0005) upgrade with their data and work; downgrades to base and back work on a seeded ledger; the
repair of 0007 changes nothing on a correct database; rows past the money limits stop the upgrade."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import IntegrityError

from ledger.api import Ledger
from ledger.db import migrate
from ledger.db.engine import make_engine
from ledger.errors import SchemaError

REPO = Path(__file__).resolve().parents[2]
FOCUS = REPO / "tests" / "data" / "focus"
FIRST_0005 = REPO / "tests" / "data" / "migrations_20fcb20" / "0005_spend_against_commitments.py"
FIRST_0005_SHA256 = "468f5f0e3e9d7743e7ffd3dc066010d27fa2f00f6f0d8e2f99ade6d33759c2ce"  # git show 20fcb20:...
REVISIONS = ["0001", "0002", "0003", "0004", "0005", "0006"]
DERIVED = {"schedule_adjustment", "drawdown"}  # recomputed by `ledger init` after an upgrade

COMMITMENT = (
    "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
    "C-001,cloud_commitment,AwesomeCorp,Acme Co,1200.00,USD,2025-04-01,12\n"
)


# -- helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_0005_scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migration chain as commit 20fcb20 released it: 0001-0004 (unchanged since: the manifest) and the
    first 0005, without party_alias; the environment is today's."""
    root = tmp_path_factory.mktemp("migrations_20fcb20")
    (root / "versions").mkdir()
    shutil.copy(REPO / "migrations" / "env.py", root)
    for path in sorted((REPO / "migrations" / "versions").glob("000[1-4]_*.py")):
        shutil.copy(path, root / "versions")
    shutil.copy(FIRST_0005, root / "versions")
    return root


def run_scripts(url: str, scripts: Path, target: str) -> None:
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(scripts))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    engine.dispose()


def migrate_to(url: str, target: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        (migrate.downgrade if down else migrate.upgrade)(connection, target)
    engine.dispose()


def insert(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert rows through the tables as the database has them (reflected: no model of today involved)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = MetaData()
        tables.reflect(connection, only=list(rows))
        for name, records in rows.items():
            connection.execute(tables.tables[name].insert(), records)
            if connection.dialect.name == "postgresql" and "id" in tables.tables[name].c:  # ids given: move on
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"))
    engine.dispose()


def contents(url: str, tables: Iterable[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables (default: all but alembic_version), in a stable order."""
    engine = make_engine(url)
    with engine.connect() as connection:
        names = sorted(tables or set(inspect(connection).get_table_names()) - {"alembic_version"})
        found = {
            name: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {name}"))), key=repr) for name in names
        }
    engine.dispose()
    return found


INGEST_FILE_COLUMNS_BEFORE_0008 = 7  # 0008 added ingest_file.withdrawn_at, last


def before_0008(found: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows as a ledger before revision 0008 held them: no history table, billing files without the
    withdrawn_at column (which 0008 adds empty, and a downgrade below 0008 drops with the history)."""
    rows = {name: table for name, table in found.items() if name != "history"}
    if "ingest_file" in rows:
        cut = rows["ingest_file"]
        assert all(len(r) == INGEST_FILE_COLUMNS_BEFORE_0008 or r[-1] is None for r in cut)
        rows["ingest_file"] = [r[:INGEST_FILE_COLUMNS_BEFORE_0008] for r in cut]
    return rows


def schema(url: str) -> dict[str, Any]:
    """What a migration decides: tables, columns, keys, indexes, constraints and the views' SQL."""
    engine = make_engine(url)
    with engine.connect() as connection:
        inspector = inspect(connection)
        found: dict[str, Any] = {
            f"view {name}": inspector.get_view_definition(name) for name in sorted(inspector.get_view_names())
        }
        for table in sorted(inspector.get_table_names()):
            found[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c["default"])) for c in inspector.get_columns(table)
                ],
                "primary key": inspector.get_pk_constraint(table),
                "foreign keys": sorted(
                    (
                        f["name"],
                        f["constrained_columns"],
                        f["referred_table"],
                        f["referred_columns"],
                        sorted(f["options"].items()),
                    )
                    for f in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted((i["name"], i["column_names"], i["unique"]) for i in inspector.get_indexes(table)),
                "unique": sorted((u["name"], u["column_names"]) for u in inspector.get_unique_constraints(table)),
                "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
            }
        found["revision"] = migrate.current_revision(connection)
    engine.dispose()
    return found


def months(first: int, last: int) -> list[dt.date]:
    return [dt.date(2026, month, 1) for month in range(first, last + 1)]


def agreement(id_: int, key: str, kind: str, payer: int, payee: int, amount: int, **more: Any) -> dict[str, Any]:
    """A 2026 agreement in USD, as the ledger stores it."""
    return {
        "id": id_, "key": key, "kind": kind, "payer_id": payer, "payee_id": payee, "amount_minor": amount,
        "currency": "USD", "amount_qualifier": "exact", "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31), "term_months": 12, "profile": "straight_line", "basis": "monthly",
        "status": "binding", "notes": None, "content_hash": "0" * 64, **more,
    }  # fmt: skip


def rows_at(revision: str) -> dict[str, list[dict[str, Any]]]:
    """Representative rows valid at `revision`, table by table in insertion order: parties (one with a parent),
    a straight-line commitment, a tranched one, an investment with a valuation, sources, a relation and the
    schedule lines; from 0004 a stored flow graph; from 0005 a minimum, a billing file's month sum, its
    draw-down and an alias."""
    paid_at_once = {"start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 3, 1), "term_months": None}
    slice_ = {"agreement_id": 2, "weight": None}
    valuation = {"id": 1, "key": "NW-POST", "party_id": 3, "kind": "post_money", "amount_minor": 10**14,
                 "currency": "USD", "as_of": dt.date(2026, 3, 1), "round_id": 3, "amount_qualifier": "exact",
                 "confidence": None, "content_hash": "0" * 64}  # fmt: skip
    rows: dict[str, list[dict[str, Any]]] = {
        "party": [
            {"id": 1, "name": "Contoso", "kind": "company", "parent_id": None, "fiscal_year_end_month": 6},
            {"id": 2, "name": "Contoso Cloud", "kind": "cloud", "parent_id": 1, "fiscal_year_end_month": 6},
            {"id": 3, "name": "Northwind Labs", "kind": "lab", "parent_id": None, "fiscal_year_end_month": 12},
            {"id": 4, "name": "Fabrikam Capital", "kind": "investor", "parent_id": None, "fiscal_year_end_month": 12},
        ],
        "agreement": [
            agreement(1, "NW-CLOUD", "cloud_commitment", 3, 2, 120_000, notes="twelve months of 100.00"),
            agreement(2, "NW-TRANCHES", "cloud_commitment", 3, 2, 18_000, profile="tranches"),
            agreement(3, "FAB-NW", "equity_investment", 4, 3, 5_000_000, status="completed", **paid_at_once),
        ],
        "agreement_slice": [
            {
                **slice_,
                "seq": 1,
                "start_date": dt.date(2026, 1, 1),
                "end_date": dt.date(2026, 6, 30),
                "amount_minor": 6_000,
            },
            {
                **slice_,
                "seq": 2,
                "start_date": dt.date(2026, 7, 1),
                "end_date": dt.date(2026, 12, 31),
                "amount_minor": 12_000,
            },
        ],
        "agreement_relation": [{"id": 1, "agreement_id": 2, "related_id": 1, "kind": "additional"}],
        "source": [{"id": 1, "url": "https://example.com/northwind", "title": "Northwind's cloud deal"}],
        "agreement_source": [{"agreement_id": 1, "source_id": 1}],
        "valuation": [valuation],
        "valuation_source": [{"valuation_id": 1, "source_id": 1}],
        "schedule_line": [
            *({"agreement_id": 1, "month": month, "amount_minor": 10_000} for month in months(1, 12)),
            *({"agreement_id": 2, "month": month, "amount_minor": 1_000} for month in months(1, 6)),
            *({"agreement_id": 2, "month": month, "amount_minor": 2_000} for month in months(7, 12)),
            {"agreement_id": 3, "month": dt.date(2026, 3, 1), "amount_minor": 5_000_000},
        ],
    }
    if revision >= "0004":
        edge = {"payer": "Fabrikam Capital", "payee": "Northwind Labs", "currency": "USD"}
        amounts = {"firm_minor": 5_000_000, "investment_minor": 5_000_000, "commitment_minor": 0}
        rows["flow_edge"] = [{**edge, **amounts, "ceiling_minor": 5_000_000, "undisclosed": 0, "agreements": "FAB-NW"}]
        rows["flow_cycle"] = [
            {"id": 1, "label": "Fabrikam Capital -> Northwind Labs", "length": 1, "bottleneck_minor": 5_000_000,
             "bottleneck_up_to_minor": None, "basis": "firm", "currency": "USD", "agreements": "FAB-NW"},
        ]  # fmt: skip
        rows["flow_cycle_edge"] = [{"cycle_id": 1, "seq": 1, **edge}]
    if revision >= "0005":
        rule = "count=usage; cost=billed; true_up=/unused/i"
        rows["commitment_minimum"] = [{"agreement_id": 1, "amount_minor": 5_000, "period": "month"}]
        rows["ingest_file"] = [
            {"id": 1, "sha256": "a" * 64, "name": "charges.csv", "format": "csv", "rows": 3, "counting_rule": rule}
        ]
        rows["consumption"] = [
            {"id": 1, "ingest_id": 1, "payer_id": 3, "payee_id": 2, "month": dt.date(2026, 2, 1), "category": "usage",
             "counts": 1, "resource": None, "agreement_id": 1, "currency": "USD", "charges": 3,
             "amount_minor": 2_500, "sub_minor": 0},
        ]  # fmt: skip
        rows["drawdown"] = [
            {"consumption_id": 1, "agreement_id": 1, "kind": "draw", "amount_minor": 2_500, "sub_minor": 0}
        ]
        rows["party_alias"] = [{"alias": "Northwind", "party_id": 3}]
    return rows


def import_commitment(book: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "commitment.csv"
    path.write_text(COMMITMENT)
    book.import_file(path)


@pytest.fixture
def seeded_url(empty_db_url: str, tmp_path: Path) -> str:
    """A ledger at head with the seeds, a commitment and its charges (draw-downs and adjustments too)."""
    with Ledger(empty_db_url) as book:
        book.init()
        book.seed()
        import_commitment(book, tmp_path)
        book.ingest(FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv", payer="AwesomeCorp")
    return empty_db_url


# -- the first release of 0005 --------------------------------------------------------


def test_the_first_0005_in_test_data_is_the_released_file() -> None:
    assert hashlib.sha256(FIRST_0005.read_bytes()).hexdigest() == FIRST_0005_SHA256
    assert "party_alias" not in FIRST_0005.read_text()


def test_a_ledger_made_at_the_first_0005_upgrades_then_imports_ingests_and_seeds(
    first_0005_scripts: Path, empty_db_url: str, db_url: str, tmp_path: Path
) -> None:
    url = empty_db_url
    run_scripts(url, first_0005_scripts, "0005")
    rows = rows_at("0005")
    del rows["party_alias"]  # not there yet
    insert(url, rows)
    stored = contents(url, set(rows) - DERIVED)
    assert "party_alias" not in contents(url)
    with Ledger(url) as book:
        with pytest.raises(SchemaError, match=r"older ledger schema \(0005\): run `ledger init`"):
            book.agreements()  # no longer told it is current
        assert book.init() == ("0005", migrate.head_revision())
        assert schema(url) == schema(db_url)  # exactly the schema of a ledger made today
        assert before_0008(contents(url, stored)) == stored
        import_commitment(book, tmp_path)
        summary = book.ingest(FOCUS / "spec_v1.2_saas_spend_agreements_a1.csv", payer="AwesomeCorp")
        assert (summary.month_rows, summary.drawdowns) == (4, 5)  # its 4 months draw C-001; the earlier charge NW-CLOUD
        assert book.seed().agreements_created > 0
        (position,) = book.burn(dt.date(2026, 4, 1), ["C-001"]).to_dict("records")
        assert position["consumed"] == Decimal("228.00")
        (northwind,) = book.burn(dt.date(2026, 12, 31), ["NW-CLOUD"]).to_dict("records")
        assert northwind["consumed"] == Decimal("25.00")


# -- every earlier revision, with data ---------------------------------------------


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_ledger_made_at_an_earlier_revision_upgrades_with_its_data(revision: str, empty_db_url: str) -> None:
    url = empty_db_url
    migrate_to(url, revision)
    rows = rows_at(revision)
    insert(url, rows)
    stored = contents(url, set(rows) - DERIVED)
    with Ledger(url) as book:
        assert book.init() == (revision, migrate.head_revision())
        assert before_0008(contents(url, stored)) == stored
        lines = book.schedule(by="month", agreements=["NW-CLOUD", "NW-TRANCHES"])
        by_agreement = lines.groupby("agreement_id")["amount_minor"].apply(list).to_dict()
        assert by_agreement == {"NW-CLOUD": [10_000] * 12, "NW-TRANCHES": [1_000] * 6 + [2_000] * 6}
        (position,) = book.burn(dt.date(2026, 12, 31), ["NW-CLOUD"]).to_dict("records")
        drawn = 2_500 if revision >= "0005" else 0
        assert position["consumed"] == Decimal(drawn) / 100
    engine = make_engine(url)
    with engine.connect() as connection:  # and the views, rebuilt by 0007 on SQLite, read the same rows
        burn = "SELECT consumed_minor FROM v_commitment_burn WHERE agreement_id = 'NW-CLOUD'"
        assert connection.execute(text(burn)).scalar_one() == drawn
        year = "SELECT sum(amount_minor) FROM v_schedule_year WHERE payer = 'Northwind Labs'"
        assert connection.execute(text(year)).scalar_one() == 138_000
    engine.dispose()


# -- downgrades ----------------------------------------------------------------------


def test_downgrade_to_base_and_back_on_a_seeded_ledger(seeded_url: str, tmp_path: Path) -> None:
    migrate_to(seeded_url, "base", down=True)
    assert set(schema(seeded_url)) <= {"alembic_version", "revision"}
    with Ledger(seeded_url) as book:
        assert book.init() == (None, migrate.head_revision())
        book.seed()
        import_commitment(book, tmp_path)
        assert len(book.agreements()) > 1


def test_foreign_keys_are_on_again_after_a_migration(db_url: str) -> None:
    """On SQLite the migration turns them off; the connection it used has them on again once back in the pool."""
    insert(db_url, rows_at("0006"))
    engine = make_engine(db_url)
    with engine.begin() as connection:
        migrate.downgrade(connection, "0006")
        migrate.upgrade(connection)
    orphan = "INSERT INTO schedule_line (agreement_id, month, amount_minor) VALUES (999999, '2026-01-01', 1)"
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(text(orphan))
    engine.dispose()


def test_0007_down_and_up_keeps_every_row_and_repairs_nothing_on_a_correct_ledger(seeded_url: str, db_url: str) -> None:
    stored = before_0008(contents(seeded_url))
    assert stored["party_alias"] and stored["drawdown"] and stored["schedule_adjustment"]
    migrate_to(seeded_url, "0006", down=True)
    assert contents(seeded_url) == stored
    migrate_to(seeded_url, "head")
    assert before_0008(contents(seeded_url)) == stored
    assert schema(seeded_url) == schema(db_url)


# -- rows past the money limits --------------------------------------------------------


def test_an_overflowed_month_sum_stops_the_upgrade_and_names_its_billing_file(empty_db_url: str) -> None:
    url = empty_db_url
    migrate_to(url, "0006")
    rows = rows_at("0006")
    rows["consumption"][0]["amount_minor"] = -8_446_744_073_709_551_716  # what 100 charges of 999999999999999.99 became
    insert(url, rows)
    stored = contents(url)
    with (
        Ledger(url) as book,
        pytest.raises(
            SchemaError,
            match=r"past 1000000000000000000 minor units, which overflowed before revision 0007: 'charges.csv' \(ingest_file.id 1, 1 month sum\)",
        ),
    ):
        book.init()
    assert contents(url) == stored
    assert schema(url)["revision"] == "0006"


def test_derived_rows_past_the_limits_are_dropped_and_recomputed(empty_db_url: str) -> None:
    url = empty_db_url
    migrate_to(url, "0006")
    rows = rows_at("0006")
    rows["flow_edge"][0]["commitment_minor"] = 2 * 10**18  # a flow graph summed before the limit
    rows["drawdown"][0]["amount_minor"] = 5 * 10**18
    insert(url, rows)
    with Ledger(url) as book:
        book.init()
    after = contents(url)
    assert after["flow_edge"] == after["flow_cycle"] == after["flow_cycle_edge"] == []  # `ledger cycles` rewrites
    assert [row[3] for row in after["drawdown"]] == [2_500]  # recomputed by `ledger init`
