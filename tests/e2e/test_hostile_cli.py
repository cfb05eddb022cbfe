"""Hostile files through `ledger import` and `ledger ingest`, on SQLite and PostgreSQL alike.

Each case: exit code 1, one `error:` line per problem (at most 20, then a count), no traceback, and the
database exactly as it was. The command runs in-process through its entry point (`ledger.cli.main`,
the function the installed `ledger` script calls), so that some fifty cases per backend stay fast;
the alias bomb also runs as a real `ledger` process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from ledger.api import Ledger
from ledger.io.records import INPUT_COLUMNS
from tests.inputs import agreement_yaml

AGREEMENTS = "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,notes\n"
CHARGES = "payer,payee,charge_period_start,charge_period_end,amount,currency,resource\n"
NAME_CHARS = "a name without control characters, tabs, line breaks or invisible bidirectional marks"
LABEL_CHARS = "text without control characters, tabs, line breaks or invisible bidirectional marks"
RANGE = "a date from 1900-01-01 to 2199-12-31 (the ledger's supported range)"
STAMP_RANGE = "a date or timestamp from 1900-01-01 to 2200-01-01T00:00:00Z (the ledger's supported range)"
ALIASES = "no YAML anchors or aliases (&name, *name): write each value out"
BLANK = "an amount, or amount_qualifier undisclosed for a deal whose amount is not known"


def row(i: str = "A", payer: str = "OpenAI", payee: str = "AWS", amount: str = "1.00", start: str = "2026-01-01",
        term: str = "12", notes: str = "") -> str:  # fmt: skip
    return f"{i},cloud_commitment,{payer},{payee},{amount},USD,{start},{term},{notes}\n"


def charge(payer: str = "Lab", payee: str = "Cloud", start: str = "2026-01-01", end: str = "2026-02-01",
           resource: str = "") -> str:  # fmt: skip
    return f"{payer},{payee},{start},{end},10.00,USD,{resource}\n"


def bomb() -> str:
    notes = "  notes: [&a0 [" + ",".join(["lol"] * 9) + "]"
    notes += "".join(f", &a{k} [" + ",".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 9))
    return agreement_yaml() + notes + "]\n"


def string_bomb() -> str:
    amount = "  amount: [&b0 [" + "x" * 40 + "]" + "".join(f", &b{k} [*b{k - 1},*b{k - 1}]" for k in range(1, 18))
    return agreement_yaml(amount=None) + amount + "]\n"


def long(char: str, n: int) -> str:
    return f"'{char * 80}'… ({n:,} characters)"


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    content: str
    first: str  # the first error line, without `error: `
    problems: int = 1  # error lines
    options: tuple[str, ...] = ()


CSV = "f.csv"
YAML = "f.yaml"
BILL = "c.csv"
BIG = agreement_yaml(notes="'" + "x" * (17 * 2**20) + "'")
CASES = [
    # YAML
    Case("yaml-alias-bomb", YAML, bomb(), f"f.yaml:10: notes: got '&a0', expected {ALIASES}", 21),
    Case(
        "yaml-alias-bomb-in-a-string-field", YAML, string_bomb(), f"f.yaml:9: amount: got '&b0', expected {ALIASES}", 21
    ),
    Case(
        "yaml-alias",
        YAML,
        agreement_yaml(payer="&p OpenAI", payee="*p"),
        f"f.yaml:4: payer: got '&p', expected {ALIASES}",
        2,
    ),
    Case(
        "yaml-merge-key",
        YAML,
        agreement_yaml("  <<: {notes: merged}\n"),
        "f.yaml:10: <<: expected no YAML merge keys (<<): write each key out",
    ),
    Case(
        "yaml-duplicate-key",
        YAML,
        agreement_yaml("  amount: '2.00'\n"),
        "f.yaml:10: amount: expected each key once in a mapping (also on line 6)",
    ),
    Case(
        "yaml-duplicate-section",
        YAML,
        agreement_yaml("agreements: []\n"),
        "f.yaml:10: agreements: expected each key once in a mapping (also on line 1)",
    ),
    Case(
        "yaml-nesting-40",
        YAML,
        "agreements:\n- agreement_id: A\n  notes: " + "[" * 40 + "]" * 40 + "\n",
        "f.yaml:3: notes: expected lists and mappings at most 32 levels deep",
    ),
    Case(
        "yaml-nesting-5000",
        YAML,
        "agreements:\n- agreement_id: A\n  notes: " + "[" * 5000 + "]" * 5000 + "\n",
        "f.yaml:3: yaml: expected valid YAML (exceeded maximum nesting depth)",
    ),
    Case(
        "yaml-python-tag",
        YAML,
        agreement_yaml(notes="!!python/object/apply:os.system ['true']"),
        "f.yaml:10: notes: got 'tag:yaml.org,2002:python/object/apply:os.system', expected no YAML tags (!!type): plain values, lists and mappings",
    ),
    Case(
        "yaml-binary-tag",
        YAML,
        agreement_yaml(payer="!!binary AAECAwQ="),
        "f.yaml:4: payer: got 'tag:yaml.org,2002:binary', expected no YAML tags (!!type): plain values, lists and mappings",
    ),
    Case(
        "yaml-600k-nodes",
        YAML,
        "agreements:\n- agreement_id: A\n  notes: [" + ",".join(["a"] * 600_000) + "]\n",
        "f.yaml:3: notes: expected at most 500,000 values, lists and mappings in a YAML file (or use CSV)",
    ),
    Case(
        "yaml-17-MiB",
        YAML,
        BIG,
        f"f.yaml:0: file: got '{len(BIG):,} bytes', expected a YAML file of at most 16 MiB (import more agreements as CSV)",
    ),
    Case(
        "yaml-raw-nul",
        YAML,
        agreement_yaml(payer="Open\x00AI"),
        "f.yaml:4: yaml: expected YAML text without control characters (U+0000 at column 14)",
    ),
    Case(
        "yaml-raw-escape",
        YAML,
        agreement_yaml(payer="Open\x1b[31mAI"),
        "f.yaml:4: yaml: expected YAML text without control characters (U+001B at column 14)",
    ),
    Case(
        "yaml-nul-escape",
        YAML,
        agreement_yaml(payer='"Open\\0AI"'),
        f"f.yaml:4: payer: got 'Open\\x00AI', expected {NAME_CHARS} (it has U+0000 at character 5)",
    ),
    Case(
        "yaml-lone-surrogate",
        YAML,
        agreement_yaml(payer='"Open\\ud800AI"'),
        "f.yaml:4: yaml: expected valid YAML (found invalid Unicode character escape code)",
    ),
    Case(
        "yaml-5000-digit-amount",
        YAML,
        agreement_yaml(amount="1" * 5000),
        f"f.yaml:6: amount: got {long('1', 5000)}, expected a decimal of at most 40 characters",
    ),
    Case(
        "yaml-line-break-in-alias",
        YAML,
        'parties:\n- name: Acme\n  aliases: ["Ac\\nme"]\n',
        f"f.yaml:3: aliases.0: got 'Ac\\nme', expected {NAME_CHARS} (it has U+000A at character 3)",
    ),
    # field sizes
    Case(
        "csv-notes-200k",
        CSV,
        AGREEMENTS + row(notes="x" * 200_000),
        f"f.csv:2: notes: got {long('x', 200_000)}, expected text of at most 10,000 characters",
    ),
    Case(
        "csv-notes-10001",
        CSV,
        AGREEMENTS + row(notes="x" * 10_001),
        f"f.csv:2: notes: got {long('x', 10_001)}, expected text of at most 10,000 characters",
    ),
    Case(
        "yaml-notes-200k",
        YAML,
        agreement_yaml(notes="x" * 200_000),
        f"f.yaml:10: notes: got {long('x', 200_000)}, expected text of at most 10,000 characters",
    ),
    Case(
        "csv-payer-10k",
        CSV,
        AGREEMENTS + row(payer="p" * 10_000),
        f"f.csv:2: payer: got {long('p', 10_000)}, expected a name of at most 200 characters",
    ),
    Case(
        "csv-resource-5k",
        CSV,
        AGREEMENTS.replace("notes", "resource") + row(notes="r" * 5000),
        f"f.csv:2: resource: got {long('r', 5000)}, expected text of at most 1,000 characters",
    ),
    Case(
        "yaml-party-name-100k",
        YAML,
        "parties:\n- name: " + "n" * 100_000 + "\n",
        f"f.yaml:2: name: got {long('n', 100_000)}, expected a name of at most 200 characters",
    ),
    Case(
        "csv-amount-1M-digits",
        CSV,
        AGREEMENTS + row(amount="1" * 1_000_000),
        f"f.csv:2: amount: got {long('1', 1_000_000)}, expected a decimal of at most 40 characters",
    ),
    Case(
        "csv-amount-100k-zeros",
        CSV,
        AGREEMENTS + row(amount="1." + "0" * 100_000),
        f"f.csv:2: amount: got '1.{'0' * 78}'… (100,002 characters), expected a decimal of at most 40 characters",
    ),
    Case(
        "csv-url-3000",
        CSV,
        AGREEMENTS.replace("notes", "source_url") + row(notes="https://e.com/" + "u" * 3000),
        "f.csv:2: source_url: got 'https://e.com/"
        + "u" * 66
        + "'… (3,014 characters), expected a web address of at most 2,000 characters",
    ),
    # control characters
    Case(
        "csv-nul-in-payer",
        CSV,
        AGREEMENTS + row(payer="Open\x00AI"),
        f"f.csv:2: payer: got 'Open\\x00AI', expected {NAME_CHARS} (it has U+0000 at character 5)",
    ),
    Case(
        "csv-escape-in-payee",
        CSV,
        AGREEMENTS + row(payee="AWS\x1b[2J"),
        f"f.csv:2: payee: got 'AWS\\x1b[2J', expected {NAME_CHARS} (it has U+001B at character 4)",
    ),
    Case(
        "csv-del-in-payer",
        CSV,
        AGREEMENTS + row(payer="Open\x7fAI"),
        f"f.csv:2: payer: got 'Open\\x7fAI', expected {NAME_CHARS} (it has U+007F at character 5)",
    ),
    Case(
        "csv-c1-csi-in-payer",
        CSV,
        AGREEMENTS + row(payer="Open\x9b2JAI"),
        f"f.csv:2: payer: got 'Open\\x9b2JAI', expected {NAME_CHARS} (it has U+009B at character 5)",
    ),
    Case(
        "csv-bidi-override-in-payer",
        CSV,
        AGREEMENTS + row(payer="Open\u202eIA"),
        f"f.csv:2: payer: got 'Open\\u202eIA', expected {NAME_CHARS} (it has U+202E at character 5)",
    ),
    Case(
        "csv-tab-in-payer",
        CSV,
        AGREEMENTS + row(payer='"Open\tAI"'),
        f"f.csv:2: payer: got 'Open\\tAI', expected {NAME_CHARS} (it has U+0009 at character 5)",
    ),
    Case(
        "csv-nul-in-notes",
        CSV,
        AGREEMENTS + row(notes="a\x00b"),
        "f.csv:2: notes: got 'a\\x00b', expected text without control characters other than tab and line breaks (it has U+0000 at character 2)",
    ),
    Case(
        "csv-nul-in-url",
        CSV,
        AGREEMENTS.replace("notes", "source_url") + row(notes="https://e.com/\x00"),
        "f.csv:2: source_url: got 'https://e.com/\\x00', expected a web address without control characters, tabs, line breaks or invisible bidirectional marks (it has U+0000 at character 15)",
    ),
    # dates and calendars
    Case(
        "csv-start-9999",
        CSV,
        AGREEMENTS + row(start="9999-06-01"),
        f"f.csv:2: start_date: got '9999-06-01', expected {RANGE}",
    ),
    Case(
        "csv-start-0001",
        CSV,
        AGREEMENTS + row(start="0001-01-01"),
        f"f.csv:2: start_date: got '0001-01-01', expected {RANGE}",
    ),
    Case(
        "csv-start-1899-12-31",
        CSV,
        AGREEMENTS + row(start="1899-12-31"),
        f"f.csv:2: start_date: got '1899-12-31', expected {RANGE}",
    ),
    Case(
        "csv-term-past-2199",
        CSV,
        AGREEMENTS + row(start="2150-01-01", term="1200"),
        "f.csv:2: term_months: got '1200', expected a term that ends by 2199-12-31 (from 2150-01-01, 1200 months end on 2249-12-31)",
    ),
    Case(
        "yaml-52-53-weeks-year-1",
        YAML,
        "parties:\n- name: OpenAI\n  fiscal_calendar: 52-53:jan:sun:last\n"
        + agreement_yaml(start_date="0001-03-01")[0:],
        f"f.yaml:11: start_date: got 0001-03-01, expected {RANGE}",
    ),
    Case(
        "yaml-end-9999-12-31",
        YAML,
        agreement_yaml(term_months=None, end_date="9999-12-31"),
        f"f.yaml:9: end_date: got 9999-12-31, expected {RANGE}",
    ),
    Case(
        "yaml-announced-0001",
        YAML,
        agreement_yaml(announced_on="0001-01-01"),
        f"f.yaml:10: announced_on: got 0001-01-01, expected {RANGE}",
    ),
    Case(
        "yaml-valuation-9999",
        YAML,
        "valuations:\n- {valuation_id: V, party: P, kind: post_money, amount: 1, currency: USD, as_of: 9999-12-31}\n",
        f"f.yaml:2: as_of: got 9999-12-31, expected {RANGE}",
    ),
    # blank amounts
    Case("csv-blank-amount", CSV, AGREEMENTS + row(amount=""), f"f.csv:2: amount: expected {BLANK}"),
    Case("yaml-missing-amount", YAML, agreement_yaml(amount=None), f"f.yaml:2: amount: expected {BLANK}"),
    # floods of problems
    Case(
        "csv-5000-bad-rows",
        CSV,
        AGREEMENTS + "".join(row(i=f"A{i}", amount="oops") for i in range(5000)),
        "f.csv:2: amount: got 'oops', expected a plain non-negative decimal without separators or exponent, like 100000000000.00",
        21,
    ),
    Case(
        "csv-3000-unknown-columns",
        CSV,
        AGREEMENTS.strip() + "," + ",".join(f"c{i}" for i in range(3000)) + "\n",
        "f.csv:1: c0: got 'c0', expected a known column: " + ", ".join(INPUT_COLUMNS),
        21,
    ),
    Case(
        "csv-200k-char-column-name",
        CSV,
        AGREEMENTS.strip() + ',"' + "c" * 200_000 + '"\n',
        f"f.csv:1: {long('c', 200_000)}: got {long('c', 200_000)}, expected a known column: "
        + ", ".join(INPUT_COLUMNS),
    ),
    # billing files
    Case(
        "bill-nul-in-payer",
        BILL,
        CHARGES + charge(payer="L\x00ab"),
        f"c.csv:2: payer: got 'L\\x00ab', expected {NAME_CHARS} (it has U+0000 at character 2)",
    ),
    Case(
        "bill-bidi-in-payee",
        BILL,
        CHARGES + charge(payee="Cl\u202eoud"),
        f"c.csv:2: payee: got 'Cl\\u202eoud', expected {NAME_CHARS} (it has U+202E at character 3)",
    ),
    Case(
        "bill-osc-in-resource",
        BILL,
        CHARGES + charge(resource="\x1b]0;x\x07gpu"),
        f"c.csv:2: resource: got '\\x1b]0;x\\x07gpu', expected {LABEL_CHARS} (it has U+001B at character 1)",
    ),
    Case(
        "bill-payer-100k",
        BILL,
        CHARGES + charge(payer="L" * 100_000),
        f"c.csv:2: payer: got {long('L', 100_000)}, expected a name of at most 200 characters",
    ),
    Case(
        "bill-resource-5k",
        BILL,
        CHARGES + charge(resource="r" * 5000),
        f"c.csv:2: resource: got {long('r', 5000)}, expected text of at most 1,000 characters",
    ),
    Case(
        "bill-year-9999",
        BILL,
        CHARGES + charge(start="9999-12-01", end="9999-12-31"),
        f"c.csv:2: charge_period_end: got '9999-12-31', expected {STAMP_RANGE}",
        2,
    ),
    Case(
        "bill-year-1800",
        BILL,
        CHARGES + charge(start="1800-01-01", end="1800-02-01"),
        f"c.csv:2: charge_period_end: got '1800-02-01', expected {STAMP_RANGE}",
        2,
    ),
    Case(
        "bill-end-2200-01-02",
        BILL,
        CHARGES + charge(start="2199-12-31", end="2200-01-02"),
        f"c.csv:2: charge_period_end: got '2200-01-02', expected {STAMP_RANGE}",
    ),
    Case(
        "bill-100k-bad-currencies",
        BILL,
        CHARGES + charge().replace("USD", "XXX") * 100_000,
        "c.csv:2: currency: got 'XXX', expected an ISO 4217 currency code the ledger knows, like USD",
        21,
    ),
    Case(
        "bill-escape-in-payer-option",
        BILL,
        CHARGES + charge(),
        f"c.csv:0: --payer: got 'La\\x1b[2Jb', expected {NAME_CHARS} (it has U+001B at character 3)",
        options=("--payer", "La\x1b[2Jb"),
    ),
]

GOOD_AGREEMENTS = AGREEMENTS + "G,cloud_commitment,Lab,Cloud,120.00,USD,2026-01-01,12,a good one\n"
GOOD_CHARGES = CHARGES + charge(resource="gpu")


def snapshot(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text: equal snapshots mean nothing was written."""
    engine = create_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            return {t.name: sorted(map(repr, connection.execute(select(t)).all())) for t in tables.sorted_tables}
    finally:
        engine.dispose()


PG_ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin(statement: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ledger per backend (shared by the cases: none may write) holding an agreement and a month of charges."""
    folder = tmp_path_factory.mktemp("hostile")
    database = None
    if request.param == "sqlite":
        path = folder / "ledger.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        database = f"ledger_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{database}" TEMPLATE {request.getfixturevalue("pg_template")}')
        url = make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    (folder / "good.csv").write_text(GOOD_AGREEMENTS)
    (folder / "good_charges.csv").write_text(GOOD_CHARGES)
    with Ledger(url) as book:
        book.import_file(folder / "good.csv")
        book.ingest(folder / "good_charges.csv", format="csv")
    yield url
    if database is not None:
        _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run_ledger(*args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`ledger ARGS` through its entry point: (exit code, stderr)."""
    from ledger.cli import main

    monkeypatch.setattr(sys, "argv", ["ledger", *args])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_is_refused_in_one_line_per_problem(
    case: Case,
    ledger_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / case.file).write_text(case.content, encoding="utf-8", newline="")
    command = ["ingest", case.file, "--format", "csv"] if case.file == BILL else ["import", case.file]
    before = snapshot(ledger_url)
    started = time.perf_counter()
    code, err = run_ledger("--db", ledger_url, *command, *case.options, monkeypatch=monkeypatch, capsys=capsys)
    seconds = time.perf_counter() - started
    assert "Traceback" not in err
    assert code == 1, err
    lines = err.splitlines()
    assert lines[0] == f"error: {case.first}"
    assert len(lines) == case.problems and all(line.startswith("error: ") for line in lines)
    assert len(lines) <= 21 and len(err) < 21 * 600
    assert snapshot(ledger_url) == before
    assert seconds < 10


def test_the_alias_bomb_as_a_real_ledger_process(ledger_url: str, tmp_path: Path) -> None:
    """Before: over 20 s and 2 GB, then a MemoryError traceback."""
    executable = shutil.which("ledger") or str(Path(sys.executable).with_name("ledger"))
    (tmp_path / "bomb.yaml").write_text(bomb())
    before = snapshot(ledger_url)
    started = time.perf_counter()
    done = subprocess.run(
        [executable, "--db", ledger_url, "import", "bomb.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.perf_counter() - started < 10
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"error: bomb.yaml:10: notes: got '&a0', expected {ALIASES}"
    assert len(lines) == 21 and lines[-1] == "error: … and 61 more problems"
    assert snapshot(ledger_url) == before
