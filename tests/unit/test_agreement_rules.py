"""The rule table of agreement input: every field and every rule has an entry it refuses (with the problem it
words) and one it takes, read through a CSV file and a YAML file alike."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import InputError, InputProblem
from ledger.io.agreement_input import Entries, read_agreements
from ledger.io.agreement_rules import FIELDS, RULES
from ledger.io.readers import read_ledger_file

GOOD: dict[str, Any] = {
    "agreement_id": "A",
    "kind": "cloud_commitment",
    "payer": "P",
    "payee": "Q",
    "amount": "3.00",
    "currency": "USD",
    "start_date": "2026-01-01",
    "term_months": "24",
}
USD = "a plain decimal with at most 2 decimals for USD, like 100000000000.00"
DATED = [{"start_date": "2026-01-01", "end_date": "2026-12-31", "amount": "1.00"},
         {"start_date": "2027-01-01", "end_date": "2027-12-31", "amount": "2.00"}]  # fmt: skip
WITHOUT = None  # a change that leaves a column out


def dated(*tranches: tuple[str, str, str]) -> str:
    return json.dumps([{"start_date": s, "end_date": e, "amount": a} for s, e, a in tranches])


# rule -> (changes it refuses, the problem's column, what it expects; changes it takes)
RULE_EXAMPLES: dict[str, tuple[dict[str, Any], str, str, dict[str, Any]]] = {
    "amount_in_currency": ({"amount": "10.005"}, "amount", USD, {"amount": "10.00"}),
    "amount_blank": (
        {"amount": WITHOUT},
        "amount",
        "an amount, or amount_qualifier undisclosed for a deal whose amount is not known",
        {"amount": WITHOUT, "amount_qualifier": "undisclosed"},
    ),
    "amount_for_qualifier": (
        {"amount": WITHOUT, "amount_qualifier": "up_to"},
        "amount",
        "an amount, since amount_qualifier is up_to",
        {"amount_qualifier": "up_to"},
    ),
    "qualifier_with_amount": (
        {"amount_qualifier": "undisclosed"},
        "amount_qualifier",
        "a qualifier other than undisclosed, since an amount is given",
        {"amount_qualifier": "exact"},
    ),
    "payee_not_payer": ({"payee": " P"}, "payee", "a payee different from the payer", {"payee": "P2"}),
    "end_before_start": (
        {"term_months": WITHOUT, "end_date": "2025-12-31"},
        "end_date",
        "a last day on or after start_date 2026-01-01",
        {"term_months": WITHOUT, "end_date": "2026-01-01"},
    ),
    "term_past_last_day": (
        {"start_date": "2199-01-01"},
        "term_months",
        "a term that ends by 2199-12-31 (from 2199-01-01, 24 months end on 2200-12-31)",
        {"start_date": "2198-01-01"},
    ),
    "end_not_months": (
        {"end_date": "2027-12-30"},
        "end_date",
        "2027-12-31, the last day of 24 months from 2026-01-01 (or give only one of them)",
        {"end_date": "2027-12-31"},
    ),
    "term_needed": (
        {"term_months": WITHOUT},
        "term_months",
        "term_months or end_date (the term's last day): a commitment needs a term",
        {"term_months": WITHOUT, "kind": "funding_round"},
    ),
    "relation_kind_missing": (
        {"relation_to": "B"},
        "relation_kind",
        "relation_to and relation_kind together, or neither",
        {"relation_to": "B", "relation_kind": "additional"},
    ),
    "relation_to_missing": (
        {"relation_kind": "expands"},
        "relation_to",
        "relation_to and relation_kind together, or neither",
        {"relation_to": "B", "relation_kind": "expands"},
    ),
    "relation_to_itself": (
        {"relations": '[{"kind": "additional", "to": "A"}]'},
        "relation_to",
        "a relation to another agreement, not to itself",
        {"relations": '[{"kind": "additional", "to": "B"}]'},
    ),
    "tranche_amounts_on_straight_line": (
        {"tranche_amounts": "1.00;2.00"},
        "tranche_amounts",
        "no tranches or ramp weights for profile straight_line (or set profile)",
        {"tranche_amounts": "1.00;2.00", "profile": "tranches"},
    ),
    "tranches_on_straight_line": (
        {"tranches": json.dumps(DATED), "profile": "Straight_Line"},
        "tranches",
        "no tranches or ramp weights for profile straight_line (or set profile)",
        {"tranches": json.dumps(DATED), "profile": "tranches"},
    ),
    "ramp_weights_on_straight_line": (
        {"ramp_weights": "1;2"},
        "ramp_weights",
        "no tranches or ramp weights for profile straight_line (or set profile)",
        {"ramp_weights": "1;2", "profile": "ramp"},
    ),
    "sliced_undisclosed": (
        {"amount": WITHOUT, "amount_qualifier": "undisclosed", "profile": "ramp"},
        "profile",
        "profile straight_line when the amount is undisclosed",
        {"amount": WITHOUT, "amount_qualifier": "undisclosed", "profile": "straight_line"},
    ),
    "ramp_with_tranches": (
        {"profile": "ramp", "tranche_amounts": "1.00;2.00"},
        "tranches",
        "ramp_weights (not tranches) for profile ramp",
        {"profile": "ramp", "ramp_weights": "1;2"},
    ),
    "ramp_weight_count": (
        {"profile": "ramp", "ramp_weights": "1;2;3"},
        "ramp_weights",
        "2 ramp weights, one per contract year",
        {"profile": "ramp", "ramp_weights": "3;0"},
    ),
    "ramp_weight_sum": (
        {"profile": "ramp", "ramp_weights": "0;0"},
        "ramp_weights",
        "non-negative weights with a positive sum",
        {"profile": "ramp", "ramp_weights": "0;1"},
    ),
    "tranche_in_currency": (
        {"profile": "tranches", "tranches": dated(("2026-01-01", "2026-12-31", "1.001"))},
        "tranches",
        USD,
        {"profile": "tranches", "tranches": dated(("2026-01-01", "2026-12-31", "3.00"))},
    ),
    "tranches_overlap": (
        {
            "profile": "tranches",
            "tranches": dated(("2026-06-01", "2027-12-31", "2.00"), ("2026-01-01", "2026-06-01", "1.00")),
        },
        "tranches",
        "tranches that do not overlap (2026-01-01..2026-06-01)",
        {
            "profile": "tranches",
            "tranches": dated(("2026-06-02", "2027-12-31", "2.00"), ("2026-01-01", "2026-06-01", "1.00")),
        },
    ),
    "tranche_outside": (
        {"profile": "tranches", "tranches": dated(("2026-01-01", "2028-01-01", "3.00"))},
        "tranches",
        "tranches within the term 2026-01-01 .. 2027-12-31",
        {"profile": "tranches", "tranches": dated(("2026-03-01", "2027-06-30", "3.00"))},
    ),
    "tranches_sum": (
        {"profile": "tranches", "tranches": dated(("2026-01-01", "2026-12-31", "2.00"))},
        "tranches",
        "tranches summing to the amount 3.00, not 2.00",
        {"profile": "tranches", "tranches": json.dumps(DATED)},
    ),
    "year_amount_in_currency": (
        {"profile": "tranches", "tranche_amounts": "1.001;2"},
        "tranche_amounts",
        USD,
        {"profile": "tranches", "tranche_amounts": "1.000;2"},
    ),
    "year_amount_count": (
        {"profile": "tranches", "tranche_amounts": "3.00"},
        "tranche_amounts",
        "2 contract-year amounts for a term of 2 contract years",
        {"profile": "tranches", "tranche_amounts": "3;0"},
    ),
    "year_amounts_sum": (
        {"profile": "tranches", "tranche_amounts": "1.00;1.00"},
        "tranche_amounts",
        "tranches summing to the amount 3.00, not 2.00",
        {"profile": "tranches", "tranche_amounts": "1.00;2.00"},
    ),
    "tranches_needed": (
        {"profile": "tranches"},
        "tranche_amounts",
        "tranche_amounts (one per contract year) or dated tranches",
        {"profile": "tranches", "tranches": json.dumps(DATED)},
    ),
    "unit_missing": ({"quantity": "2"}, "unit", "quantity and unit together", {"quantity": "2", "unit": "GW"}),
    "quantity_missing": ({"unit": "GW"}, "quantity", "quantity and unit together", {"chip_family": "Trainium"}),
    "minimum_period_missing": (
        {"minimum_amount": "1.00"},
        "minimum_period",
        "minimum_amount and minimum_period together, or neither",
        {"minimum_amount": "1.00", "minimum_period": "month"},
    ),
    "minimum_amount_missing": (
        {"minimum_period": "quarter"},
        "minimum_amount",
        "minimum_amount and minimum_period together, or neither",
        {"minimum_amount": "0", "minimum_period": "quarter"},
    ),
    "minimum_on_commitment": (
        {"kind": "equity_investment", "minimum_amount": "1.00", "minimum_period": "month"},
        "minimum_amount",
        "a minimum only on a cloud_commitment or chip_agreement",
        {"kind": "chip_agreement", "minimum_amount": "1.00", "minimum_period": "month"},
    ),
    "minimum_in_currency": (
        {"minimum_amount": "1.001", "minimum_period": "contract-year"},
        "minimum_amount",
        USD,
        {"minimum_amount": "1.00", "minimum_period": "contract-year"},
    ),
}

ID = "an id of letters, digits and . _ : / - (at most 100 characters), like OAI-AWS-2026-02"
DATE = "a date written YYYY-MM-DD, like 2026-03-01"
CONTROL = "control characters, tabs, line breaks or invisible bidirectional marks"
# field -> (changes with a value it refuses, the problem's column, what it expects; changes with one it takes)
FIELD_EXAMPLES: dict[str, tuple[dict[str, Any], str, str, dict[str, Any]]] = {
    "agreement_id": ({"agreement_id": "bad id"}, "agreement_id", ID, {"agreement_id": " OAI-AWS-2026.02/b:c_d "}),
    "kind": (
        {"kind": "loan"},
        "kind",
        "one of 'cloud_commitment', 'chip_agreement', 'equity_investment' or 'funding_round'",
        {"kind": " Chip_Agreement"},
    ),
    "payer": ({"payer": WITHOUT}, "payer", "a value (this column is required)", {"payer": " Acme "}),
    "payee": (
        {"payee": "A\u202eB"},
        "payee",
        f"a name without {CONTROL} (it has U+202E at character 2)",
        {"payee": "Zürich"},
    ),
    "amount": (
        {"amount": "1,000"},
        "amount",
        "a plain non-negative decimal without separators or exponent, like 100000000000.00",
        {"amount": "3.000"},
    ),
    "currency": (
        {"currency": "XYZ"},
        "currency",
        "an ISO 4217 currency code the ledger knows, like USD or EUR",
        {"currency": " eur"},
    ),
    "start_date": ({"start_date": "01/03/2026"}, "start_date", DATE, {"start_date": "2024-02-29"}),
    "term_months": ({"term_months": "0"}, "term_months", "a number greater than 0", {"term_months": "012"}),
    "end_date": (
        {"term_months": WITHOUT, "end_date": "2200-01-01"},
        "end_date",
        "a date from 1900-01-01 to 2199-12-31 (the ledger's supported range)",
        {"term_months": WITHOUT, "end_date": "2199-12-31"},
    ),
    "profile": (
        {"profile": "other"},
        "profile",
        "one of 'straight_line', 'tranches' or 'ramp'",
        {"profile": "STRAIGHT_LINE"},
    ),
    "basis": ({"basis": "weekly"}, "basis", "one of 'monthly' or 'daily'", {"basis": "Daily"}),
    "amount_qualifier": (
        {"amount_qualifier": "maybe"},
        "amount_qualifier",
        "one of 'exact', 'approximately', 'up_to', 'at_least' or 'undisclosed'",
        {"amount_qualifier": "at_least"},
    ),
    "status": (
        {"status": "done"},
        "status",
        "one of 'proposed', 'announced', 'binding', 'completed' or 'cancelled'",
        {"status": "binding"},
    ),
    "confidence": (
        {"confidence": "sure"},
        "confidence",
        "one of 'high', 'medium' or 'low'",
        {"confidence": "LOW"},
    ),
    "resource": ({"resource": "r" * 1001}, "resource", "text of at most 1,000 characters", {"resource": "r" * 1000}),
    "announced_on": ({"announced_on": "yesterday"}, "announced_on", DATE, {"announced_on": "2025-11-03"}),
    "participants": (
        {"participants": "a\x00b"},
        "participants",
        "text without control characters other than tab and line breaks (it has U+0000 at character 2)",
        {"participants": "Amazon;\tNvidia"},
    ),
    "notes": ({"notes": "n" * 10_001}, "notes", "text of at most 10,000 characters", {"notes": "a\nb"}),
    "assumptions": (
        {"assumptions": "a\x1bb"},
        "assumptions",
        "text without control characters other than tab and line breaks (it has U+001B at character 2)",
        {"assumptions": "start_date: assumed"},
    ),
    "relation_to": (
        {"relation_to": "bad id", "relation_kind": "additional"},
        "relation_to",
        ID,
        {"relation_to": "B", "relation_kind": "additional"},
    ),
    "relation_kind": (
        {"relation_to": "B", "relation_kind": "parent"},
        "relation_kind",
        "one of 'additional', 'expands', 'supersedes' or 'tranche_of'",
        {"relation_to": "B", "relation_kind": "Supersedes"},
    ),
    "relations": (
        {"relations": '[{"kind": "additional", "to": "B", "why": "x"}]'},
        "relations.0.why",
        "a known column or key (see the README's file formats)",
        {"relations": '[{"kind": "additional", "to": "B"}, {"kind": "additional", "to": "B"}]'},
    ),
    "source_url": (
        {"source_url": "ftp://x"},
        "source_url",
        "a web address starting with http:// or https://",
        {"source_url": "https://example.com/a"},
    ),
    "source_title": (
        {"source_url": "https://e.com", "source_title": "t\tt"},
        "source_title",
        f"text without {CONTROL} (it has U+0009 at character 2)",
        {"source_title": "a title without its url"},
    ),
    "source_date": ({"source_date": "2026-13-01"}, "source_date", DATE, {"source_date": "2026-12-01"}),
    "sources": (
        {"sources": '[{"title": "t"}]'},
        "sources.0.url",
        "a value (this column is required)",
        {
            "sources": '[{"url": "https://a.example/", "title": "A", "date": "2026-01-05"}, {"url": "https://b.example/"}]'
        },
    ),
    "tranche_amounts": (
        {"profile": "tranches", "tranche_amounts": "1.00;x"},
        "tranche_amounts.1",
        "a plain non-negative decimal without separators or exponent, like 100000000000.00",
        {"profile": "tranches", "tranche_amounts": " 1.00 ; 2 "},
    ),
    "tranches": (
        {"profile": "tranches", "tranches": '[{"start_date": "2026-01-01", "end_date": "2027-12-31"}]'},
        "tranches.0.amount",
        "a value (this column is required)",
        {"profile": "tranches", "tranches": dated(("2026-01-01", "2026-06-30", "3"))},
    ),
    "ramp_weights": (
        {"profile": "ramp", "ramp_weights": "1;x"},
        "ramp_weights.1",
        "a whole number",
        {"profile": "ramp", "ramp_weights": "1; 2"},
    ),
    "chip_family": (
        {"chip_family": "c" * 1001},
        "chip_family",
        "text of at most 1,000 characters",
        {"chip_family": "TPU v7"},
    ),
    "quantity": (
        {"quantity": "lots", "unit": "GW"},
        "quantity",
        "a plain non-negative decimal without separators or exponent, like 100000000000.00",
        {"quantity": "2.5", "unit": "GW"},
    ),
    "unit": (
        {"quantity": "2", "unit": "G\nW"},
        "unit",
        f"text without {CONTROL} (it has U+000A at character 2)",
        {"quantity": "2", "unit": "chips"},
    ),
    "minimum_amount": (
        {"minimum_amount": "-1", "minimum_period": "month"},
        "minimum_amount",
        "a plain non-negative decimal without separators or exponent, like 100000000000.00",
        {"minimum_amount": "1", "minimum_period": "month"},
    ),
    "minimum_period": (
        {"minimum_amount": "1", "minimum_period": "week"},
        "minimum_period",
        "one of 'month', 'quarter' or 'contract-year'",
        {"minimum_amount": "1", "minimum_period": "Contract-Year"},
    ),
}


def entry(changes: dict[str, Any]) -> dict[str, Any]:
    out = {**GOOD, **changes}
    return {k: v for k, v in out.items() if v is not WITHOUT}


def as_yaml(cells: dict[str, Any]) -> dict[str, Any]:
    """The entry a YAML file holds for CSV cells: lists as lists (JSON arrays, `a;b` lists)."""
    out: dict[str, Any] = {}
    for column, cell in cells.items():
        if column in ("relations", "sources", "tranches"):
            out[column] = json.loads(cell)
        elif column in ("tranche_amounts", "ramp_weights"):
            out[column] = [part.strip() for part in cell.split(";")]
        else:
            out[column] = cell
    return out


def files(tmp_path: Path, entries: list[dict[str, Any]]) -> list[Path]:
    """A CSV file and a YAML file of the entries."""
    header = list(dict.fromkeys(column for e in entries for column in [*GOOD, *e]))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(entries)
    csv_path, yaml_path = tmp_path / "deals.csv", tmp_path / "deals.yaml"
    csv_path.write_text(text.getvalue(), encoding="utf-8", newline="")
    yaml_path.write_text(
        yaml.safe_dump({"agreements": [as_yaml(e) for e in entries]}, allow_unicode=True, sort_keys=False)
    )
    return [csv_path, yaml_path]


def problems(path: Path) -> list[InputProblem]:
    with pytest.raises(InputError) as caught:
        read_ledger_file(path)
    return list(caught.value.problems)


def test_every_rule_and_field_has_examples() -> None:
    assert [rule.name for rule in RULES] == list(RULE_EXAMPLES)
    assert [field.name for field in FIELDS] == list(FIELD_EXAMPLES)


@pytest.mark.parametrize("name", list(RULE_EXAMPLES) + list(FIELD_EXAMPLES))
def test_each_rule_refuses_its_failing_example_and_takes_its_passing_one(tmp_path: Path, name: str) -> None:
    refused, column, expected, taken = RULE_EXAMPLES.get(name) or FIELD_EXAMPLES[name]
    for path in files(tmp_path, [entry(refused)]):
        assert [(p.column, p.expected) for p in problems(path)] == [(column, expected)], path.suffix
    for path in files(tmp_path, [entry(taken)]):
        assert len(read_ledger_file(path).batch) == 1, path.suffix


def test_a_problem_quotes_the_cell_as_written_and_names_its_line(tmp_path: Path) -> None:
    csv_path, yaml_path = files(
        tmp_path, [entry({}), entry({"agreement_id": "B", "payee": " P ", "amount": " 1.001", "currency": "usd"})]
    )
    assert [str(p) for p in problems(csv_path)] == [
        f"{csv_path}:3: amount: got '1.001', expected {USD}",  # the value read: stripped
        f"{csv_path}:3: payee: got ' P ', expected a payee different from the payer",  # the cell as written
    ]
    assert [str(p) for p in problems(yaml_path)] == [
        f"{yaml_path}:14: amount: got '1.001', expected {USD}",
        f"{yaml_path}:13: payee: got ' P ', expected a payee different from the payer",
    ]


def test_a_missing_value_quotes_nothing(tmp_path: Path) -> None:
    """Before, a blank required cell or a missing key quoted the whole entry as its value ("payer: got
    {'agreement_id': 'A', 'kind': ..., …}, expected a value"): nothing was given, so nothing is quoted."""
    for path in files(tmp_path, [entry({"payer": WITHOUT, "sources": '[{"title": "t"}]'})]):
        assert [str(p).split(": ", 1)[1] for p in problems(path)] == [
            "payer: expected a value (this column is required)",
            "sources.0.url: expected a value (this column is required)",
        ]


def test_rules_after_a_broken_field_wait_for_it(tmp_path: Path) -> None:
    """An entry with a field that cannot be read is not checked against the rules that tie fields together."""
    for path in files(tmp_path, [entry({"amount": "x", "payee": "P"})]):
        assert [p.column for p in problems(path)] == ["amount"]


def test_a_rule_waits_for_the_rules_it_depends_on(tmp_path: Path) -> None:
    """A term that ends before it starts is not also checked against its months, nor are its tranches."""
    changes = {"end_date": "2025-01-01", "profile": "tranches", "tranche_amounts": "1.00"}
    for path in files(tmp_path, [entry(changes)]):
        assert [p.column for p in problems(path)] == ["end_date"]


def test_yaml_values_of_other_types(tmp_path: Path) -> None:
    path = tmp_path / "deals.yaml"
    path.write_text(
        "agreements:\n"
        "- {agreement_id: A, kind: cloud_commitment, payer: P, payee: Q, amount: 3, currency: USD,\n"
        "   start_date: 2026-01-01, term_months: 24, profile: ramp, ramp_weights: [1, 2],\n"
        "   assumptions: {start_date: not reported, term: assumed}}\n"
        "- {agreement_id: B, kind: cloud_commitment, payer: 5, payee: Q, amount: 1.5, currency: USD,\n"
        "   start_date: 2026-01-01 10:00:00, term_months: [1], notes: yes, assumptions: {a: 1}, relations: 5}\n"
    )
    assert [str(p).split(": ", 1)[1] for p in problems(path)] == [
        "payer: got 5, expected a valid string",
        "start_date: got 2026-01-01 10:00:00, expected a date written YYYY-MM-DD, like 2026-03-01",
        "term_months: got [1], expected a whole number",
        "notes: got True, expected a valid string",
        "assumptions: got {'a': 1}, expected text, or a mapping of names to text like {start_date: not reported}",
        "relations: got 5, expected a valid tuple",
    ]
    path.write_text(path.read_text().split("- {agreement_id: B")[0])
    (agreement,) = read_ledger_file(path).batch.agreements.to_dict("records")
    assert agreement["amount_minor"] == 300 and agreement["assumptions"] == "start_date: not reported; term: assumed"


# -- CSV and YAML are one door -------------------------------------------------------------------------------

CELL = st.sampled_from
ROW = st.fixed_dictionaries(
    {
        "agreement_id": CELL(["A", "B.2", "bad id", "x" * 101]),
        "kind": CELL(["cloud_commitment", "Funding_Round", "loan"]),
        "payer": CELL(["P", " P", "p" * 201, "Op\x00en"]),
        "payee": CELL(["Q", "P", "A\u202eB"]),
        "amount": CELL(["3.00", "3", "", "1.001", "1e3", "1." + "0" * 39]),
        "currency": CELL(["USD", "jpy", "BHD", "XYZ"]),
        "start_date": CELL(["2026-01-01", "2024-02-29", "2199-06-01", "1899-12-31", "2026-02-30"]),
        "term_months": CELL(["24", "", "0", "1200", " 12", "twelve"]),
        "end_date": CELL(["", "", "2027-12-31", "2025-01-01"]),
        "profile": CELL(["", "", "tranches", "ramp", "other"]),
        "amount_qualifier": CELL(["", "", "undisclosed", "up_to"]),
        "tranche_amounts": CELL(["", "", "1.00;2.00", "3.00", "1.001;2"]),
        "ramp_weights": CELL(["", "", "1;2", "0;0", "x"]),
        "relations": CELL(["", "", '[{"kind": "additional", "to": "A"}]', '[{"kind": "expands", "to": "Z"}]']),
        "tranches": CELL(
            ["", "", dated(("2026-01-01", "2027-12-31", "3.00")), dated(("2025-01-01", "2026-01-01", "3"))]
        ),
        "notes": CELL(["", "a\tb", "n" * 10_001]),
        "minimum_amount": CELL(["", "", "1.00", "x"]),
        "minimum_period": CELL(["", "", "month"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ROW, min_size=1, max_size=4))
def test_csv_and_yaml_entries_give_the_same_problems_and_agreements(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    cells = [
        {k: v for k, v in row.items() if v} | {"agreement_id": f"{row['agreement_id']}{i}"}
        for i, row in enumerate(rows)
    ]
    csv_path, yaml_path = files(tmp_path, cells)
    read = []
    for path in (csv_path, yaml_path):
        try:
            read.append(read_ledger_file(path).batch.digests().tolist())
        except InputError as error:
            read.append([(p.column, _as_text(p.value), p.expected) for p in error.problems])
    assert read[0] == read[1]


def _as_text(value: object) -> object:
    """A problem's value as a CSV cell holds it: a YAML list of tranches or sources as its JSON text."""
    return json.dumps(value) if isinstance(value, list | dict) else value


# -- whole columns -------------------------------------------------------------------------------------------


def test_the_table_takes_rows_at_the_limits_and_refuses_hostile_ones() -> None:
    base = {**GOOD, "notes": "a\tb\nc", "resource": "", "source_url": ""}
    at_limits = {"payer": "p" * 200, "notes": "n" * 10_000, "resource": "r" * 1000, "amount": "1." + "0" * 38}
    hostile = [
        {"payer": "p" * 201}, {"payer": "Open\x00AI"}, {"payee": "A\u202eB"}, {"notes": "n" * 10_001},
        {"notes": "a\x1bb"}, {"resource": "GPU\tx"}, {"amount": "1." + "0" * 39}, {"amount": ""},
        {"start_date": "2199-12-01"}, {"source_url": "https://e.com/\x00"},
    ]  # fmt: skip
    rows = [base, base | at_limits, *(base | change for change in hostile)]
    frame = pd.DataFrame(rows, dtype=object)
    entries = Entries.of_csv("f.csv", list(frame.columns), frame.to_numpy().tolist(), pd.RangeIndex(2, 2 + len(rows)))
    checked = read_agreements(entries)
    assert len(checked.batch) == 2 and sorted(checked.problems) == list(range(2, len(rows)))
    assert [len(found) for found in checked.problems.values()] == [1] * len(hostile)
