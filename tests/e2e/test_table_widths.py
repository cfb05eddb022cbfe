"""Every table command at 80 and 120 columns (and --wide) on the seeds with some spend: no line wider than
the terminal, no id or amount cut (each one of the data appears whole, with its currency, unless the
table says its column is not shown), nothing shown as nan, None or NaT."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from ledger.render import burn_output, flows_output, history_output, listings
from ledger.render.output import grouped_amount
from ledger.render.tables import TableSpec
from tests.e2e.runner import ledger
from tests.inputs import AWS_FOCUS

AS_OF = "2026-06-30"
WIDTHS = [80, 120]
DECIMAL = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Folder:
    path: Path
    db: list[str]


@pytest.fixture(scope="module")
def seeded(seeded_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Folder:
    """The seeds with OpenAI's AWS spend of spring 2026 (so that burn has consumption and run-rates)."""
    folder = tmp_path_factory.mktemp("widths")
    shutil.copy(seeded_sqlite, folder / "book.db")
    (folder / "aws.csv").write_text(AWS_FOCUS)
    seeded = Folder(folder, ["--db", f"sqlite:///{folder / 'book.db'}"])
    run(seeded, "ingest", "aws.csv")
    return seeded


def run(folder: Folder, *args: str, width: int | None = None) -> str:
    env = {"COLUMNS": str(width)} if width else {}
    done = ledger(*args, *folder.db, cwd=folder.path, env=env)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def read_csv(text: str) -> pd.DataFrame:
    return pd.DataFrame(list(csv.DictReader(io.StringIO(text))), dtype=object)


def left_out(shown: str) -> set[str]:
    """The headers a table says it did not show ("Not shown at 80 columns: a, b (--wide ...)")."""
    flat = re.sub(r"\s+", " ", re.sub(r"[│┃]", " ", shown))
    return {h.strip() for m in re.findall(r"Not shown at \d+ columns: (.*?) \(--wide", flat) for h in m.split(",")}


def assert_readable(shown: str, width: int | None) -> None:
    tables = shown.split("\nHistory, newest first\n")[0]  # show ends with the history log
    if width is not None:
        assert max(len(line) for line in shown.splitlines()) <= width
    assert "…" not in tables
    assert not re.search(r"\b(nan|NaN|None|NaT|<NA>)\b", tables)


def assert_whole(shown: str, spec: TableSpec, data: pd.DataFrame) -> None:
    """Every id, code and amount of `data` that the table holds appears whole: an id or code word for word
    (a list wraps between its items), an amount grouped with its currency on one line."""
    hidden = left_out(shown)
    words = set(shown.split())
    checked = 0
    for f in spec.fields:
        if f.name not in data or f.kind not in ("key", "money") or f.title in hidden:
            continue
        for value, currency in zip(data[f.name], data.get(spec.currency, [""] * len(data)), strict=True):
            if value is None or value == "" or (isinstance(value, float) and value != value):
                continue
            if f.kind == "money" and DECIMAL.fullmatch(str(value)):
                assert f"{grouped_amount(str(value))} {currency}" in shown, (f.name, value)
            else:
                value = {"True": "yes", "False": "no"}.get(str(value), value)  # as a table shows a flag
                assert set(str(value).split()) <= words, (f.name, value)
            checked += 1
    assert checked, "the data has values the table shows"


# (command, the table's spec, the same data as CSV or JSON)
CASES = {
    "schedule": (["schedule"], listings.SCHEDULE, ["schedule", "-f", "csv"]),
    "schedule --consolidated": (
        ["schedule", "--consolidated"], listings.consolidated(False), ["schedule", "--consolidated", "-f", "csv"]
    ),
    "schedule --consolidated --by-agreement": (
        ["schedule", "--consolidated", "--by-agreement"], listings.consolidated(True),
        ["schedule", "--consolidated", "--by-agreement", "-f", "csv"],
    ),
    "adjustments": (["adjustments"], listings.ADJUSTMENTS, ["adjustments", "-f", "csv"]),
    "agreements": (["agreements"], listings.AGREEMENTS, ["agreements", "-f", "csv"]),
    "burn": (["burn", "--as-of", AS_OF], burn_output.BURN_TABLE, ["burn", "--as-of", AS_OF, "-f", "csv"]),
    "burn --periods": (
        ["burn", "--as-of", AS_OF, "--periods"], burn_output.PERIODS_TABLE,
        ["burn", "--as-of", AS_OF, "--periods", "-f", "csv"],
    ),
    "commitments": (["commitments", "--format", "table"], burn_output.FOCUS_TABLE, ["commitments"]),
}  # fmt: skip


@pytest.mark.parametrize("width", [*WIDTHS, None], ids=["80", "120", "wide"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_table_commands(seeded: Folder, case: str, width: int | None) -> None:
    command, spec, source = CASES[case]
    data = read_csv(run(seeded, *source))
    if case == "commitments":
        data = burn_output.focus_table(data)
    shown = run(seeded, *command, width=width) if width else run(seeded, *command, "--wide", width=80)
    assert_readable(shown, width)
    assert_whole(shown, spec, data)
    if width is None:
        assert "Not shown" not in shown
        for f in spec.fields:
            assert all(word in shown for word in f.title.split()), f.title  # every column, in its own place
    if width == 80 and case == "schedule":
        assert "Not shown at 80 columns: period start, period end" in shown  # dates give way to amounts
    if width == 80 and case == "burn":
        assert "Not shown" not in shown and "│ total " in shown  # all of it, stacked, and the totals


@pytest.mark.parametrize("width", [*WIDTHS, None], ids=["80", "120", "wide"])
def test_reconcile(seeded: Folder, width: int | None) -> None:
    findings = json.loads(run(seeded, "reconcile", "-f", "json"))["findings"]
    shown = run(seeded, "reconcile", width=width) if width else run(seeded, "reconcile", "--wide", width=80)
    assert_readable(shown, width)
    data = pd.DataFrame(
        [{"agreements": a, "difference": f.get("difference"), "currency": f.get("currency")}
         for f in findings for a in f["agreements"]]
    )  # fmt: skip
    assert_whole(shown, listings.FINDINGS, data)


@pytest.mark.parametrize("width", [*WIDTHS, None], ids=["80", "120", "wide"])
def test_cycles(seeded: Folder, width: int | None) -> None:
    analysis = json.loads(run(seeded, "cycles", "-f", "json"))
    shown = run(seeded, "cycles", width=width) if width else run(seeded, "cycles", "--wide", width=80)
    assert_readable(shown, width)
    cycles = pd.DataFrame(
        [{"agreements": a, "bottleneck": c["bottleneck"], "bottleneck_up_to": c["bottleneck_up_to"],
          "currency": c["currency"]} for c in analysis["cycles"] for e in c["edges"] for a in e["agreements"]]
    )  # fmt: skip
    assert_whole(shown, flows_output.CYCLES_TABLE, cycles)
    assert_whole(shown, flows_output.ROUND_TRIPS_TABLE, pd.DataFrame(analysis["round_trips"]))
    assert_whole(shown, flows_output.SUPPLIERS_TABLE, pd.DataFrame(analysis["suppliers"]))


@pytest.mark.parametrize("width", WIDTHS)
def test_parties_and_show(seeded: Folder, width: int) -> None:
    parties = json.loads(run(seeded, "parties", "list", "-f", "json"))["parties"]
    shown = run(seeded, "parties", "list", width=width)
    assert_readable(shown, width)
    assert_whole(shown, listings.PARTIES, pd.DataFrame(parties))
    view = json.loads(run(seeded, "show", "OAI-AWS-2025-11", "--as-of", AS_OF, "-f", "json"))
    shown = run(seeded, "show", "OAI-AWS-2025-11", "--as-of", AS_OF, width=width)
    assert_readable(shown, width)
    assert_whole(shown, history_output.SCHEDULE_TABLE, pd.DataFrame(view["schedule"]))
    assert "38,000,000,000.00 USD" in shown  # the schedule's total, and the committed amount of its burn
    assert view["record"]["sources"][0]["url"] in shown.replace("│", "").replace("\n", "").replace(" ", "")


@pytest.mark.parametrize("width", WIDTHS)
def test_quickstart(seeded: Folder, width: int, tmp_path: Path) -> None:
    from ledger.api import Ledger

    done = ledger("quickstart", "--db", f"sqlite:///{tmp_path / 'q.db'}", cwd=tmp_path, env={"COLUMNS": str(width)})
    assert done.returncode == 0, done.stderr
    assert_readable(done.stdout, width)
    founding = Ledger.founding_example(Ledger(f"sqlite:///{tmp_path / 'q.db'}"))
    lines = read_csv((tmp_path / "schedule.csv").read_text())
    assert_whole(done.stdout, listings.FOUNDING, lines[lines["agreement_id"].isin(founding)])
    assert "38,000,000,000.00 USD" in done.stdout and "100,000,000,000.00 USD" in done.stdout  # the AWS totals
