"""The `ledger` command end to end, as a user runs it: through its entry point (tests/e2e/runner.py), and as the
installed command where the process matters."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.runner import Done, ledger

LEDGER = shutil.which("ledger")
COMMANDS = [
    "init", "seed", "import", "schedule", "agreements", "adjustments", "reconcile", "cycles", "ingest", "burn",
    "commitments", "quickstart", "parties",
]  # fmt: skip
FOCUS = Path(__file__).resolve().parent.parent / "data" / "focus"

GOOD = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,end_date,profile,basis,tranche_amounts
OAI-AWS-2025-11,cloud_commitment,OpenAI,Amazon Web Services,38000000000.00,USD,2025-11-01,84,,,,
OAI-AWS-2026-02,cloud_commitment,OpenAI,Amazon Web Services,100000000000.00,USD,2026-03-01,96,,,,
D,cloud_commitment,Acme,Cloudco,99999999999.99,USD,2024-02-29,,2027-02-27,,daily,
T,chip_agreement,Acme,Chipco,36000000.00,EUR,2026-07-01,24,,tranches,,12000000.00;24000000.00
"""


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, installed: bool = False
) -> subprocess.CompletedProcess[str] | Done:
    """`ledger ARGS` through its entry point in this process (see runner.py), or as the installed command."""
    return ledger(*args, cwd=cwd, env=env, installed=installed)


def ok(*args: str, cwd: Path, env: dict[str, str] | None = None, installed: bool = False) -> str:
    done = run(*args, cwd=cwd, env=env, installed=installed)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_help_for_every_command(tmp_path: Path) -> None:
    assert LEDGER is not None, "the ledger command is not installed"
    top = ok("--help", cwd=tmp_path, installed=True)
    for command in COMMANDS:
        assert command in top
        text = ok(command, "--help", cwd=tmp_path)
        assert "Usage: ledger " + command in text and len(text.splitlines()) > 3
    assert ok("--version", cwd=tmp_path, installed=True).startswith("ledger ")


def test_same_bytes_on_sqlite_and_postgresql(tmp_path: Path, db_url: str, backend: str) -> None:
    """Run per backend; both write into the same folder and the second compares with the first."""
    (tmp_path / "deals.csv").write_text(GOOD)
    ok("--db", db_url, "import", "deals.csv", cwd=tmp_path)
    for grain in ("month", "quarter", "year", "fiscal-year", "contract-year"):
        out = ok("--db", db_url, "schedule", "--by", grain, "--format", "csv", cwd=tmp_path)
        golden = Path(__file__).parent / "golden" / f"schedule_{grain}.csv"
        assert out == golden.read_text(), f"{backend} {grain} differs from {golden}"


def test_csv_contract(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(GOOD)
    ok("init", cwd=tmp_path)
    ok("import", "deals.csv", cwd=tmp_path)
    ok("schedule", "--by", "year", "--format", "csv", "-o", "year.csv", cwd=tmp_path)
    with (tmp_path / "year.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["agreement_id", "period", "period_start", "period_end", "amount", "currency"]
    totals: dict[str, Decimal] = {}
    for row in rows:
        assert "e" not in row["amount"].lower() and "," not in row["amount"]
        totals[row["agreement_id"]] = totals.get(row["agreement_id"], Decimal(0)) + Decimal(row["amount"])
    assert totals == {
        "D": Decimal("99999999999.99"),
        "OAI-AWS-2025-11": Decimal("38000000000.00"),
        "OAI-AWS-2026-02": Decimal("100000000000.00"),
        "T": Decimal("36000000.00"),
    }
    first = rows[0]
    assert (first["agreement_id"], first["period"], first["period_start"], first["period_end"]) == (
        "D",
        "2024",
        "2024-01-01",
        "2024-12-31",
    )


def test_json_and_table_outputs(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text(GOOD)
    ok("init", cwd=tmp_path)
    ok("import", "deals.csv", cwd=tmp_path)
    payload = json.loads(ok("schedule", "--by", "contract-year", "-a", "T", "--format", "json", cwd=tmp_path))
    assert payload == {
        "by": "contract-year",
        "lines": [
            {
                "agreement_id": "T",
                "period": "CY1",
                "period_start": "2026-07-01",
                "period_end": "2027-06-30",
                "amount": "12000000.00",
                "currency": "EUR",
            },
            {
                "agreement_id": "T",
                "period": "CY2",
                "period_start": "2027-07-01",
                "period_end": "2028-06-30",
                "amount": "24000000.00",
                "currency": "EUR",
            },
        ],
    }
    table = ok("schedule", "--payer", "OpenAI", cwd=tmp_path)
    assert "12,500,000,000.00" in table and "OAI-AWS-2026-02" in table and "Acme" not in table
    listing = json.loads(ok("agreements", "--format", "json", cwd=tmp_path))
    assert [a["agreement_id"] for a in listing["agreements"]] == ["D", "OAI-AWS-2025-11", "OAI-AWS-2026-02", "T"]


def test_bad_file_one_line_errors_exit_1_and_nothing_written(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "deals.csv").write_text(GOOD)
    ok("--db", db_url, "import", "deals.csv", cwd=tmp_path)
    before = ok("--db", db_url, "schedule", "--by", "month", "--format", "csv", cwd=tmp_path)
    (tmp_path / "bad.csv").write_text(
        GOOD.replace("38000000000.00", '"38,000,000,000"') + "NEW,cloud_commitment,A,B,1.00,USD,2026-01-01,12,,,,\n"
    )
    done = run("--db", db_url, "import", "bad.csv", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (
        "error: bad.csv:2: amount: got '38,000,000,000', "
        "expected a plain non-negative decimal without separators or exponent, like 100000000000.00"
    )
    assert ok("--db", db_url, "schedule", "--by", "month", "--format", "csv", cwd=tmp_path) == before
    listing = ok("--db", db_url, "agreements", "--format", "csv", cwd=tmp_path)
    assert "NEW" not in listing


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["schedule", "--by", "week"], 2, "'week' is not one of month, quarter, year, fiscal-year, contract-year"),
        (["schedule", "--format", "xml"], 2, "'xml' is not one of table, csv, json"),
        (["schedule", "--by", "fiscal-year", "--fiscal-calendar", "july"], 2, "a fiscal calendar like"),
        (["schedule", "-a", "NOPE"], 1, "error: no agreement named 'NOPE' in the ledger"),
        (["import", "missing.csv"], 1, "error: missing.csv:0: file: expected an existing, readable file"),
        (["--db", "mysql://x/y", "init"], 1, "error: database URL 'mysql://x/y': expected a SQLite or PostgreSQL URL"),
        (
            ["--db", "postgresql://nobody@127.0.0.1:1/none", "init"],
            1,
            "error: cannot use the database postgresql+psycopg://nobody@127.0.0.1:1/none",
        ),
    ],
)
def test_usage_and_data_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    ok("init", cwd=tmp_path)
    done = run(*args, cwd=tmp_path)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr


def test_schedule_before_init_says_what_to_do(tmp_path: Path) -> None:
    done = run("schedule", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: sqlite:///ledger.db has no ledger schema yet: run `ledger init` first"


def test_database_url_precedence(tmp_path: Path) -> None:
    env = {"LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'from_env.db'}"}
    ok("init", cwd=tmp_path, env=env)
    assert (tmp_path / "from_env.db").exists() and not (tmp_path / "ledger.db").exists()
    ok("--db", f"sqlite:///{tmp_path / 'from_flag.db'}", "init", cwd=tmp_path, env=env)
    assert (tmp_path / "from_flag.db").exists()
    ok("init", cwd=tmp_path)
    assert (tmp_path / "ledger.db").exists()


def test_quickstart_in_an_empty_folder(tmp_path: Path) -> None:
    out = ok("quickstart", cwd=tmp_path)
    assert "Founding example: yearly schedule" in out and "12,500,000,000.00" in out
    with (tmp_path / "schedule.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    total = {
        key: sum(Decimal(r["amount"]) for r in rows if r["agreement_id"] == key)
        for key in ("OAI-AWS-2026-02", "OAI-AWS-2025-11")
    }
    assert total == {"OAI-AWS-2026-02": Decimal("100000000000.00"), "OAI-AWS-2025-11": Decimal("38000000000.00")}
    again = run("quickstart", cwd=tmp_path)
    assert again.returncode == 0 and "agreements: 0 new, 0 updated, 94 unchanged" in again.stderr


@pytest.fixture(scope="module")
def seeded_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seeded")
    ok("init", cwd=folder)
    ok("seed", cwd=folder)
    return folder


def test_reconcile_report_and_json(seeded_folder: Path) -> None:
    import jsonschema

    import ledger.reconcile

    table = run("reconcile", cwd=seeded_folder)
    assert table.returncode == 0 and "Reconciliation" in table.stdout and "rate_vs_total" in table.stdout
    assert table.stderr.strip().endswith("notes")
    payload = json.loads(ok("reconcile", "--format", "json", cwd=seeded_folder))
    schema = json.loads((Path(ledger.reconcile.__file__).parent / "findings.schema.json").read_text())
    jsonschema.validate(payload, schema)
    assert payload["counts"]["error"] == 0
    assert run("reconcile", "--strict", cwd=seeded_folder).returncode == 0


def test_reconcile_strict_fails_on_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,relation_to,relation_kind\n"
        "W,funding_round,Investors in W,Lab,100.00,USD,2026-01-01,,\n"
        "P,equity_investment,Fund,Lab,120.00,USD,2026-01-01,W,tranche_of\n"
    )
    ok("init", cwd=tmp_path)
    ok("import", "bad.csv", cwd=tmp_path)
    done = run("reconcile", "--strict", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1
    (finding,) = json.loads(done.stdout)["findings"]
    assert (
        finding["kind"] == "parts_exceed_whole" and finding["difference"] == "20.00" and finding["amount"] == "100.00"
    )


def test_consolidated_schedule_and_adjustments(seeded_folder: Path) -> None:
    lines = list(
        csv.DictReader(
            ok(
                "schedule", "--consolidated", "--rollup", "--payer", "OpenAI", "--format", "csv", cwd=seeded_folder
            ).splitlines()
        )
    )
    assert list(lines[0]) == [
        "payer",
        "payee",
        "resource",
        "period",
        "period_start",
        "period_end",
        "amount",
        "currency",
    ]
    oracle = sum(Decimal(r["amount"]) for r in lines if r["payee"] == "Oracle")
    assert oracle == Decimal("300000000000.00")
    adjustments = json.loads(ok("adjustments", "--by", "year", "--format", "json", cwd=seeded_folder))
    removed = [a for a in adjustments["adjustments"] if a["agreement_id"] == "OAI-ORCL-2025-07"]
    assert {a["related_id"] for a in removed} == {"OAI-ORCL-2025-09"}
    assert sum(Decimal(a["amount"]) for a in removed) == Decimal("-30000000000.00")
    done = run("schedule", "--rollup", cwd=seeded_folder)
    assert done.returncode == 2 and "only with --consolidated" in done.stderr


def test_cycles_in_every_format(seeded_folder: Path) -> None:
    table = ok("cycles", "--wide", cwd=seeded_folder)  # each cycle's parties on one line
    assert "Amazon → OpenAI → Amazon" in table and "50,000,000,000.00 USD" in table and "36.2%" not in table
    rows = list(csv.DictReader(ok("cycles", "--format", "csv", cwd=seeded_folder).splitlines()))
    first = rows[0]
    assert (first["cycle"], first["basis"], first["bottleneck"]) == (
        "Amazon → OpenAI → Amazon",
        "firm",
        "50000000000.00",
    )
    payload = json.loads(ok("cycles", "--max-length", "2", "--format", "json", cwd=seeded_folder))
    assert {c["length"] for c in payload["cycles"]} == {2}
    amazon = next(s for s in payload["suppliers"] if s["supplier"] == "Amazon")
    assert (amazon["backlog"], amazon["funded_by_own_investment"], amazon["funded_share"]) == (
        "238000000000.00",
        "83000000000.00",
        "34.9%",
    )
    dot = ok("cycles", "--format", "dot", cwd=seeded_folder)
    assert dot.startswith("digraph flows {") and '"Amazon" -> "OpenAI"' in dot
    for picture in ("png", "svg"):
        ok("cycles", "--format", picture, "-o", f"flows.{picture}", cwd=seeded_folder)
        assert (seeded_folder / f"flows.{picture}").stat().st_size > 10_000
    assert (seeded_folder / "flows.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (seeded_folder / "flows.svg").read_text()[:500]
    done = run("cycles", "--as-of", "29/02/2026", cwd=seeded_folder)
    assert done.returncode == 2 and "is not a date written YYYY-MM-DD" in done.stderr


SPEND_COMMITMENT = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,minimum_amount,minimum_period
C-002,cloud_commitment,AwesomeCorp,Acme Co,1200.00,USD,2025-04-01,12,60.00,month
"""


def test_ingest_burn_and_export_end_to_end(tmp_path: Path, db_url: str) -> None:
    import jsonschema

    import ledger.burn

    (tmp_path / "commitment.csv").write_text(SPEND_COMMITMENT)
    ok("--db", db_url, "import", "commitment.csv", cwd=tmp_path)
    scenario = str(FOCUS / "spec_v1.2_saas_spend_agreements_b2.csv")
    first = run("--db", db_url, "ingest", scenario, "--payer", "AwesomeCorp", cwd=tmp_path)
    assert first.returncode == 0 and "14 charges in 13 month sums (counted usage: 720.00 USD)" in first.stderr
    again = run("--db", db_url, "ingest", scenario, "--payer", "AwesomeCorp", cwd=tmp_path)
    assert again.returncode == 0 and "already ingested" in again.stderr and "nothing changed" in again.stderr

    report = json.loads(ok("--db", db_url, "burn", "--as-of", "2026-04-01", "--format", "json", cwd=tmp_path))
    jsonschema.validate(report, json.loads((Path(ledger.burn.__file__).parent / "burn.schema.json").read_text()))
    (c,) = report["commitments"]
    assert (c["agreement_id"], c["committed"], c["consumed"], c["remaining"]) == (
        "C-002",
        "1200.00",
        "720.00",
        "480.00",
    )
    assert (c["shortfall"], c["true_up_billed"], c["status"]) == ("480.00", "480.00", "expired")
    assert [p["gap"] for p in c["periods"] if p["kind"] == "minimum"][-1] == "60.00"

    table = ok("--db", db_url, "burn", "--as-of", "2025-06-30", cwd=tmp_path)
    assert "Commitments on 2025-06-30" in table and "1,200.00" in table and "960.00" in table
    rows = list(
        csv.DictReader(ok("--db", db_url, "burn", "--as-of", "2025-06-30", "-f", "csv", cwd=tmp_path).splitlines())
    )
    assert (rows[0]["consumed"], rows[0]["trailing_monthly"], rows[0]["required_monthly"]) == (
        "240.00",
        "80.00",
        "106.67",
    )
    periods = ok("--db", db_url, "burn", "--as-of", "2025-06-30", "--periods", "-f", "csv", cwd=tmp_path)
    by_period = {r["period"]: r for r in csv.DictReader(periods.splitlines())}
    assert (by_period["CY1"]["consumed"], by_period["CY1"]["required_monthly"]) == ("240.00", "106.67")
    assert (by_period["M3"]["state"], by_period["M3"]["consumed"], by_period["M3"]["gap"]) == ("ended", "60.00", "0.00")
    assert (by_period["M4"]["state"], by_period["M4"]["required_monthly"], by_period["M4"]["gap"]) == (
        "future",
        "60.00",
        "",
    )

    ok("--db", db_url, "commitments", "-o", "commitments.csv", cwd=tmp_path)
    with (tmp_path / "commitments.csv").open() as handle:
        exported = list(csv.DictReader(handle))
    # the 12 monthly minimums and the balance they leave partition the contract's total
    assert len(exported) == 13 and exported[0]["ContractCommitmentId"] == "C-002/M1"
    assert [r["ContractCommitmentType"] for r in exported] == ["Minimum"] * 12 + ["Balance"]
    assert sum(Decimal(r["ContractCommitmentCost"]) for r in exported) == Decimal("1200.00")
    assert {r["ContractPeriodEnd"] for r in exported} == {"2026-04-01T00:00:00Z"}


def test_ingest_refuses_bad_files_whole(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "charges.csv").write_text(
        "payer,payee,charge_period_start,charge_period_end,amount,currency\n"
        "Lab,Cloud,2026-01-01,2026-02-01,10.00,USD\n"
        "Lab,Cloud,2026-02-01,2026-01-01,10.00,USD\n"
    )
    done = run("--db", db_url, "ingest", "charges.csv", "--format", "csv", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "error: charges.csv:3: charge_period_end: got '2026-01-01', "
        "expected a charge_period_end after charge_period_start (it is exclusive)"
    )
    spec = run(
        "--db", db_url, "ingest", str(FOCUS / "spec_v1.2_commitment_discount_purchase_scenario_2.csv"), cwd=tmp_path
    )
    assert spec.returncode == 1 and "BillingCurrency: expected this required column in the header" in spec.stderr
    burn = json.loads(ok("--db", db_url, "burn", "--format", "json", cwd=tmp_path))
    assert burn["commitments"] == []
    usage = run("--db", db_url, "ingest", "charges.csv", "--count", "usage,bogus", cwd=tmp_path)
    assert usage.returncode == 2 and "'bogus' is not one of usage, purchase, tax, credit, adjustment" in usage.stderr


def test_python_dash_m_ledger_reaches_this_project(tmp_path: Path) -> None:
    """`python -m ledger` is the door that ledger-cli's /usr/bin/ledger cannot shadow; the distribution is
    commitment-ledger (the name ledger is taken on PyPI)."""
    import importlib.metadata
    import sys

    import ledger

    done = subprocess.run(
        [sys.executable, "-m", "ledger", "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == f"ledger {ledger.__version__}\n"
    assert importlib.metadata.version("commitment-ledger") == ledger.__version__
    assert "ledger = ledger.cli:main" in importlib.metadata.distribution("commitment-ledger").read_text(
        "entry_points.txt"
    )


def test_output_dash_is_standard_output(seeded_folder: Path) -> None:
    shown = ok("schedule", "--format", "csv", cwd=seeded_folder)
    assert ok("schedule", "--format", "csv", "-o", "-", cwd=seeded_folder) == shown
    assert not (seeded_folder / "-").exists()
    done = run("cycles", "--format", "png", "-o", "-", cwd=seeded_folder)
    assert done.returncode == 2 and "pictures are not written to standard output" in done.stderr
