"""Hostile input files, without a database: YAML bombs and tricks, huge fields, control characters, dates
out of range, blank amounts and error floods are refused in one readable message, in CSV and YAML alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.domain.calendars import FiscalCalendar, Grain, calendar_periods
from ledger.domain.dates import FIRST_DAY, LAST_DAY, in_range
from ledger.errors import MAX_LISTED, DomainError, InputError, InputProblem, shown
from ledger.io import limits
from ledger.io.charges import ChargeOptions, read_charges
from ledger.io.readers import read_ledger_file
from tests.inputs import agreement_yaml

HEADER = "agreement_id,kind,payer,payee,amount,currency,start_date,term_months"
CHARGES = "payer,payee,charge_period_start,charge_period_end,amount,currency,resource\n"


def bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: `width ** levels` strings from a few hundred bytes, nested under `notes`."""
    notes = "  notes: [&a0 [" + ",".join(["lol"] * width) + "]"
    for k in range(1, levels):
        notes += f", &a{k} [" + ",".join([f"*a{k - 1}"] * width) + "]"
    return agreement_yaml() + notes + "]\n"


def write(tmp_path: Path, text: str, name: str = "deals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def refused(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_ledger_file(path)
    return caught.value


def lines(path: Path) -> list[str]:
    """The problems, as printed."""
    return str(refused(path)).splitlines()


def agreements(path: Path) -> pd.DataFrame:
    return read_ledger_file(path).batch.agreements


# -- YAML ---------------------------------------------------------------------------------------------------


def test_the_billion_laughs_is_refused_at_once_in_little_memory(tmp_path: Path) -> None:
    path = write(tmp_path, bomb(), "bomb.yaml")
    assert path.stat().st_size < 650
    tracemalloc.start()
    started = time.perf_counter()
    error = refused(path)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1 and peak < 20 * 2**20  # before: over 20 s and 2 GB, then a MemoryError traceback
    message = str(error).splitlines()
    assert message[0] == (
        f"{path}:10: notes: got '&a0', expected no YAML anchors or aliases (&name, *name): write each value out"
    )
    assert len(message) == MAX_LISTED + 1 and message[-1] == "… and 61 more problems"  # 9 anchors, 72 aliases
    assert max(len(line) for line in message) < len(str(path)) + 120


def test_an_alias_bomb_in_a_string_field_cannot_make_a_huge_message(tmp_path: Path) -> None:
    text = agreement_yaml(amount=None) + "  amount: [&b0 [" + "x" * 40 + "]"
    text += "".join(f", &b{k} [*b{k - 1},*b{k - 1}]" for k in range(1, 18)) + "]\n"
    error = refused(write(tmp_path, text, "bomb.yaml"))  # before: a 22.8 MB message
    assert len(str(error)) < 21 * 250 and "expected no YAML anchors or aliases" in str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            agreement_yaml(payer="&p OpenAI", payee="*p"),
            [
                "4: payer: got '&p', expected no YAML anchors or aliases (&name, *name): write each value out",
                "5: payee: got '*p', expected no YAML anchors or aliases (&name, *name): write each value out",
            ],
        ),
        (
            agreement_yaml() + "  <<: {notes: merged}\n",
            ["10: <<: expected no YAML merge keys (<<): write each key out"],
        ),
        (
            agreement_yaml(payer="!!binary AAECAwQ="),
            [
                "4: payer: got 'tag:yaml.org,2002:binary', expected no YAML tags (!!type): plain values, lists and mappings"
            ],
        ),
        (
            agreement_yaml(notes="!!python/object/apply:os.system ['true']"),
            [
                "10: notes: got 'tag:yaml.org,2002:python/object/apply:os.system', "
                "expected no YAML tags (!!type): plain values, lists and mappings"
            ],
        ),
        (agreement_yaml() + "  amount: '2.00'\n", ["10: amount: expected each key once in a mapping (also on line 6)"]),
        (
            agreement_yaml() + "agreements: []\n",
            ["10: agreements: expected each key once in a mapping (also on line 1)"],
        ),
        (
            "agreements:\n- agreement_id: A\n  notes: " + "[" * 40 + "]" * 40 + "\n",
            ["3: notes: expected lists and mappings at most 32 levels deep"],
        ),
        (
            agreement_yaml(payer="Open\x00AI"),
            ["4: yaml: expected YAML text without control characters (U+0000 at column 14)"],
        ),
        (
            agreement_yaml(amount="1" * 5000),  # int() of it raises: Python converts at most 4,300 digits
            [f"6: amount: got '{'1' * 80}'… (5,000 characters), expected a decimal of at most 40 characters"],
        ),
        (
            agreement_yaml(payer='"Open\\0AI"'),
            [
                "4: payer: got 'Open\\x00AI', expected a name without control characters, tabs, line breaks or "
                "invisible bidirectional marks (it has U+0000 at character 5)"
            ],
        ),
    ],
    ids=[
        "alias",
        "merge-key",
        "binary-tag",
        "python-tag",
        "duplicate-key",
        "duplicate-section",
        "depth",
        "raw-nul",
        "5000-digits",
        "nul-escape",
    ],
)
def test_yaml_tricks_are_refused_with_their_line(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = write(tmp_path, text, "deals.yaml")
    assert lines(path) == [f"{path}:{line}" for line in expected]


def test_yaml_size_and_node_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ledger.io.readers.MAX_YAML_BYTES", 1000)
    big = write(tmp_path, agreement_yaml(notes="x" * 1000), "big.yaml")
    assert lines(big) == [
        f"{big}:0: file: got '{big.stat().st_size:,} bytes', expected a YAML file of at most 0 MiB (import more "
        "agreements as CSV)"
    ]
    monkeypatch.undo()
    many = write(tmp_path, "agreements:\n- agreement_id: A\n  notes: [" + ",".join(["a"] * 600_000) + "]\n", "m.yaml")
    assert lines(many) == [
        f"{many}:3: notes: expected at most 500,000 values, lists and mappings in a YAML file (or use CSV)"
    ]


def test_the_seeds_are_within_every_yaml_bound() -> None:
    from ledger.services.importing import seed_files

    for path in seed_files():
        assert path.stat().st_size < limits.MAX_YAML_BYTES
        read_ledger_file(path)


# -- field sizes --------------------------------------------------------------------------------------------

SIZED = [  # column, limit, what the message calls it
    ("payer", limits.MAX_NAME_CHARS, "a name"),
    ("resource", limits.MAX_LABEL_CHARS, "text"),
    ("source_title", limits.MAX_LABEL_CHARS, "text"),
    ("unit", limits.MAX_LABEL_CHARS, "text"),
    ("notes", limits.MAX_TEXT_CHARS, "text"),
    ("assumptions", limits.MAX_TEXT_CHARS, "text"),
    ("participants", limits.MAX_TEXT_CHARS, "text"),
]


@pytest.mark.parametrize(("column", "limit", "what"), SIZED)
def test_each_text_field_is_bounded_in_csv_and_yaml(tmp_path: Path, column: str, limit: int, what: str) -> None:
    extra = {"source_title": "source_url", "unit": "quantity"}
    partner = {"source_url": "https://example.com/a", "quantity": "2"}
    for size, ok in ((limit, True), (limit + 1, False), (200_000, False)):  # 200,000: past the csv module's limit
        value = "x" * size
        cells = {"payer": "OpenAI", column: value}
        if column in extra:
            cells[extra[column]] = partner[extra[column]]
        header = HEADER + "".join(f",{c}" for c in cells if c != "payer")
        row = "A,cloud_commitment,{payer},AWS,1.00,USD,2026-01-01,12".format(**cells)
        row += "".join(f",{v}" for c, v in cells.items() if c != "payer")
        path = write(tmp_path, f"{header}\n{row}\n")
        yaml_path = write(tmp_path, agreement_yaml(**{k: v for k, v in cells.items()}), "deals.yaml")
        if ok:
            assert agreements(path)[column if column in ("payer", "resource", "notes") else "agreement_id"].size == 1
            read_ledger_file(yaml_path)
            continue
        expected = f"{what} of at most {limit:,} characters"
        shown_value = f"'{'x' * 80}'… ({size:,} characters)"
        assert lines(path) == [f"{path}:2: {column}: got {shown_value}, expected {expected}"]
        assert lines(yaml_path) == [
            f"{yaml_path}:{_yaml_line(column)}: {column}: got {shown_value}, expected {expected}"
        ]


def _yaml_line(column: str) -> int:
    return {"payer": 4}.get(column, 10)


def test_ids_urls_amounts_and_lists_are_bounded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + ",source_url,quantity,unit,tranche_amounts,profile\n"
        f"{'A' * 101},cloud_commitment,P,Q,1.00,USD,2026-01-01,12,,,,,\n"
        f"B,cloud_commitment,P,Q,1.{'0' * 100},USD,2026-01-01,12,,,,,\n"
        f"C,cloud_commitment,P,Q,1.00,USD,2026-01-01,12,https://e.com/{'u' * 2000},,,,\n"
        f"D,cloud_commitment,P,Q,1.00,USD,2026-01-01,12,,{'1' * 41},GW,,\n"
        f'E,cloud_commitment,P,Q,2.00,USD,2026-01-01,24,,,,"1.00;{" " * 10_000}1.00",tranches\n',
    )
    found = lines(path)
    assert [line.split(": got")[0] for line in found] == [
        f"{path}:2: agreement_id", f"{path}:3: amount", f"{path}:4: source_url", f"{path}:5: quantity",
        f"{path}:6: tranche_amounts",
    ]  # fmt: skip
    assert found[0].endswith(
        "expected an id of letters, digits and . _ : / - (at most 100 characters), like OAI-AWS-2026-02"
    )
    assert found[1].endswith("expected a decimal of at most 40 characters")
    assert found[2].endswith("expected a web address of at most 2,000 characters")
    assert found[3].endswith("expected a decimal of at most 40 characters")
    assert found[4].endswith("expected a list of at most 10,000 characters")


def test_json_cells_are_bounded_and_checked_inside(tmp_path: Path) -> None:
    """A JSON cell is text of at most MAX_JSON_CHARS without control characters; what it holds is checked
    by each field's own rule (an escaped bidi override is still one); nesting cannot exhaust the stack."""
    big = '[{"url": "https://a.example/' + "u" * limits.MAX_JSON_CHARS + '"}]'
    cells = [
        big,
        '[{"kind": "additional", "to": "B\\u202e"}]',
        "[\x01]",
        "[" * 200_000 + "]" * 200_000,
        '[{"url": "https://a.example/", "title": "' + "t" * (limits.MAX_LABEL_CHARS + 1) + '"}]',
    ]
    columns = ["sources", "relations", "relations", "tranches", "sources"]
    rows = [
        f"R{i},cloud_commitment,P,Q,1.00,USD,2026-01-01,12,{'tranches' if column == 'tranches' else ''},"
        + ",".join(
            '"' + cell.replace('"', '""') + '"' if c == column else "" for c in ("relations", "sources", "tranches")
        )
        for i, (column, cell) in enumerate(zip(columns, cells, strict=True))
    ]
    path = write(tmp_path, HEADER + ",profile,relations,sources,tranches\n" + "\n".join(rows) + "\n")
    started = time.perf_counter()
    found = lines(path)
    assert time.perf_counter() - started < 5
    assert [line.split(": got")[0] for line in found] == [
        f"{path}:2: sources", f"{path}:3: relations.0.to", f"{path}:4: relations", f"{path}:5: tranches",
        f"{path}:6: sources.0.title",
    ]  # fmt: skip
    assert found[0].endswith("expected a JSON array of at most 1,000,000 characters")
    assert found[1].endswith(
        "expected an id of letters, digits and . _ : / - (at most 100 characters), like OAI-AWS-2026-02"
    )
    assert found[2].endswith(
        "expected a JSON array without control characters other than tab and line breaks (it has U+0001 at character 2)"
    )
    assert "expected a JSON array of {start_date, end_date, amount} objects" in found[3]
    assert found[4].endswith("expected text of at most 1,000 characters")


# -- control characters --------------------------------------------------------------------------------------

LINE_ONLY = ["\t", "\n", "\u202e", "\u2066", "\u200f", "\u2028", "\ufeff"]
NEVER = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9b"]


@pytest.mark.parametrize("char", NEVER + LINE_ONLY, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("column", ["payer", "payee", "resource", "unit", "source_title"])
def test_names_and_labels_refuse_control_and_bidi_characters(tmp_path: Path, column: str, char: str) -> None:
    cells = {"payer": "OpenAI", "payee": "AWS", column: f"Na{char}me"}
    extra = {"unit": ("quantity", "2"), "source_title": ("source_url", "https://e.com/a")}.get(column)
    if extra:
        cells[extra[0]] = extra[1]
    header = HEADER + "".join(f",{c}" for c in cells if c not in ("payer", "payee"))
    quoted = {k: f'"{v}"' for k, v in cells.items()}
    row = "A,cloud_commitment,{payer},{payee},1.00,USD,2026-01-01,12".format(**quoted)
    row += "".join(f",{v}" for c, v in quoted.items() if c not in ("payer", "payee"))
    path = write(tmp_path, f"{header}\n{row}\n")
    what = "a name" if column in ("payer", "payee") else "text"
    (line,) = lines(path)
    assert line.endswith(
        f"{column}: got {f'Na{char}me'!r}, expected {what} without control characters, tabs, line breaks or "
        f"invisible bidirectional marks (it has U+{ord(char):04X} at character 3)"
    )


@pytest.mark.parametrize("char", NEVER, ids=lambda c: f"U+{ord(c):04X}")
def test_free_text_refuses_control_characters_but_keeps_tabs_and_line_breaks(tmp_path: Path, char: str) -> None:
    good = write(tmp_path, HEADER + ',notes\nA,cloud_commitment,P,Q,1.00,USD,2026-01-01,12,"a\tb\r\nc \u202eRTL"\n')
    assert agreements(good)["notes"].tolist() == ["a\tb\nc \u202eRTL"]  # read with universal newlines
    bad = write(tmp_path, HEADER + f',notes\nA,cloud_commitment,P,Q,1.00,USD,2026-01-01,12,"a{char}b"\n')
    assert lines(bad) == [
        f"{bad}:2: notes: got {f'a{char}b'!r}, expected text without control characters other than tab and line "
        f"breaks (it has U+{ord(char):04X} at character 2)"
    ]


def test_yaml_names_aliases_and_parties_refuse_control_characters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'parties:\n- name: "Ac\\x1bme"\n- name: Acme2\n  aliases: ["A\\nB"]\n  parent: "P\\u202e"\n'
        'valuations:\n- valuation_id: V\n  party: "O\\0"\n  kind: post_money\n  amount: 1\n  currency: USD\n'
        "  as_of: 2026-01-01\n",
        "parties.yaml",
    )
    assert [line.split(" expected")[0] for line in lines(path)] == [
        f"{path}:2: name: got 'Ac\\x1bme',",
        f"{path}:5: parent: got 'P\\u202e',",
        f"{path}:4: aliases.0: got 'A\\nB',",
        f"{path}:8: party: got 'O\\x00',",
    ]


def test_stripped_whitespace_controls_are_refused_on_agreements(tmp_path: Path) -> None:
    """Python strips U+001C-U+001F and pydantic does not: refused as written, both paths agree."""
    path = write(tmp_path, HEADER + "\nA,cloud_commitment,Acme\x1f,AWS,1.00,USD,2026-01-01,12\n")
    assert lines(path)[0].endswith("(it has U+001F at character 5)")


# -- dates --------------------------------------------------------------------------------------------------


def test_the_supported_range() -> None:
    assert (dt.date(1900, 1, 1), dt.date(2199, 12, 31)) == (FIRST_DAY, LAST_DAY)
    assert in_range(FIRST_DAY) and in_range(LAST_DAY)
    assert not in_range(dt.date(1899, 12, 31)) and not in_range(dt.date(2200, 1, 1))


@pytest.mark.parametrize(
    ("start", "months", "end", "problem"),
    [
        ("1900-01-01", "12", "", None),
        ("2199-12-31", "", "2199-12-31", None),
        ("2100-01-01", "1200", "", None),  # the longest term, ending on LAST_DAY
        (
            "2100-01-02",
            "1200",
            "",
            "term_months: got '1200', expected a term that ends by 2199-12-31 (from "
            "2100-01-02, 1200 months end on 2200-01-01)",
        ),
        (
            "1899-12-31",
            "12",
            "",
            "start_date: got '1899-12-31', expected a date from 1900-01-01 to 2199-12-31 (the "
            "ledger's supported range)",
        ),
        (
            "9999-12-01",
            "12",
            "",
            "start_date: got '9999-12-01', expected a date from 1900-01-01 to 2199-12-31 (the "
            "ledger's supported range)",
        ),
        (
            "0001-03-01",
            "12",
            "",
            "start_date: got '0001-03-01', expected a date from 1900-01-01 to 2199-12-31 (the "
            "ledger's supported range)",
        ),
        (
            "2026-01-01",
            "",
            "2200-01-01",
            "end_date: got '2200-01-01', expected a date from 1900-01-01 to 2199-12-31 (the ledger's supported range)",
        ),
    ],
)
def test_terms_stay_in_the_supported_range(
    tmp_path: Path, start: str, months: str, end: str, problem: str | None
) -> None:
    path = write(tmp_path, HEADER + f",end_date\nA,cloud_commitment,P,Q,1.00,USD,{start},{months},{end}\n")
    if problem is None:
        assert len(agreements(path)) == 1
    else:
        assert lines(path) == [f"{path}:2: {problem}"]


def test_every_date_of_a_yaml_file_is_in_range(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        agreement_yaml(announced_on="0001-01-01", profile="tranches", amount="'2.00'", term_months="24")
        + "  tranches:\n  - {start_date: 2026-01-01, end_date: 2026-12-31, amount: '1.00'}\n"
        "  - {start_date: 2027-01-01, end_date: 2300-12-31, amount: '1.00'}\n"
        "  sources:\n  - {url: 'https://e.com', date: 9999-12-31}\n"
        "valuations:\n- {valuation_id: V, party: P, kind: post_money, amount: 1, currency: USD, as_of: 1850-06-30}\n",
        "deals.yaml",
    )
    assert [line.split(": got")[0] for line in lines(path)] == [
        f"{path}:10: announced_on", f"{path}:15: sources.0.date", f"{path}:12: tranches.1.end_date", f"{path}:18: as_of",
    ]  # fmt: skip


def test_52_53_week_years_refuse_dates_outside_what_they_can_compute() -> None:
    retail = FiscalCalendar.parse("52-53:jan:sun:last")
    table = calendar_periods(Grain.FISCAL_YEAR, FIRST_DAY, LAST_DAY + dt.timedelta(days=1), retail)
    assert table.end[-1] >= np.datetime64(LAST_DAY, "D")
    with pytest.raises(DomainError, match=r"52/53-week fiscal years \(52-53:jan:sun:last\) only from 1700-01-01"):
        calendar_periods(Grain.FISCAL_YEAR, dt.date(1, 3, 1), dt.date(2, 3, 1), retail)  # before: year 0 traceback


# -- blank amounts ------------------------------------------------------------------------------------------


def test_a_blank_amount_must_say_it_is_undisclosed(tmp_path: Path) -> None:
    blank = "expected an amount, or amount_qualifier undisclosed for a deal whose amount is not known"
    csv_path = write(
        tmp_path,
        HEADER + ",amount_qualifier\n"
        "A,cloud_commitment,P,Q,,USD,2026-01-01,12,\n"
        "B,cloud_commitment,P,Q,,USD,2026-01-01,12,undisclosed\n"
        "C,cloud_commitment,P,Q,,USD,2026-01-01,12,up_to\n"
        "D,cloud_commitment,P,Q, ,USD,2026-01-01,12,\n",
    )
    assert lines(csv_path) == [
        f"{csv_path}:2: amount: {blank}",
        f"{csv_path}:4: amount: expected an amount, since amount_qualifier is up_to",
        f"{csv_path}:5: amount: {blank}",
    ]
    ok = write(tmp_path, HEADER + ",amount_qualifier\nB,cloud_commitment,P,Q,,USD,2026-01-01,12,undisclosed\n")
    assert agreements(ok)["amount_minor"].isna().all()
    yaml_path = write(tmp_path, agreement_yaml(amount=None), "deals.yaml")
    assert lines(yaml_path) == [f"{yaml_path}:2: amount: {blank}"]
    read_ledger_file(write(tmp_path, agreement_yaml(amount=None, amount_qualifier="undisclosed"), "ok.yaml"))


# -- error messages -----------------------------------------------------------------------------------------


def test_many_problems_list_the_first_twenty_and_count_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path, HEADER + "\n" + "".join(f"A{i},cloud_commitment,P,Q,oops,USD,2026-01-01,12\n" for i in range(1234))
    )
    found = lines(path)
    assert len(found) == 21 and found[-1] == "… and 1,214 more problems"
    assert found[0] == (
        f"{path}:2: amount: got 'oops', expected a plain non-negative decimal without separators or exponent, "
        "like 100000000000.00"
    )


def test_counting_stops_at_max_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ledger.io.readers.MAX_COUNTED", 100)
    path = write(
        tmp_path, HEADER + "\n" + "".join(f"A{i},cloud_commitment,P,Q,oops,USD,2026-01-01,12\n" for i in range(500))
    )
    assert lines(path)[-1] == "… and at least 80 more problems"


def test_a_header_of_thousands_of_unknown_columns(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "," + ",".join(f"c{i}" for i in range(3000)) + "\n")
    found = lines(path)
    assert len(found) == 21 and found[-1] == "… and 2,980 more problems"  # before: 3,000 lines, 1.3 MB


def test_values_and_columns_are_shown_briefly_and_escaped() -> None:
    assert shown("x" * 1_000_000) == f"'{'x' * 80}'… (1,000,000 characters)"
    assert shown("\x1b[2J") == "'\\x1b[2J'"
    assert (
        shown([[["deep"] * 9] * 9] * 9)
        == "[[[…], […], […], […], …], [[…], […], […], […], …], [[…], […], […], […], …], [[…]…"
    )
    assert shown(dt.date(2026, 1, 1)) == "2026-01-01" and shown(None) == "" and shown("  ") == ""
    problem = InputProblem("f.csv", 1, "c" * 100 + "\x1b", "v", "e\nf")
    assert str(problem) == f"f.csv:1: '{'c' * 80}'… (101 characters): got 'v', expected e f"


# -- billing files -------------------------------------------------------------------------------------------


def charge(payer: str = "Lab", payee: str = "Cloud", start: str = "2026-01-01", end: str = "2026-02-01",
           resource: str = "") -> str:  # fmt: skip
    return f"{payer},{payee},{start},{end},10.00,USD,{resource}\n"


def charge_lines(path: Path, options: ChargeOptions | None = None) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_charges(path, options or ChargeOptions(format="csv"))
    return str(caught.value).splitlines()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            charge(payer="L\x00ab"),
            "2: payer: got 'L\\x00ab', expected a name without control characters, tabs, "
            "line breaks or invisible bidirectional marks (it has U+0000 at character 2)",
        ),
        (
            charge(payee="Cl\u202eoud"),
            "2: payee: got 'Cl\\u202eoud', expected a name without control characters, "
            "tabs, line breaks or invisible bidirectional marks (it has U+202E at character 3)",
        ),
        (
            charge(resource="\x1b]0;x\x07gpu"),
            "2: resource: got '\\x1b]0;x\\x07gpu', expected text without control "
            "characters, tabs, line breaks or invisible bidirectional marks (it has "
            "U+001B at character 1)",
        ),
        (
            charge(payer="L" * 201),
            f"2: payer: got '{'L' * 80}'… (201 characters), expected a name of at most 200 characters",
        ),
        (
            charge(resource="r" * 1001),
            f"2: resource: got '{'r' * 80}'… (1,001 characters), expected text of at most 1,000 characters",
        ),
        (
            charge(start="1899-12-31", end="1900-01-01"),
            "2: charge_period_start: got '1899-12-31', expected a date or "
            "timestamp from 1900-01-01 to 2200-01-01T00:00:00Z (the ledger's "
            "supported range)",
        ),
        (
            charge(start="2199-12-31", end="2200-01-02"),
            "2: charge_period_end: got '2200-01-02', expected a date or "
            "timestamp from 1900-01-01 to 2200-01-01T00:00:00Z (the ledger's "
            "supported range)",
        ),
    ],
    ids=["nul-payer", "bidi-payee", "osc-resource", "long-payer", "long-resource", "1899", "2200-01-02"],
)
def test_billing_files_refuse_what_they_would_store(tmp_path: Path, row: str, expected: str) -> None:
    path = write(tmp_path, CHARGES + row, "charges.csv")
    assert charge_lines(path) == [f"{path}:{expected}"]


def test_billing_files_at_the_edges_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        CHARGES + charge(payer="L" * 200, start="1900-01-01", end="1900-02-01", resource="r" * 1000)
        + charge(start="2199-12-31", end="2200-01-01"),
        "charges.csv",
    )  # fmt: skip
    assert read_charges(path, ChargeOptions(format="csv")).rows == 2


def test_billing_options_are_names_too(tmp_path: Path) -> None:
    path = write(tmp_path, CHARGES + charge(), "charges.csv")
    assert charge_lines(path, ChargeOptions(format="csv", payer="La\x1b[2Jb")) == [
        f"{path}:0: --payer: got 'La\\x1b[2Jb', expected a name without control characters, tabs, line breaks or "
        "invisible bidirectional marks (it has U+001B at character 3)"
    ]


def test_billing_problems_are_counted_and_may_continue_past_the_chunk(tmp_path: Path) -> None:
    path = write(tmp_path, CHARGES + charge().replace("USD", "XXX") * 100, "charges.csv")
    assert charge_lines(path)[-1] == "… and 80 more problems"
    assert charge_lines(path, ChargeOptions(format="csv", chunk_rows=50))[-1] == "… and at least 30 more problems"


# -- CSV and YAML --------------------------------------------------------------------------------------------

# column -> (cells the rules accept, hostile cells); accepted ones are drawn more often, so that whole rows pass
HOSTILE_CELLS = {
    "agreement_id": (["A-1", "B", "x" * 100], ["x" * 101, "A\x00"]),
    "payer": (["OpenAI", "p" * 200, " Acme "], ["p" * 201, "Op\x00en", "A\u202eB", "Acme\x1f", "A\tB"]),
    "kind": (["cloud_commitment"], []),
    "payee": (["AWS"], ["Cloud\x7f", "Cloud\u2066"]),
    "currency": (["USD"], []),
    "amount": (["1.00", "1." + "0" * 38, "0"], ["", "1." + "0" * 39]),
    "amount_qualifier": (["", "", "up_to"], ["undisclosed"]),
    "start_date": (["2026-01-01", "1900-01-01", "2199-12-31"], ["1899-12-31", "2200-01-01", "0001-01-01"]),
    "term_months": (["12", "1", "1200"], [""]),
    "resource": (["", "r" * 1000], ["r" * 1001, "GPU\x1b[1m", "\ufeffGPU"]),
    "notes": (["", "n" * 10_000, "a\tb\nc", "\u202eRTL"], ["n" * 10_001, "a\x00b", "x\x9b"]),
    "source_url": (
        ["", "https://e.com/a", "https://e.com/" + "u" * 1986],
        ["https://e.com/\x00", "https://e.com/" + "u" * 1987],
    ),
    "quantity": (["", "2", "1" * 40], ["1" * 41]),
    "unit": (["", "GW"], ["G\nW"]),
    "tranche_amounts": ([""], ["1.00;" + " " * 9995 + "1.00", "1.00;" + " " * 9996 + "1.00"]),
    "profile": (["", ""], ["tranches"]),
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries({c: st.sampled_from(ok * 20 + bad) for c, (ok, bad) in HOSTILE_CELLS.items()}),
        min_size=1,
        max_size=2,
    )
)
def test_hostile_cells_are_refused_alike_in_csv_and_yaml(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]
) -> None:
    """The same cells as CSV rows and as YAML entries (text values): the same problems, or the same agreements."""
    for i, row in enumerate(rows):  # distinct ids, so that rows are judged on their cells
        row["agreement_id"] = (
            f"{row['agreement_id']}{i}"[-100:] if "\x00" not in row["agreement_id"] else row["agreement_id"]
        )
        if row["quantity"] and not row["unit"]:
            row["unit"] = "GW"
    folder = tmp_path_factory.mktemp("hostile")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(HOSTILE_CELLS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    csv_path, yaml_path = folder / "deals.csv", folder / "deals.yaml"
    csv_path.write_text(text.getvalue(), encoding="utf-8", newline="")
    entries = [{k: v for k, v in row.items() if v.strip()} for row in rows]
    yaml_path.write_text(yaml.safe_dump({"agreements": entries}, allow_unicode=False), encoding="utf-8")
    from_csv, from_yaml = _read(csv_path), _read(yaml_path)
    event("refused" if isinstance(from_csv, list) else "read")
    assert from_csv == from_yaml


def _read(path: Path) -> list[str] | list[tuple[str, object, str]]:
    """The digests of the agreements, or each problem without its line."""
    try:
        return read_ledger_file(path).batch.digests().tolist()  # type: ignore[no-any-return]
    except InputError as error:
        return [(p.column, p.value, p.expected) for p in error.problems]
