"""Import files: validation without a database; every problem names file, line, column, value and expectation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ledger.domain.agreements import Basis, Kind, Profile, Qualifier, RelationKind
from ledger.errors import InputError
from ledger.io.readers import read_ledger_file

HEADER = "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,end_date"


def write(tmp_path: Path, text: str, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def agreements(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return read_ledger_file(path).batch.agreements.to_dict("records")


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_ledger_file(path)
    return [str(p) for p in caught.value.problems]


def test_good_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",profile,basis,relation_to,relation_kind,source_url,notes\n"
        "OAI-AWS-2025-11,cloud_commitment,OpenAI,Amazon Web Services,38000000000.00,USD,2025-11-01,84,,,,,,"
        "https://example.com/a,seven years\n"
        "OAI-AWS-2026-02,cloud_commitment,OpenAI,Amazon Web Services,100000000000.00,usd,2026-03-01,,2034-02-28,"
        "straight_line,DAILY,OAI-AWS-2025-11,additional,,\n",
    )
    batch = read_ledger_file(path).batch
    first, second = batch.agreements.to_dict("records")
    assert first["amount_minor"] == 3_800_000_000_000 and first["end_date"].date() == dt.date(2032, 10, 31)
    assert batch.sources.to_dict("records") == [
        {"agreement_id": "OAI-AWS-2025-11", "url": "https://example.com/a", "title": None, "published_on": pd.NaT}
    ]
    assert first["notes"] == "seven years" and first["line"] == 2
    assert second["currency"] == "USD" and second["basis"] == Basis.DAILY and second["profile"] == Profile.STRAIGHT_LINE
    assert second["end_date"].date() == dt.date(2034, 2, 28) and pd.isna(second["term_months"])
    assert batch.relations.to_dict("records") == [
        {"agreement_id": "OAI-AWS-2026-02", "kind": RelationKind.ADDITIONAL, "related_id": "OAI-AWS-2025-11", "line": 3}
    ]


def test_bad_values_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "\n"
        "A,cloud_commitment,OpenAI,AWS,1e9,USD,2025-11-01,84,\n"
        "B,cloud_commit,OpenAI,AWS,10.00,USD,2025-11-01,84,\n"
        "C,cloud_commitment,OpenAI,AWS,10.00,USD,01/11/2025,84,\n"
        "D,cloud_commitment,OpenAI,AWS,10.00,USD,2025-11-01,,\n"
        "E,cloud_commitment,OpenAI,AWS,10.005,USD,2025-11-01,12,\n"
        "F,cloud_commitment,OpenAI,AWS,10.00,XYZ,2025-11-01,12,\n"
        "G,cloud_commitment,OpenAI,AWS,10.00,USD,2025-11-01,12,2026-01-01\n"
        "H,cloud_commitment,OpenAI,OpenAI,10.00,USD,2025-11-01,12,\n",
    )
    found = problems(path)
    assert found[0] == (
        f"{path}:2: amount: got '1e9', expected a plain non-negative decimal without separators or exponent, "
        "like 100000000000.00"
    )
    assert found[1].startswith(f"{path}:3: kind: got 'cloud_commit', expected one of 'cloud_commitment'")
    assert found[2] == f"{path}:4: start_date: got '01/11/2025', expected a date written YYYY-MM-DD, like 2026-03-01"
    assert found[3].startswith(f"{path}:5: term_months:") and "term_months or end_date" in found[3]
    assert found[4] == (
        f"{path}:6: amount: got '10.005', expected a plain decimal with at most 2 decimals for USD, like 100000000000.00"
    )
    assert found[5].startswith(f"{path}:7: currency: got 'XYZ', expected an ISO 4217 currency code")
    assert found[6].startswith(f"{path}:8: end_date:") and "2026-10-31, the last day of 12 months" in found[6]
    assert found[7] == f"{path}:9: payee: got 'OpenAI', expected a payee different from the payer"


def test_header_problems(tmp_path: Path) -> None:
    found = problems(write(tmp_path, "agreement_id,kind,payer,payee,amount,currency,start_dat,colour\n"))
    assert f"{tmp_path / 'deals.csv'}:1: start_date: expected this required column in the header" in found
    assert any(
        p.startswith(f"{tmp_path / 'deals.csv'}:1: colour: got 'colour', expected a known column") for p in found
    )


def test_row_with_wrong_cell_count_and_duplicate_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "\nA,cloud_commitment,OpenAI,AWS,1.00,USD,2025-11-01,12,\n"
        "A,cloud_commitment,OpenAI,AWS,1.00,USD,2025-11-01,12,\n"
        "B,cloud_commitment,OpenAI,AWS,1.00\n",
    )
    assert problems(path) == [f"{path}:4: row: got '5 cells', expected 9 cells, one per header column"]
    path = write(tmp_path, HEADER + "\n" + "A,cloud_commitment,OpenAI,AWS,1.00,USD,2025-11-01,12,\n" * 2)
    assert problems(path) == [f"{path}:3: agreement_id: got 'A', expected a unique agreement_id (also on line 2)"]


def test_quoted_multiline_cells_keep_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",notes\n"
        'A,cloud_commitment,OpenAI,AWS,1.00,USD,2025-11-01,12,,"two\nlines"\n'
        "B,cloud_commitment,OpenAI,AWS,oops,USD,2025-11-01,12,,\n",
    )
    assert problems(path)[0].startswith(f"{path}:4: amount: got 'oops'")


def test_undisclosed_amount_and_qualifiers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",amount_qualifier\n"
        "A,chip_agreement,OpenAI,AWS,,USD,2026-03-01,96,,undisclosed\n"
        "B,cloud_commitment,OpenAI,AWS,5.00,USD,2026-03-01,96,,up_to\n",
    )
    a, b = agreements(path)
    assert pd.isna(a["amount_minor"]) and a["amount_qualifier"] == Qualifier.UNDISCLOSED
    assert b["amount_qualifier"] == Qualifier.UP_TO
    blank = write(tmp_path, HEADER + ",amount_qualifier\nA,chip_agreement,OpenAI,AWS,,USD,2026-03-01,96,,\n")
    assert problems(blank) == [
        f"{blank}:2: amount: expected an amount, or amount_qualifier undisclosed for a deal whose amount is not known"
    ]
    bad = write(tmp_path, HEADER + ",amount_qualifier\nA,chip_agreement,OpenAI,AWS,,USD,2026-03-01,96,,up_to\n")
    assert problems(bad) == [f"{bad}:2: amount: expected an amount, since amount_qualifier is up_to"]


def test_investments_without_term_are_paid_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\nAMZN-OAI,equity_investment,Amazon,OpenAI,50000000000.00,USD,2026-02-27,,\n")
    (row,) = agreements(path)
    assert row["kind"] == Kind.EQUITY_INVESTMENT
    assert (row["start_date"].date(), row["end_date"].date()) == (dt.date(2026, 2, 27), dt.date(2026, 2, 27))


def test_tranches_and_ramps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",profile,tranche_amounts,ramp_weights\n"
        "T,cloud_commitment,OpenAI,AWS,36.00,USD,2026-07-01,24,,tranches,12.00;24.00,\n"
        "R,cloud_commitment,OpenAI,AWS,6.00,USD,2026-01-01,36,,ramp,,\n"
        "W,cloud_commitment,OpenAI,AWS,6.00,USD,2026-01-01,36,,ramp,,3;2;1\n",
    )
    slices = read_ledger_file(path).batch.slices
    by_id = slices.groupby("agreement_id")["amount_minor"].agg(list).to_dict()
    assert by_id == {"T": [1200, 2400], "R": [100, 200, 300], "W": [300, 200, 100]}
    bad = write(
        tmp_path,
        HEADER
        + ",profile,tranche_amounts\nT,cloud_commitment,OpenAI,AWS,36.00,USD,2026-07-01,24,,tranches,12.00;20.00\n",
    )
    assert problems(bad) == [
        f"{bad}:2: tranche_amounts: got '12.00;20.00', expected tranches summing to the amount 36.00, not 32.00"
    ]
    bad = write(
        tmp_path,
        HEADER + ",profile,tranche_amounts\nT,cloud_commitment,OpenAI,AWS,36.00,USD,2026-07-01,24,,tranches,36.00\n",
    )
    assert problems(bad) == [
        f"{bad}:2: tranche_amounts: got '36.00', expected 2 contract-year amounts for a term of 2 contract years"
    ]


def test_yaml_with_lines_and_no_floats(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parties:\n"
        "  - name: Amazon Web Services\n"
        "    parent: Amazon\n"
        "  - name: Amazon\n"
        "agreements:\n"
        "  - agreement_id: X\n"
        "    kind: cloud_commitment\n"
        "    payer: OpenAI\n"
        "    payee: Amazon Web Services\n"
        "    amount: 99999999999.99\n"
        "    currency: USD\n"
        "    start_date: 2026-03-01\n"
        "    term_months: 12\n"
        "    relations:\n"
        "      - {kind: additional, to: Y}\n"
        "    assumptions:\n"
        "      start_date: not reported\n"
        "valuations:\n"
        "  - valuation_id: V\n"
        "    party: OpenAI\n"
        "    kind: post_money\n"
        "    amount: 840000000000.00\n"
        "    currency: USD\n"
        "    as_of: 2026-02-27\n",
        "deals.yaml",
    )
    data = read_ledger_file(path)
    (agreement,) = data.batch.agreements.to_dict("records")
    assert agreement["amount_minor"] == 9_999_999_999_999
    assert agreement["assumptions"] == "start_date: not reported"
    assert agreement["line"] == 6
    assert [p.value.name for p in data.parties] == ["Amazon Web Services", "Amazon"]
    assert data.valuations[0].value.amount_minor == 84_000_000_000_000


def test_yaml_problems_point_at_the_key_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "agreements:\n"
        "  - agreement_id: X\n"
        "    kind: cloud_commitment\n"
        "    payer: OpenAI\n"
        "    payee: AWS\n"
        "    amount: 1.005\n"
        "    currency: USD\n"
        "    start_date: 2026-13-01\n"
        "    term_months: twelve\n"
        "    colour: blue\n",
        "deals.yaml",
    )
    found = problems(path)
    assert f"{path}:8: start_date: got '2026-13-01', expected a date written YYYY-MM-DD, like 2026-03-01" in found
    assert f"{path}:9: term_months: got 'twelve', expected a whole number" in found
    assert any(p.startswith(f"{path}:10: colour:") for p in found)


def test_unreadable_inputs(tmp_path: Path) -> None:
    assert problems(tmp_path / "missing.csv") == [
        f"{tmp_path / 'missing.csv'}:0: file: expected an existing, readable file"
    ]
    assert problems(write(tmp_path, "x", "deals.txt"))[0].endswith("expected a .csv, .yaml or .yml file")
    assert "valid YAML" in problems(write(tmp_path, "agreements: [\n", "bad.yaml"))[0]
    assert problems(write(tmp_path, "", "empty.csv"))[0].endswith("expected a header row naming the columns")


# -- JSON list cells -----------------------------------------------------------------------------------------

JSON_HEADER = HEADER + ",profile,relations,sources,tranches"


def csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def test_list_columns_take_a_json_array_in_a_csv_cell(tmp_path: Path) -> None:
    relations = '[{"kind": "additional", "to": "B"}, {"kind": "Expands", "to": "C"}]'
    sources = '[{"url": "https://a.example/1", "title": "One", "date": "2026-01-05"},\n {"url": "https://b.example/"}]'
    tranches = (
        '[{"start_date": "2026-01-01", "end_date": "2026-06-30", "amount": "1.00"},'
        ' {"start_date": "2026-07-01", "end_date": "2027-12-31", "amount": 2}]'
    )
    path = write(
        tmp_path,
        JSON_HEADER + "\n"
        f"A,cloud_commitment,P,Q,3.00,USD,2026-01-01,24,,tranches,{csv_cell(relations)},{csv_cell(sources)},"
        f"{csv_cell(tranches)}\n"
        "B,cloud_commitment,P,Q,3.00,USD,2026-01-01,24,,,[],[],\n",
    )
    yaml_path = write(
        tmp_path,
        "agreements:\n"
        "- {agreement_id: A, kind: cloud_commitment, payer: P, payee: Q, amount: 3.00, currency: USD,"
        " start_date: 2026-01-01, term_months: 24, profile: tranches,\n"
        "   relations: [{kind: additional, to: B}, {kind: expands, to: C}],\n"
        "   sources: [{url: 'https://a.example/1', title: One, date: 2026-01-05}, {url: 'https://b.example/'}],\n"
        "   tranches: [{start_date: 2026-01-01, end_date: 2026-06-30, amount: 1.00},"
        " {start_date: 2026-07-01, end_date: 2027-12-31, amount: 2}]}\n"
        "- {agreement_id: B, kind: cloud_commitment, payer: P, payee: Q, amount: 3.00, currency: USD,"
        " start_date: 2026-01-01, term_months: 24}\n",
        "deals.yaml",
    )
    batch = read_ledger_file(path).batch
    assert batch.digests().tolist() == read_ledger_file(yaml_path).batch.digests().tolist()
    assert batch.relations[["kind", "related_id"]].values.tolist() == [["additional", "B"], ["expands", "C"]]
    assert batch.sources["url"].tolist() == ["https://a.example/1", "https://b.example/"]
    assert batch.slices["amount_minor"].tolist() == [100, 200]


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("relations", '{"kind": "additional", "to": "B"}', "relations: got '{\"kind\": \"additional\", \"to\": \"B\"}', "
         'expected a JSON array of {kind, to} objects, like [{"kind": "additional", "to": "OAI-AWS-2025-11"}]'),
        ("relations", '["B"]', "relations: got '[\"B\"]', expected a JSON array of {kind, to} objects, like"),
        ("relations", "B;additional", "relations: got 'B;additional', expected a JSON array of {kind, to} objects, "
         'like [{"kind": "additional", "to": "OAI-AWS-2025-11"}] (not JSON: Expecting value at character 1)'),
        ("relations", '[{"kind": "parent", "to": "B"}]', "relations.0.kind: got 'parent', expected one of"),
        ("relations", '[{"kind": "additional", "to": "A"}]', "relation_to: got 'A', expected a relation to another"),
        ("sources", '[{"url": "ftp://x"}]', "sources.0.url: got 'ftp://x', expected a web address starting with"),
        ("sources", '[{"url": "https://x.example/", "url": "https://y.example/"}]', "each key once ('url' is repeated)"),
        ("sources", '[{"url": "https://x.example/", "colour": "blue"}]', "sources.0.colour: got 'blue', expected a known"),
        ("tranches", '[{"start_date": "2026-01-01", "end_date": "2027-12-31", "amount": 3.0}]',
         "tranches.0.amount: got 3.0, expected a plain decimal written as text, like 100000000000.00"),
        ("tranches", '[{"start_date": "2026-01-01", "end_date": "2027-12-31", "amount": "NaN"}]',
         "tranches.0.amount: got 'NaN', expected a plain non-negative decimal"),
        ("tranches", "[NaN]", "tranches: got '[NaN]', expected a JSON array of {start_date, end_date, amount} objects"),
        ("tranches", '[{"start_date": "2026-01-01", "end_date": "2027-12-31", "amount": "2.00"}]',
         "expected tranches summing to the amount 3.00, not 2.00"),
    ],
)  # fmt: skip
def test_json_cells_are_refused_in_one_line(tmp_path: Path, column: str, cell: str, expected: str) -> None:
    cells = {"relations": "", "sources": "", "tranches": "", column: csv_cell(cell)}
    profile = "tranches" if column == "tranches" else ""
    row = f"A,cloud_commitment,P,Q,3.00,USD,2026-01-01,24,,{profile},{cells['relations']},{cells['sources']}"
    path = write(tmp_path, f"{JSON_HEADER}\n{row},{cells['tranches']}\n")
    (found,) = problems(path)
    assert found.startswith(f"{path}:2: ") and expected in found, found


def test_a_quote_before_a_formula_character_is_taken_off(tmp_path: Path) -> None:
    """What a spreadsheet-safe CSV export wrote (ledger.formulas): one `'` off a cell of quotes and = + - @."""
    path = write(
        tmp_path,
        HEADER + ",resource,notes\n"
        "A,cloud_commitment,'=HYPERLINK(\"x\"),''-cmd,1.00,USD,2026-01-01,12,,'@SUM(1),O'Reilly\n"
        "B,cloud_commitment,'Acme,'+1,1.00,USD,2026-01-01,12,,',''\n",
    )
    rows = read_ledger_file(path).batch.agreements.to_dict("records")
    assert [(r["payer"], r["payee"], r["resource"], r["notes"]) for r in rows] == [
        ('=HYPERLINK("x")', "'-cmd", "@SUM(1)", "O'Reilly"),
        ("'Acme", "+1", "'", "''"),
    ]


def test_a_csv_file_with_minimums_gives_the_digests_of_yaml(tmp_path: Path) -> None:
    """A minimum beside an agreement without one (the CSV fast path once left minimums to the row-by-row
    validator, whose part of the batch then made them objects); the batch's minimum amounts stay int64."""
    path = write(
        tmp_path,
        HEADER + ",minimum_amount,minimum_period\n"
        "A,cloud_commitment,P,Q,12.00,USD,2026-01-01,12,,,\n"
        "B,cloud_commitment,P,Q,12.00,USD,2026-01-01,12,,1.00,month\n",
    )
    yaml_path = write(
        tmp_path,
        "agreements:\n"
        "- {agreement_id: A, kind: cloud_commitment, payer: P, payee: Q, amount: 12.00, currency: USD,"
        " start_date: 2026-01-01, term_months: 12}\n"
        "- {agreement_id: B, kind: cloud_commitment, payer: P, payee: Q, amount: 12.00, currency: USD,"
        " start_date: 2026-01-01, term_months: 12, minimum_amount: 1.00, minimum_period: month}\n",
        "deals.yaml",
    )
    batch = read_ledger_file(path).batch
    assert batch.minimums["amount_minor"].dtype == "int64"
    assert batch.digests().tolist() == read_ledger_file(yaml_path).batch.digests().tolist()
