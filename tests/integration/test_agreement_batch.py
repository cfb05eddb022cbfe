"""Stored agreements read back as the batch their import file gave (Store.agreement_batch), on both databases."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from ledger.api import Ledger
from ledger.io.batch import AgreementBatch
from ledger.io.readers import read_ledger_file
from ledger.services import seed_files

ROOT = Path(__file__).resolve().parents[2]

# Every part of an agreement the ledger stores: dated and contract-year tranches, ramps with and without
# weights, relations, several sources, capacity, minimum, undisclosed and near-limit amounts, odd days.
RICH = """agreements:
  - agreement_id: T-1
    kind: cloud_commitment
    payer: Lab
    payee: Cloud
    amount: "900000000000000.01"
    currency: USD
    start_date: 2024-02-29
    end_date: 2026-02-27
    profile: tranches
    basis: daily
    tranches:
      - {start_date: 2024-02-29, end_date: 2024-12-31, amount: "100000000000000.00"}
      - {start_date: 2025-02-01, end_date: 2026-02-27, amount: "800000000000000.01"}
    relations: [{kind: additional, to: U-1}]
    sources:
      - {url: "https://b.example/2", title: Second, date: 2024-03-01}
      - {url: "https://a.example/1"}
    minimum_amount: "1000.00"
    minimum_period: quarter
  - agreement_id: T-2
    kind: chip_agreement
    payer: Lab
    payee: Chipco
    amount: "1000"
    currency: JPY
    start_date: 2025-01-31
    term_months: 36
    profile: tranches
    tranche_amounts: "100;200;700"
    amount_qualifier: up_to
    status: binding
    chip_family: Trainium
    quantity: "2.5"
    unit: GW
    minimum_amount: "10"
    minimum_period: contract-year
  - agreement_id: R-1
    kind: cloud_commitment
    payer: Lab
    payee: Cloud
    amount: "6.000"
    currency: BHD
    start_date: 2026-08-31
    term_months: 30
    profile: ramp
    ramp_weights: [0, 5, 1]
    relations: [{kind: supersedes, to: T-1}, {kind: expands, to: U-1}]
    sources: [{url: "https://a.example/1"}]
  - agreement_id: R-2
    kind: cloud_commitment
    payer: Lab
    payee: Cloud
    amount: "6.00"
    currency: EUR
    start_date: 2026-01-01
    term_months: 36
    profile: ramp
    status: proposed
  - agreement_id: U-1
    kind: funding_round
    payer: Investors
    payee: Lab
    amount_qualifier: undisclosed
    currency: USD
    start_date: 2025-12-31
    confidence: low
    notes: "=HYPERLINK(\\"http://x\\")\\nsecond line"
    participants: "Fund A; Fund B"
    assumptions: {start_date: assumed}
    announced_on: 2025-12-01
  - agreement_id: E-1
    kind: equity_investment
    payer: Investors
    payee: Lab
    amount: "5"
    currency: USD
    start_date: 2026-01-31
    end_date: 2026-01-31
    status: cancelled
    chip_family: TPU
"""


def file_batch(*paths: Path) -> AgreementBatch:
    return AgreementBatch.concat([read_ledger_file(path).batch for path in paths])


def stored(book: Ledger, keys: list[str] | None = None) -> AgreementBatch:
    with book.unit_of_work() as uow:
        return uow.store.agreement_batch(keys)


def by_key(batch: AgreementBatch) -> dict[str, str]:
    return dict(zip(batch.agreements["agreement_id"], batch.digests(), strict=True))


def assert_same_dtypes(read: AgreementBatch, written: AgreementBatch) -> None:
    for name in ("agreements", "slices", "sources"):
        assert dict(getattr(read, name).dtypes) == dict(getattr(written, name).dtypes), name


def test_the_seeds_read_back_as_their_files_give_them(book: Ledger) -> None:
    book.seed()
    files = file_batch(*seed_files())
    read = stored(book)
    assert by_key(read) == by_key(files)
    keys = read.agreements["agreement_id"].tolist()
    assert keys == sorted(keys) and (read.agreements["line"] == 0).all()
    with book.unit_of_work() as uow:
        hashes = {key: digest for key, (_, digest) in uow.store.agreement_index(keys).items()}
    assert by_key(read) == hashes  # what the importer compares a re-import with
    assert_same_dtypes(read, files)


def test_every_stored_part_reads_back(book: Ledger, tmp_path: Path) -> None:
    (tmp_path / "rich.yaml").write_text(RICH)
    book.import_file(tmp_path / "rich.yaml")
    read = stored(book)
    assert by_key(read) == by_key(file_batch(tmp_path / "rich.yaml"))
    assert read.agreements.loc[read.agreements["agreement_id"] == "T-1", "amount_minor"].tolist() == [
        90_000_000_000_000_001
    ]
    assert read.slices.groupby("agreement_id")["seq"].count().to_dict() == {"R-1": 3, "R-2": 3, "T-1": 2, "T-2": 3}
    assert read.sources.loc[read.sources["agreement_id"] == "T-1", "url"].tolist() == [
        "https://a.example/1",
        "https://b.example/2",
    ]
    assert_same_dtypes(read, file_batch(tmp_path / "rich.yaml"))


def test_some_keys(book: Ledger, tmp_path: Path) -> None:
    (tmp_path / "rich.yaml").write_text(RICH)
    book.import_file(tmp_path / "rich.yaml")
    read = stored(book, ["U-1", "T-1", "nope", "T-1"])
    assert read.agreements["agreement_id"].tolist() == ["T-1", "U-1"]
    assert set(read.relations["agreement_id"]) == {"T-1"} and set(read.slices["agreement_id"]) == {"T-1"}
    assert read.minimums["agreement_id"].tolist() == ["T-1"] and read.capacities.empty
    whole = by_key(stored(book))
    assert by_key(read) == {key: whole[key] for key in ("T-1", "U-1")}
    assert len(stored(book, [])) == 0


def test_a_large_csv_reads_back(book: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of agreements from a CSV file: slices, ramps and relations in bulk."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "tests" / "benchmarks" / "bench_pipeline.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)
    spec.loader.exec_module(bench)
    bench.generate(tmp_path / "deals.csv", 3000, related=0.3)
    book.import_file(tmp_path / "deals.csv")
    read = stored(book)
    assert by_key(read) == by_key(file_batch(tmp_path / "deals.csv"))
    keys = [f"BENCH-{i:06d}" for i in np.random.default_rng(1).choice(3000, 200, replace=False)]
    assert by_key(stored(book, keys)) == {k: v for k, v in by_key(read).items() if k in set(keys)}
