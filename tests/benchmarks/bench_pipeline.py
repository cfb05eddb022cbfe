"""Benchmark of the main job at scale: generate, import, amortize, store and export 100,000 agreements.

Not part of the test run. Usage (from the project root, with the project installed):

    python tests/benchmarks/bench_pipeline.py                 # SQLite and PostgreSQL
    python tests/benchmarks/bench_pipeline.py --backend sqlite --agreements 20000

Prints one Markdown table per backend: seconds, rows per second and peak
resident memory of each stage. PostgreSQL runs in a throwaway database on
the server named by LEDGER_TEST_POSTGRES_URL (default: the local one).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PG_ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Stage:
    name: str
    seconds: float
    rows: int | None
    unit: str
    peak_mb: float


@dataclass
class Report:
    backend: str
    stages: list[Stage] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [
            f"**{self.backend}**",
            "",
            "| stage | seconds | rows | rows/s | peak RSS (MB) |",
            "|---|---:|---:|---:|---:|",
        ]
        for s in self.stages:
            rate = f"{s.rows / s.seconds:,.0f} {s.unit}/s" if s.rows and s.seconds > 0 else ""
            rows = f"{s.rows:,} {s.unit}" if s.rows is not None else ""
            lines.append(f"| {s.name} | {s.seconds:.2f} | {rows} | {rate} | {s.peak_mb:,.0f} |")
        return "\n".join(lines)


class PeakMemory:
    """Samples this process's resident memory every 5 ms; `peak()` is the highest since `reset()`."""

    def __init__(self) -> None:
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss(self) -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self._peak = max(self._peak, self._rss())

    def reset(self) -> None:
        self._peak = self._rss()

    def peak_mb(self) -> float:
        return max(self._peak, self._rss()) / 2**20

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def stage(report: Report, memory: PeakMemory, name: str, unit: str = "rows") -> Iterator[Callable[[int], None]]:
    counted: list[int] = []
    memory.reset()
    start = time.perf_counter()
    yield counted.append
    seconds = time.perf_counter() - start
    report.stages.append(Stage(name, seconds, sum(counted) if counted else None, unit, memory.peak_mb()))
    print(f"  {name}: {seconds:.2f} s", file=sys.stderr)


RELATION_KINDS = ["additional", "expands", "supersedes", "tranche_of"]


def generate(path: Path, count: int, seed: int = 7, related: float = 0.1) -> None:
    """A CSV of `count` agreements: terms 12-120 months, 60% monthly and 20% daily straight lines,
    10% tranches (one amount per contract year) and 10% linear ramps; `related` of them related to
    the agreement before (same parties; 40% additional, 30% expands, 20% supersedes, 10% tranche_of)."""
    rng = np.random.default_rng(seed)
    months = rng.integers(12, 121, count)
    start = np.datetime64("2020-01-01") + rng.integers(0, 365 * 10, count).astype("timedelta64[D]")
    cents = rng.integers(100_000, 10**13, count)
    profile = rng.choice(["straight_line", "straight_line_daily", "tranches", "ramp"], count, p=[0.6, 0.2, 0.1, 0.1])
    payer = rng.integers(0, 1000, count)
    payee = rng.integers(0, 50, count)
    relate = rng.random(count) < related
    relate[0] = False
    relation = rng.choice(RELATION_KINDS, count, p=[0.4, 0.3, 0.2, 0.1])
    for i in np.flatnonzero(relate):  # a related deal is between the same parties
        payer[i], payee[i] = payer[i - 1], payee[i - 1]
    with path.open("w") as out:
        out.write(
            "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,profile,basis,tranche_amounts,"
            "relation_to,relation_kind\n"
        )
        for i in range(count):
            amount = f"{cents[i] // 100}.{cents[i] % 100:02d}"
            kind, basis, tranches = profile[i], "monthly", ""
            if kind == "straight_line_daily":
                kind, basis = "straight_line", "daily"
            elif kind == "tranches":
                years = (int(months[i]) + 11) // 12
                parts = np.diff(np.floor(np.linspace(0, int(cents[i]), years + 1)).astype(np.int64))
                parts[-1] += int(cents[i]) - int(parts.sum())
                tranches = ";".join(f"{p // 100}.{p % 100:02d}" for p in parts.tolist())
            link = f"BENCH-{i - 1:06d},{relation[i]}" if relate[i] else ","
            out.write(
                f"BENCH-{i:06d},cloud_commitment,Customer {payer[i]:04d},Cloud {payee[i]:02d},{amount},USD,"
                f"{start[i]},{months[i]},{kind},{basis},{tranches},{link}\n"
            )


def run_backend(backend: str, url: str, csv_path: Path, out_dir: Path, count: int) -> Report:
    from ledger import services
    from ledger.api import AGREEMENT_COLUMNS, Ledger
    from ledger.domain.calendars import Grain
    from ledger.io.readers import read_ledger_file
    from ledger.render import output
    from ledger.render.agreement_files import write_agreements
    from ledger.schedule.kernel import amortize
    from ledger.schedule.schedules import periods_for, slice_arrays

    report = Report(f"{backend}: {count:,} agreements")
    memory = PeakMemory()
    print(f"{backend}:", file=sys.stderr)
    book = Ledger(url)
    book.init()

    with stage(report, memory, "read + validate CSV", "agreements") as done:
        batch = read_ledger_file(csv_path).batch
        done(len(batch))
    with stage(report, memory, "kernel inputs (slices, periods)", "agreements") as done:
        pieces = slice_arrays(batch.agreements, batch.slices)
        periods, calendar = periods_for(Grain.MONTH, batch.agreements, pieces)
        done(len(batch))
    with stage(report, memory, "amortization kernel (monthly lines)", "lines") as done:
        done(len(amortize(pieces, periods, calendar)))
    del batch, pieces

    marks: list[tuple[str, float, int | None]] = []

    def progress(description: str, total: int | None) -> Callable[[int], None]:
        marks.append((description, time.perf_counter(), total))
        return lambda _n: None

    memory.reset()
    start = time.perf_counter()
    summary = book.import_file(csv_path, progress=progress)
    end = time.perf_counter()
    peak = memory.peak_mb()
    boundaries = [*marks, ("commit", end, None)]
    for (name, began, total), (_, finished, _) in itertools.pairwise(boundaries):
        unit = "lines" if "lines" in name else "agreements"
        rows = summary.schedule_lines_written if "lines" in name else total
        report.stages.append(Stage(f"import: {name.lower()}", finished - began, rows, unit, peak))
    report.stages.append(
        Stage("import, whole (one transaction)", end - start, summary.agreements_created, "agreements", peak)
    )

    with stage(report, memory, "export yearly CSV", "lines") as done:
        yearly = services.schedule(book.unit_of_work, services.ScheduleRequest(Grain.YEAR))
        with (out_dir / f"yearly_{backend}.csv").open("w", newline="") as handle:
            output.write_csv(output.schedule_for_output(yearly), handle)
        done(len(yearly))
    with stage(report, memory, "reconcile: every finding", "agreements") as done:
        findings = services.reconcile(book.unit_of_work)
        done(count)
    print(f"  {len(findings):,} findings", file=sys.stderr)
    with stage(report, memory, "consolidated yearly schedule", "lines") as done:
        done(len(services.consolidated_schedule(book.unit_of_work, services.ConsolidatedRequest(Grain.YEAR))))
    with stage(report, memory, "agreements read back (Store.agreement_batch)", "agreements") as done:
        with book.unit_of_work() as uow:
            stored = uow.store.agreement_batch()
        done(len(stored))
    with stage(report, memory, "agreement records (AgreementBatch.to_records)", "agreements") as done:
        records = stored.to_records()
        done(len(records))
    with stage(report, memory, "export agreements CSV (lossless)", "agreements") as done:
        with (out_dir / f"agreements_{backend}.csv").open("w", newline="") as handle:
            write_agreements(records, AGREEMENT_COLUMNS, "csv", handle)
        done(len(records))
    del stored, records
    book.close()
    memory.stop()
    total = sum(s.seconds for s in report.stages if s.name.startswith(("import, whole", "export yearly")))
    report.stages.append(
        Stage(
            "import + export, end to end",
            total,
            count,
            "agreements",
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )
    )
    return report


def help_seconds() -> float:
    ledger = shutil.which("ledger")
    assert ledger, "install the project first (pip install .)"
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([ledger, "--help"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


@contextmanager
def postgres_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        csv_path = work / "agreements.csv"
        start = time.perf_counter()
        generate(csv_path, args.agreements)
        print(f"generated {args.agreements:,} agreements in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        reports = []
        if args.backend in ("sqlite", "both"):
            reports.append(run_backend("sqlite", f"sqlite:///{work / 'bench.db'}", csv_path, work, args.agreements))
        if args.backend in ("postgresql", "both"):
            with postgres_database() as url:
                reports.append(run_backend("postgresql", url, csv_path, work, args.agreements))
        if len(reports) == 2:
            same = (work / "yearly_sqlite.csv").read_bytes() == (work / "yearly_postgresql.csv").read_bytes()
            print(f"\nyearly CSV identical on both backends: {same}")
            same = (work / "agreements_sqlite.csv").read_bytes() == (work / "agreements_postgresql.csv").read_bytes()
            print(f"agreements CSV identical on both backends: {same}")
    for report in reports:
        print("\n" + report.markdown())
    print(f"\n`ledger --help`: {help_seconds():.2f} s (best of 5)")


if __name__ == "__main__":
    main()
