"""The main job beside a compiled peer: import N commitments and export their yearly schedule, against
ledger-cli expanding the same commitments as periodic transactions, in the same run.

Not part of the test run. Usage (from the project root, with the project installed; ledger-cli is the
Debian package `ledger`, found at /usr/bin/ledger or on PATH, and is never installed by this script):

    python tests/benchmarks/bench_peer.py                   # 10,000 commitments
    python tests/benchmarks/bench_peer.py --commitments 2000 --runs 3

Each commitment has a term of 12 to 120 months starting on the first of a month and a total that
divides evenly by its months, so both tools are exact: the script checks that every (commitment, year)
total is equal to the cent, then prints a Markdown table of the best of `--runs` times and the ratio.
Ours is the installed `ledger` command, as a user runs it: `ledger import FILE.csv` into a new SQLite
file, then `ledger schedule --by year --format csv -o FILE`. The peer is `ledger -f FILE.ledger --budget
-Y reg` (budget postings of the periodic transactions, by year).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np

OURS = str(Path(sys.executable).with_name("ledger"))


def peer_command() -> str | None:
    """ledger-cli: /usr/bin/ledger, else a `ledger` on PATH that is not this project's."""
    if Path("/usr/bin/ledger").is_file():
        return "/usr/bin/ledger"
    found = shutil.which("ledger")
    return found if found and Path(found).resolve() != Path(OURS).resolve() else None


def generate(folder: Path, count: int, seed: int = 7) -> tuple[Path, Path]:
    """The same commitments as our CSV and as a ledger-cli journal of periodic transactions."""
    rng = np.random.default_rng(seed)
    terms = rng.integers(12, 121, count)
    starts = rng.integers(0, 12 * 8, count)  # months from 2024-01
    monthly_cents = rng.integers(100, 10**9, count)
    ours, journal = folder / "commitments.csv", folder / "commitments.ledger"
    with ours.open("w", newline="") as table, journal.open("w") as periodic:
        out = csv.writer(table)
        out.writerow(["agreement_id", "kind", "payer", "payee", "amount", "currency", "start_date", "term_months"])
        for i in range(count):
            start = dt.date(2024 + int(starts[i]) // 12, int(starts[i]) % 12 + 1, 1)
            end_month = int(starts[i]) + int(terms[i])
            end = dt.date(2024 + end_month // 12, end_month % 12 + 1, 1)
            cents = int(monthly_cents[i])
            total = cents * int(terms[i])
            key = f"C-{i:06d}"
            out.writerow([key, "cloud_commitment", f"Payer {i % 97}", "Cloudco", _money(total), "USD", start, terms[i]])
            periodic.write(
                f"~ Monthly from {start:%Y/%m/%d} to {end:%Y/%m/%d}\n"
                f"    Expenses:Commitments:{key}    ${_money(cents)}\n"
                "    Liabilities:Commitments\n\n"
            )
    return ours, journal


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def run_ours(folder: Path, csv_path: Path) -> tuple[float, float, dict[tuple[str, str], Decimal]]:
    """Seconds of `ledger import`, seconds of `ledger schedule --by year`, and the yearly totals."""
    database = folder / "ours.db"
    database.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DATABASE_URL"}
    url = f"sqlite:///{database}"
    subprocess.run([OURS, "--db", url, "init"], check=True, capture_output=True, env=env)
    started = time.perf_counter()
    subprocess.run([OURS, "--db", url, "import", str(csv_path)], check=True, capture_output=True, env=env)
    imported = time.perf_counter()
    out = folder / "yearly.csv"
    command = [OURS, "--db", url, "schedule", "--by", "year", "--format", "csv", "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True, env=env)
    exported = time.perf_counter()
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with out.open() as handle:
        for row in csv.DictReader(handle):
            totals[(row["agreement_id"], row["period"])] += Decimal(row["amount"])
    return imported - started, exported - imported, dict(totals)


def run_peer(peer: str, journal: Path) -> tuple[float, dict[tuple[str, str], Decimal]]:
    fmt = '%(format_date(date, "%Y"))\t%(account)\t%(scrub(amount))\n'
    command = [peer, "-f", str(journal), "--budget", "-Y", "reg", "^Expenses", "--begin", "2020", "--end", "2050",
               "--format", fmt]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in done.stdout.splitlines():
        year, account, amount = line.split("\t")
        key = account.rsplit(":", 1)[1]
        totals[(key, year)] -= Decimal(amount.replace("$", "").replace(",", ""))  # a budget shows what is left
    return seconds, dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commitments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs of each side")
    args = parser.parse_args()
    peer = peer_command()
    if peer is None:
        sys.exit("ledger-cli is not installed (Debian: apt-get install ledger); nothing to compare with")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        csv_path, journal = generate(folder, args.commitments)
        ours_runs = [run_ours(folder, csv_path) for _ in range(args.runs)]
        peer_runs = [run_peer(peer, journal) for _ in range(args.runs)]
    ours_totals, peer_totals = ours_runs[0][2], peer_runs[0][1]
    ours_totals = {k: v for k, v in ours_totals.items() if v}
    peer_totals = {k: v for k, v in peer_totals.items() if v}
    if ours_totals != peer_totals:
        differing = sorted(set(ours_totals.items()) ^ set(peer_totals.items()))[:5]
        sys.exit(f"the yearly totals differ, for example {differing}")
    imported = min(r[0] for r in ours_runs)
    exported = min(r[1] for r in ours_runs)
    ours = min(r[0] + r[1] for r in ours_runs)
    theirs = min(r[0] for r in peer_runs)
    version = subprocess.run([peer, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    lines = sum(1 for _ in ours_totals)
    print(
        f"{args.commitments:,} commitments, {lines:,} (commitment, year) totals, equal to the cent; best of {args.runs}"
    )
    print()
    print("| | seconds |")
    print("|---|---:|")
    print(f"| ledger import | {imported:.2f} |")
    print(f"| ledger schedule --by year --format csv | {exported:.2f} |")
    print(f"| **ours, both commands** | **{ours:.2f}** |")
    print(f"| {version}: `--budget -Y reg` | {theirs:.2f} |")
    print(f"| **ratio (peer / ours)** | **{theirs / ours:.1f}x** |")


if __name__ == "__main__":
    main()
