"""The README cannot drift from the code: every command, file, query and example in it is run here."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.api import Ledger
from ledger.db.engine import make_engine
from tests.e2e.runner import Done, ledger

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LEDGER = shutil.which("ledger")


@dataclass(frozen=True)
class Block:
    language: str
    name: str
    body: str


BLOCKS = [
    Block(m["lang"], (m["name"] or "").strip(), m["body"])
    for m in re.finditer(r"^```(?P<lang>[a-z]*)(?P<name>[^\n]*)\n(?P<body>.*?)^```\s*$", README, re.M | re.S)
]


def blocks(language: str) -> list[Block]:
    return [b for b in BLOCKS if b.language == language]


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_readme_starts_with_the_two_setup_commands_that_ci_runs() -> None:
    first, second = BLOCKS[0], BLOCKS[1]
    assert (first.language, second.language) == ("bash", "bash")
    assert len(lines(first.body)) == 1 and len(lines(second.body)) == 1
    assert "ledger quickstart" in first.body and "pip install . " in first.body
    assert "pip install '.[test]'" in second.body and second.body.strip().endswith("pytest")
    # .ci/run extracts the commands with its readme_command function: they are the ones shown here.
    ci = (ROOT / ".ci" / "run").read_text()
    function = re.search(r"^readme_command\(\) \{.*?^\}", ci, re.M | re.S)
    assert function is not None and "for n in 1 2; do" in ci
    for n, block in ((1, first), (2, second)):
        script = f"{function.group(0)}\nreadme_command {n}"
        extracted = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        assert extracted.strip() == block.body.strip()


def run(command: str, cwd: Path) -> Done:
    """A README command line, run as the installed `ledger` would run it (tests/e2e/runner.py: in this
    process, with its own argv, folder, environment without LEDGER_DATABASE_URL, stdout and stderr)."""
    argv = shlex.split(command)
    assert argv[0] == "ledger" and LEDGER is not None
    return ledger(*argv[1:], cwd=cwd)  # tables for 80 columns, as off any terminal (the runner leaves COLUMNS out)


def test_quickstart_output_is_what_the_readme_shows(tmp_path: Path) -> None:
    shown = BLOCKS[2]
    assert shown.language == "text"
    done = run("ledger quickstart", tmp_path)
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == lines(shown.body)


def write_example_files(folder: Path) -> None:
    """The README's named example files, and `tests/` (its FOCUS files) as a user's checkout has it."""
    for block in BLOCKS:
        if block.name and block.language in ("csv", "yaml"):
            (folder / block.name).write_text(block.body, encoding="utf-8")
    (folder / "tests").symlink_to(ROOT / "tests", target_is_directory=True)


MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def shown_lines(text: str) -> list[str]:
    """Lines as the README shows them, with recorded times (which vary from run to run) as one mark."""
    return [MOMENT.sub("<recorded at>", line) for line in lines(text)]


def test_console_sessions_run_as_shown(tmp_path: Path) -> None:
    """All `$ ledger ...` lines, in order, in one folder holding the README's example files."""
    write_example_files(tmp_path)
    sessions = [b for b in blocks("console") if b.body.lstrip().startswith("$ ")]
    assert sessions
    for session in sessions:
        steps = re.split(r"^\$ ", session.body, flags=re.M)[1:]
        for step in steps:
            command, _, shown = step.partition("\n")
            done = run(command, tmp_path)
            expected = lines(shown)
            if expected and expected[0].startswith("error:"):
                assert done.returncode == 1, command
                assert lines(done.stderr) == expected, command
            else:
                assert done.returncode == 0, f"{command}: {done.stderr}"
                assert "Traceback" not in done.stderr
                if expected:
                    assert shown_lines(done.stdout) == shown_lines(shown), command
    assert (tmp_path / "acme.csv").read_text().startswith("agreement_id,period,")
    assert "ACME-GPU-2026" in (tmp_path / "agreements.csv").read_text()
    book = (tmp_path / "book.csv").read_bytes()
    assert b"ACME-CLOUD-2028" in book and (tmp_path / "copy.csv").read_bytes() == book  # exported, imported, again
    assert (tmp_path / "founding.png").stat().st_size > 10_000


def test_sql_examples_agree_on_both_backends(db_url: str, backend: str, tmp_path: Path, seeded_sqlite: Path) -> None:
    (spend_query,) = [b.body for b in blocks("sql") if "drawdown" in b.body]
    queries = [b.body for b in blocks("sql") if b.body != spend_query and "v_record_version" not in b.body]
    assert len(queries) == 3
    with Ledger(db_url) as book:
        book.seed()
    results = []
    for url in (db_url, f"sqlite:///{seeded_sqlite}"):
        engine = make_engine(url)
        with engine.connect() as connection:
            results.append([[tuple(row) for row in connection.execute(text(q))] for q in queries])
        engine.dispose()
    mine, reference = results
    for rows in mine:
        assert rows, "every example query returns rows"
    # amount is NUMERIC on PostgreSQL and exact text on SQLite: compare as text
    normalize = lambda table: [tuple(str(v) if v is not None else None for v in row) for row in table]  # noqa: E731
    assert [normalize(t) for t in mine] == [normalize(t) for t in reference]
    aws = dict((period, amount) for _, period, amount in mine[0])
    assert sum(aws.values()) == 13_800_000_000_000  # $38B + $100B, to the cent

    write_example_files(tmp_path)
    with Ledger(db_url) as book:
        book.import_file(tmp_path / "commitments.csv")
        book.ingest(tmp_path / "tests/data/focus/spec_v1.2_saas_spend_agreements_a2.csv", payer="AwesomeCorp")
    engine = make_engine(db_url)
    with engine.connect() as connection:
        drawn = [tuple(row) for row in connection.execute(text(spend_query))]
    engine.dispose()
    assert sum(row[3] for row in drawn if row[2] == "draw") == 72_000  # $720.00 drawn from SPEC-A2 in 11 months
    assert [row[3] for row in drawn if row[2] == "true_up"] == [48_000]  # the $480.00 true-up row
    assert {row[0] for row in drawn} == {"SPEC-A2"}


def test_python_examples_print_what_the_readme_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Python example, in order in one folder, prints the text block that follows it."""
    examples = blocks("python")
    assert len(examples) == 3
    write_example_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    for example in examples:
        shown = BLOCKS[BLOCKS.index(example) + 1]
        assert shown.language == "text"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(example.body, "README.md", "exec"), {})  # the README example itself
        assert lines(out.getvalue()) == lines(shown.body)


def test_benchmark_script_runs_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's benchmark command, on 2,000 agreements and SQLite only."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "tests" / "benchmarks" / "bench_pipeline.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    csv_path = tmp_path / "agreements.csv"
    bench.generate(csv_path, 2000)
    report = bench.run_backend("sqlite", f"sqlite:///{tmp_path / 'bench.db'}", csv_path, tmp_path, 2000)
    names = [stage.name for stage in report.stages]
    assert "amortization kernel (monthly lines)" in names and "export yearly CSV" in names
    assert "| import, whole (one transaction) |" in report.markdown()
    assert "export agreements CSV (lossless)" in names and (tmp_path / "agreements_sqlite.csv").stat().st_size


def test_the_history_query_gives_what_was_known(db_url: str, tmp_path: Path) -> None:
    """The README's v_record_version query, at a moment between two imports of a restated deal."""
    import datetime as dt
    import json
    import time

    (query,) = [b.body for b in blocks("sql") if "v_record_version" in b.body]
    write_example_files(tmp_path)
    with Ledger(db_url) as book:
        book.import_file(tmp_path / "acme-aws.csv")
        time.sleep(0.01)
        moment = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")
        time.sleep(0.01)
        book.import_file(tmp_path / "acme-aws-restated.csv")
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(text(query.replace("2026-11-30 17:00:00", moment))).all()
    engine.dispose()
    records = {key: json.loads(record) for key, record in rows}
    assert records["ACME-AWS-2026"]["term_months"] == 12


def test_peer_benchmark_script_runs_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench_peer.py's own side on 200 commitments: every commitment's yearly totals add up to its amount
    (the peer, ledger-cli, is compared only when the script runs)."""
    from decimal import Decimal

    spec = importlib.util.spec_from_file_location("bench_peer", ROOT / "tests" / "benchmarks" / "bench_peer.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_peer", bench)
    spec.loader.exec_module(bench)
    csv_path, journal = bench.generate(tmp_path, 200)
    _, _, totals = bench.run_ours(tmp_path, csv_path)
    amounts = {row["agreement_id"]: Decimal(row["amount"]) for row in csv.DictReader(csv_path.open())}
    by_commitment: dict[str, Decimal] = {}
    for (key, _), amount in totals.items():
        by_commitment[key] = by_commitment.get(key, Decimal(0)) + amount
    assert by_commitment == amounts
    assert journal.read_text().count("~ Monthly from ") == 200
