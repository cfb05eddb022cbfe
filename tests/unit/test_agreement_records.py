"""AgreementBatch.to_records: each agreement as an import-file entry that rebuilds it exactly."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.domain.agreements import KINDS_PAID_AT_ONCE, Kind, Term
from ledger.domain.dates import LAST_DAY, ONE_DAY
from ledger.domain.money import MAX_MINOR, format_minor, split_by_weights
from ledger.domain.spend import MinimumPeriod
from ledger.errors import InputError
from ledger.io.agreement_rules import RECORD_COLUMNS
from ledger.io.batch import AgreementBatch
from ledger.io.readers import read_ledger_file, read_records
from ledger.render.agreement_files import write_agreements, write_yaml
from tests.budget import examples

ROOT = Path(__file__).resolve().parents[2]
EDGE_STARTS = [
    dt.date(2024, 2, 29),
    dt.date(2025, 1, 31),
    dt.date(2026, 8, 31),
    dt.date(2028, 2, 29),
    dt.date(1900, 1, 1),
]
NAMES = ["OpenAI", "Amazon Web Services", '=HYPERLINK("http://x","y")', "O'Reilly", "-cmd", "Zürich AG", "株式会社"]
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")) | st.sampled_from("\n\t"), max_size=30)


def batch_of(entries: list[dict[str, Any]]) -> AgreementBatch:
    """The batch an import file of these entries gives (the entries as records, as the history keeps them)."""
    try:
        return read_records("records", agreements=entries).batch
    except InputError as error:
        raise AssertionError(str(error)) from None


def assert_plain(value: object) -> None:
    """Only what JSON holds as it is: str, int, lists and mappings of text keys."""
    if isinstance(value, dict):
        assert all(type(k) is str for k in value)
        for item in value.values():
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert type(value) in (str, int), (type(value), value)


def assert_round_trip(original: AgreementBatch) -> list[dict[str, Any]]:
    records = original.to_records()
    assert_plain(records)
    assert json.loads(json.dumps(records)) == records
    for record in records:
        assert list(record) == [c for c in RECORD_COLUMNS if c in record]  # the rule table's order
        assert all(value not in (None, "") for value in record.values())
    rebuilt = batch_of(records)
    assert rebuilt.digests().tolist() == original.digests().tolist()
    assert rebuilt.to_records() == records  # canonical: the rebuilt agreement gives the same record
    return records


@st.composite
def terms(draw: st.DrawFn, kind: Kind) -> tuple[dict[str, Any], Term]:
    start = draw(st.sampled_from(EDGE_STARTS) | st.dates(dt.date(1900, 1, 1), dt.date(2090, 12, 31)))
    ways = ["months", "end"] + (["none"] if kind in KINDS_PAID_AT_ONCE else [])
    way = draw(st.sampled_from(ways))
    fields: dict[str, Any] = {"start_date": draw(st.sampled_from([start.isoformat(), start]))}  # text or a YAML date
    if way == "months":
        months = draw(st.integers(1, 1200))
        fields["term_months"] = months
        return fields, Term.of_months(start, months)
    if way == "end":
        last = min(start + dt.timedelta(days=draw(st.integers(0, 15000))), LAST_DAY)
        fields["end_date"] = last.isoformat()
        return fields, Term.through(start, last)
    return fields, Term(start, start + ONE_DAY)


@st.composite
def tranches(draw: st.DrawFn, term: Term, minor: int, currency: str) -> list[dict[str, str]]:
    """Dated tranches within the term (some days left out between them) summing to the amount."""
    days = (term.end - term.start).days
    cuts = sorted(draw(st.sets(st.integers(1, days - 1), max_size=min(5, days - 1))) if days > 1 else set())
    bounds = [0, *cuts, days]
    pieces = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    kept = [
        p
        for p, keep in zip(
            pieces, draw(st.lists(st.booleans(), min_size=len(pieces), max_size=len(pieces))), strict=True
        )
        if keep
    ]
    kept = kept or pieces[:1]
    weights = draw(st.lists(st.integers(0, 5), min_size=len(kept), max_size=len(kept)).filter(lambda w: sum(w) > 0))
    amounts = split_by_weights(minor, weights)
    return [
        {
            "start_date": (term.start + dt.timedelta(days=a)).isoformat(),
            "end_date": (term.start + dt.timedelta(days=b - 1)).isoformat(),
            "amount": format_minor(amount, currency),
        }
        for (a, b), amount in zip(kept, amounts, strict=True)
    ]


@st.composite
def entries(draw: st.DrawFn, key: str, others: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(Kind)))
    payer, payee = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=2, unique=True))
    currency = draw(st.sampled_from(["USD", "JPY", "BHD", "EUR"]))
    term_fields, term = draw(terms(kind))
    entry: dict[str, Any] = {"agreement_id": key, "kind": kind.value, "payer": payer, "payee": payee}
    entry |= {"currency": currency, **term_fields}
    if draw(st.integers(0, 5)) == 0:
        entry["amount_qualifier"] = "undisclosed"
    else:
        minor = draw(st.sampled_from([0, 1, MAX_MINOR, 2**53 + 1]) | st.integers(0, MAX_MINOR))
        entry["amount"] = format_minor(minor, currency)
        qualifier = draw(st.sampled_from([None, "exact", "approximately", "up_to", "at_least"]))
        if qualifier:
            entry["amount_qualifier"] = qualifier
        profile = draw(st.sampled_from(["straight_line", "tranches", "ramp", None]))
        if profile == "tranches":
            entry |= {"profile": profile, "tranches": draw(tranches(term, minor, currency))}
        elif profile == "ramp":
            entry["profile"] = profile
            if draw(st.booleans()):
                years = len(term.contract_years())
                weights = st.lists(st.integers(0, 1000), min_size=years, max_size=years).filter(lambda w: sum(w) > 0)
                entry["ramp_weights"] = draw(weights)
        elif profile:
            entry["profile"] = profile
    entry |= draw(options(key, others, kind, currency))
    return entry


CHOICES = {
    "basis": ["monthly", "daily"],
    "status": ["proposed", "announced", "binding", "completed", "cancelled"],
    "confidence": ["high", "medium", "low"],
}
RELATION = {"kind": st.sampled_from(["additional", "expands", "supersedes", "tranche_of"])}
SOURCE = st.fixed_dictionaries(
    {"url": st.sampled_from(["https://a.example/1", "https://b.example/x?y=1", "http://c.example/"])},
    optional={
        "title": st.sampled_from(["A title", "=cmd", "Überschrift"]),
        "date": st.dates(dt.date(1990, 1, 1), LAST_DAY).map(str),
    },
)


@st.composite
def options(draw: st.DrawFn, key: str, others: list[str], kind: Kind, currency: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in CHOICES.items():
        out[name] = draw(st.sampled_from([None, *values]))
    out |= {name: draw(TEXT).strip() or None for name in ("participants", "notes")}
    out["resource"] = " ".join(draw(TEXT).split()) or None
    out["assumptions"] = draw(
        st.sampled_from([None, "start_date: assumed", {"start_date": "not reported", "term": "x"}])
    )
    out["announced_on"] = draw(st.none() | st.dates(dt.date(1900, 1, 1), LAST_DAY).map(str))
    targets = [o for o in others if o != key]
    if targets:
        out["relations"] = draw(
            st.lists(st.fixed_dictionaries({**RELATION, "to": st.sampled_from(targets)}), max_size=3)
        )
    out["sources"] = draw(st.lists(SOURCE, max_size=3))
    if draw(st.booleans()):
        out |= {
            "quantity": draw(st.sampled_from(["2", "3.5", "1000000"])),
            "unit": draw(st.sampled_from(["GW", "chips"])),
        }
    out["chip_family"] = draw(st.sampled_from([None, "Trainium", "TPU v7"]))
    if kind in (Kind.CLOUD_COMMITMENT, Kind.CHIP_AGREEMENT) and draw(st.booleans()):
        out["minimum_amount"] = format_minor(draw(st.integers(0, MAX_MINOR)), currency)
        out["minimum_period"] = draw(st.sampled_from([p.value for p in MinimumPeriod]))
    return {name: value for name, value in out.items() if value is not None}


@st.composite
def books(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(
        st.lists(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,12}", fullmatch=True), min_size=1, max_size=5, unique=True
        )
    )
    return [draw(entries(key, keys)) for key in keys]


@settings(max_examples=examples(100, 1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_records_rebuild_every_agreement_exactly(book: list[dict[str, Any]]) -> None:
    assert_round_trip(batch_of(book))


def test_the_record_of_an_agreement() -> None:
    (record,) = assert_round_trip(
        batch_of(
            [
                {
                    "agreement_id": "ACME-GPU-2026", "kind": "chip_agreement", "payer": "Acme", "payee": "Chipco",
                    "amount": "6.00", "currency": "EUR", "start_date": "2024-02-29", "end_date": "2027-02-27",
                    "profile": "ramp", "status": "binding", "amount_qualifier": "up_to",
                    "relations": [{"kind": "supersedes", "to": "B"}, {"kind": "additional", "to": "A"}],
                    "source_url": "https://z.example/", "sources": [{"url": "https://a.example/", "date": "2026-01-05"}],
                    "quantity": "2", "unit": "GW", "minimum_amount": "1", "minimum_period": "contract-year",
                }
            ]
        )
    )  # fmt: skip
    assert record == {
        "agreement_id": "ACME-GPU-2026", "kind": "chip_agreement", "payer": "Acme", "payee": "Chipco",
        "amount": "6.00", "currency": "EUR", "start_date": "2024-02-29", "end_date": "2027-02-27",
        "profile": "ramp", "amount_qualifier": "up_to", "status": "binding",
        "relations": [{"kind": "additional", "to": "A"}, {"kind": "supersedes", "to": "B"}],
        "sources": [{"url": "https://a.example/", "date": "2026-01-05"}, {"url": "https://z.example/"}],
        "ramp_weights": [1, 2, 3], "quantity": "2", "unit": "GW", "minimum_amount": "1.00",
        "minimum_period": "contract-year",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "term"),
    [
        ({"kind": "funding_round"}, {}),  # paid at once: no term at all
        ({"kind": "equity_investment", "end_date": "2026-01-31"}, {}),  # a one-day term given as its last day
        ({"kind": "equity_investment", "term_months": 1}, {"term_months": 1}),
        ({"kind": "equity_investment", "end_date": "2026-02-01"}, {"end_date": "2026-02-01"}),
        ({"kind": "cloud_commitment", "end_date": "2026-01-31"}, {"end_date": "2026-01-31"}),  # a one-day commitment
        ({"kind": "cloud_commitment", "term_months": 12, "end_date": "2027-01-30"}, {"term_months": 12}),
    ],
)
def test_the_term_is_months_else_the_last_day_else_nothing(fields: dict[str, Any], term: dict[str, Any]) -> None:
    entry = {"agreement_id": "A", "payer": "P", "payee": "Q", "amount": "1.00", "currency": "USD"}
    (record,) = assert_round_trip(batch_of([{**entry, "start_date": "2026-01-31", **fields}]))
    assert {k: record[k] for k in ("term_months", "end_date") if k in record} == term


def test_tranches_of_an_amount_of_zero_keep_their_profile() -> None:
    entry = {"agreement_id": "Z", "kind": "cloud_commitment", "payer": "P", "payee": "Q", "amount": "0"}
    (record,) = assert_round_trip(
        batch_of(
            [
                {
                    **entry,
                    "currency": "JPY",
                    "start_date": "2026-01-01",
                    "term_months": 12,
                    "profile": "tranches",
                    "tranches": [],
                }
            ]
        )
    )
    assert record["tranches"] == [] and record["amount"] == "0"


def test_records_of_a_csv_read_by_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contract-year tranches, linear ramps and relations as a CSV file gives them."""
    spec = importlib.util.spec_from_file_location("bench", ROOT / "tests" / "benchmarks" / "bench_pipeline.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench", bench)
    spec.loader.exec_module(bench)
    bench.generate(tmp_path / "deals.csv", 400, related=0.3)
    records = assert_round_trip(read_ledger_file(tmp_path / "deals.csv").batch)
    assert {r.get("profile") for r in records} == {None, "tranches", "ramp"}
    assert all("tranche_amounts" not in r for r in records)


@settings(
    max_examples=examples(25, 300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(books())
def test_the_csv_and_yaml_files_of_the_records_read_back_as_the_agreements(
    tmp_path: Path, book: list[dict[str, Any]]
) -> None:
    """What `ledger agreements --format csv|yaml` writes, read by the importer."""
    original = batch_of(book)
    records = original.to_records()
    for fmt in ("csv", "yaml"):
        out = io.StringIO()
        write_agreements(records, RECORD_COLUMNS, fmt, out)
        path = tmp_path / f"agreements.{fmt}"
        path.write_text(out.getvalue(), encoding="utf-8")
        assert read_ledger_file(path).batch.digests().tolist() == original.digests().tolist(), fmt
    # PyYAML's own emitter (where libyaml is missing) writes the same agreements, perhaps not the same bytes
    # (it leaves characters past U+FFFF as they are, libyaml escapes them)
    python = io.StringIO()
    write_yaml(records, python, yaml.SafeDumper)
    path = tmp_path / "python.yaml"
    path.write_text(python.getvalue(), encoding="utf-8")
    assert read_ledger_file(path).batch.digests().tolist() == original.digests().tolist()
