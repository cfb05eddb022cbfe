"""Benchmark of cyclic financing at scale: 10,000 parties, 200,000 agreements, loops of at most 4 parties.

Not part of the test run. Usage (from the project root, with the project installed):

    python tests/benchmarks/bench_cycles.py [--parties 10000] [--agreements 200000] [--max-length 4]

Imports the generated agreements into a throwaway SQLite ledger (timed apart), then times the flow
analysis: consolidated amounts by year, the flow graph, every simple cycle and the measures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def generate(path: Path, parties: int, count: int, seed: int = 11) -> None:
    """Agreements between random parties: 30% equity investments paid at once, 70% cloud commitments."""
    rng = np.random.default_rng(seed)
    payer = rng.integers(0, parties, count)
    payee = (payer + rng.integers(1, parties, count)) % parties  # never the payer itself
    equity = rng.random(count) < 0.3
    start = np.datetime64("2022-01-01") + rng.integers(0, 365 * 6, count).astype("timedelta64[D]")
    months = rng.integers(12, 121, count)
    cents = rng.integers(10**8, 10**13, count)
    with path.open("w") as out:
        out.write("agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n")
        for i in range(count):
            kind = "equity_investment" if equity[i] else "cloud_commitment"
            term = "" if equity[i] else str(months[i])
            out.write(
                f"F-{i:06d},{kind},Party {payer[i]:05d},Party {payee[i]:05d},"
                f"{cents[i] // 100}.{cents[i] % 100:02d},USD,{start[i]},{term}\n"
            )


def main() -> None:
    from ledger.api import Ledger
    from ledger.services.flows import FlowRequest, analyse_flows

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parties", type=int, default=10_000)
    parser.add_argument("--agreements", type=int, default=200_000)
    parser.add_argument("--max-length", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "flows.csv"
        generate(csv_path, args.parties, args.agreements)
        with Ledger(f"sqlite:///{Path(folder) / 'flows.db'}") as book:
            book.init()
            start = time.perf_counter()
            book.import_file(csv_path)
            imported = time.perf_counter() - start
            start = time.perf_counter()
            analysis = analyse_flows(book.unit_of_work, FlowRequest(max_length=args.max_length))
            analysed = time.perf_counter() - start
    by_length: dict[int, int] = {}
    for cycle in analysis.cycles:
        by_length[cycle.length] = by_length.get(cycle.length, 0) + 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.parties:,} parties, {args.agreements:,} agreements, loops of at most {args.max_length}:",
        file=sys.stderr,
    )
    print("| stage | seconds |\n|---|---:|")
    print(f"| import (not part of the analysis) | {imported:.1f} |")
    print(f"| flow analysis: consolidation, graph, cycles, measures | {analysed:.1f} |")
    print(
        f"\n{len(analysis.edges):,} edges; cycles by length: "
        + ", ".join(f"{n}: {k:,}" for n, k in sorted(by_length.items()))
        + f"; peak resident memory {peak:,.0f} MB"
    )


if __name__ == "__main__":
    main()
