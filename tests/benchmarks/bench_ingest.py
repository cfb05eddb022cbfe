"""Benchmark of streaming FOCUS ingest: 10 million FOCUS-shaped rows, against pandas' own read_csv.

Not part of the test run. Usage (from the project root, with the project installed):

    python tests/benchmarks/bench_ingest.py [--rows 10000000] [--backend sqlite|postgresql|both] [--keep FILE]

Writes a FOCUS 1.0-shaped cost-and-usage file (29 columns: hourly usage of 40 services across 3
providers and 50 accounts, a credit and a tax now and then, costs with 11 decimals), then runs each
stage in its own process so that its peak memory (max RSS) is its own:

- `pandas.read_csv`: pandas reading the same file in chunks of 200,000 rows, nothing else;
- `ledger ingest`: the ledger's streaming ingest (validation, exact sums to months, one transaction,
  draw-down against 150 commitments) into a fresh SQLite file and/or PostgreSQL database.

Prints a Markdown table (the README's) of seconds, rows per second and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HEADER = (
    "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,"
    "ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,"
    "ConsumedQuantity,ConsumedUnit,ContractedCost,EffectiveCost,InvoiceIssuerName,ListCost,PricingCategory,"
    "PricingQuantity,PricingUnit,ProviderName,RegionId,ResourceId,ServiceCategory,ServiceName,SkuId,"
    "SubAccountId,Tags\n"
)
PROVIDERS = [("AWS", '"Amazon Web Services, Inc."'), ("Microsoft", "Microsoft"), ("Google Cloud", "Google LLC")]
SERVICES = [f"Service {i:02d}" for i in range(40)]
ACCOUNTS = [f"Account {i:02d}" for i in range(50)]
TEMPLATES = 200_000
BLOCK = 500_000


def generate(path: Path, rows: int, seed: int = 5) -> None:
    """Rows drawn from 200,000 distinct lines (hours of September 2025), in blocks, to keep writing fast."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(TEMPLATES):
        provider, issuer = PROVIDERS[i % 3]
        hour = int(rng.integers(0, 720))
        day, h = divmod(hour, 24)
        start = f"2025-09-{day + 1:02d}T{h:02d}:00:00Z"
        end = f"2025-09-{day + 1:02d}T{h + 1:02d}:00:00Z" if h < 23 else f"2025-09-{day + 2:02d}T00:00:00Z"
        if end == "2025-09-31T00:00:00Z":
            end = "2025-10-01T00:00:00Z"
        category = "Usage" if i % 97 else ("Credit" if i % 2 else "Tax")
        cost = int(rng.integers(0, 5 * 10**11)) * (-1 if category == "Credit" else 1)
        cost_text = f"{'-' if cost < 0 else ''}{abs(cost) // 10**11}.{abs(cost) % 10**11:011d}"
        account = ACCOUNTS[i % 50]
        service = SERVICES[i % 40]
        lines.append(
            f"{cost_text},{1000 + i % 50},{account},USD,2025-10-01T00:00:00Z,2025-09-01T00:00:00Z,{category},NULL,"
            f"{service} usage,Usage-Based,{end},{start},1.00000000000,Hours,{cost_text},{cost_text},{issuer},"
            f"{cost_text},Standard,1,Hours,{provider},us-east-1,r-{i:07d},Compute,{service},SKU{i % 400},"
            f'{i % 900},"{{""team"":""t{i % 7}""}}"\n'
        )
    pool = np.array(lines, dtype=object)
    with path.open("w") as out:
        out.write(HEADER)
        written = 0
        while written < rows:
            n = min(BLOCK, rows - written)
            out.write("".join(pool[rng.integers(0, TEMPLATES, n)].tolist()))
            written += n


def commitments(path: Path) -> None:
    """One 3-year commitment per account and provider: 150 commitments to draw down."""
    with path.open("w") as out:
        out.write("agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n")
        for a, account in enumerate(ACCOUNTS):
            for p, (provider, _) in enumerate(PROVIDERS):
                out.write(f"C-{a:02d}-{p},cloud_commitment,{account},{provider},1000000.00,USD,2025-01-01,36\n")


def stage_pandas(path: Path) -> dict[str, float]:
    import pandas as pd

    start = time.perf_counter()
    rows = 0
    for chunk in pd.read_csv(path, chunksize=200_000):
        rows += len(chunk)
    return {"seconds": time.perf_counter() - start, "rows": rows}


def stage_ingest(path: Path, url: str, commitments_csv: Path) -> dict[str, float]:
    from ledger.api import Ledger

    with Ledger(url) as book:
        book.init()
        book.import_file(commitments_csv)
        start = time.perf_counter()
        summary = book.ingest(path)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": summary.rows, "month_rows": summary.month_rows, "draws": summary.drawdowns}


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would include the parent's, kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(argv: list[str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--keep", type=Path, help="Write the generated file here (and reuse it if it exists).")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--commitments", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:  # a child process: one stage, then its result and peak memory as JSON
        result = (
            stage_pandas(args.file) if args.stage == "pandas" else stage_ingest(args.file, args.url, args.commitments)
        )
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "focus.csv"
        if not path.exists():
            start = time.perf_counter()
            generate(path, args.rows)
            print(
                f"generated {args.rows:,} rows ({path.stat().st_size / 2**30:.2f} GiB) in {time.perf_counter() - start:.1f} s"
            )
        plan = Path(folder) / "commitments.csv"
        commitments(plan)
        results = [("pandas.read_csv (chunks of 200,000)", child(["--stage", "pandas", "--file", str(path)]))]
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        for backend in backends:
            url = f"sqlite:///{Path(folder) / 'ingest.db'}" if backend == "sqlite" else _postgres()
            argv = ["--stage", "ingest", "--file", str(path), "--url", url, "--commitments", str(plan)]
            results.append((f"ledger ingest ({backend})", child(argv)))
        print(f"\n{args.rows:,} FOCUS-shaped rows, {path.stat().st_size / 2**30:.2f} GiB, {os.cpu_count()} cores\n")
        print("| stage | seconds | rows per second | peak memory |")
        print("|---|---:|---:|---:|")
        for name, r in results:
            print(f"| {name} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:,.0f} MB |")


def _postgres() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"ledger_bench_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
