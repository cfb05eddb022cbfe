"""`ledger parties` end to end, as a user runs it: the issue's scenario on both backends, refusals, listings."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.e2e.runner import Done, ledger
from tests.inputs import AWS_FOCUS, OLD_PARTIES

SEED_ERROR = (
    "expected an alias that is not itself a party's name (AWS is a party, perhaps made by a billing file: fold it"
    " in with `ledger parties merge 'AWS' 'Amazon Web Services' --create`, then import again)"
)


def run(*args: str, cwd: Path) -> Done:
    return ledger(*args, cwd=cwd)


def ok(*args: str, cwd: Path) -> Done:
    done = run(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def refused(*args: str, cwd: Path) -> str:
    """The one error line of a refused command (exit 1, no traceback)."""
    done = run(*args, cwd=cwd)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ")
    return line


def test_help_on_every_parties_command_and_option(tmp_path: Path) -> None:
    assert "parties" in ok("--help", cwd=tmp_path).stdout
    top = ok("parties", "--help", cwd=tmp_path).stdout
    assert "Usage: ledger parties" in top and "list" in top and "merge" in top
    merge = ok("parties", "merge", "--help", cwd=tmp_path).stdout
    assert "Usage: ledger parties merge [OPTIONS] {FROM} {INTO}" in merge
    for text in ("FROM <str>  The party to fold in", "INTO <str>  The party that stays"):
        assert text in merge
    for option, help_text in (("--dry-run", "Check"), ("--author NAME", "Who makes"), ("--reason TEXT", "Why")):
        assert re.search(rf"{option} +{help_text}", merge), option
    listing = ok("parties", "list", "--help", cwd=tmp_path).stdout
    for option in ("-f, --format FORMAT  table, csv or json.", "-o, --output FILE    Write to FILE"):
        assert option in listing
    bare = run("parties", cwd=tmp_path)  # no command: the help, exit 2 like a bare `ledger`
    assert bare.returncode == 2 and bare.stderr.startswith("Usage: ledger parties")
    assert "list   Parties by name, with kind, parent and aliases." in top
    assert "merge  Fold party FROM into party INTO; FROM's name becomes an alias." in top


def test_issue_scenario_ingest_blocks_seed_until_merged(tmp_path: Path, db_url: str) -> None:
    """init; a billing file creates AWS; seed fails; merge AWS into Amazon Web Services; seed works; burn."""
    (tmp_path / "old.yaml").write_text(OLD_PARTIES)
    (tmp_path / "aws.csv").write_text(AWS_FOCUS)
    db = ("--db", db_url)
    ok(*db, "init", cwd=tmp_path)
    ok(*db, "import", "old.yaml", cwd=tmp_path)
    assert "parties created: 2" in ok(*db, "ingest", "aws.csv", cwd=tmp_path).stderr  # AWS and OpenAI
    for _ in range(2):  # fails every time, not once
        assert refused(*db, "seed", cwd=tmp_path).endswith(SEED_ERROR)

    line = refused(*db, "parties", "merge", "AWS", "Amazon Web Servics", cwd=tmp_path)
    assert line == "error: no party named 'Amazon Web Servics' in the ledger; did you mean Amazon Web Services?"
    merged = ok(*db, "parties", "merge", "AWS", "Amazon Web Services", cwd=tmp_path).stderr
    assert merged.splitlines() == [
        "merged 'AWS' into 'Amazon Web Services': 0 agreements, 0 valuations, 3 consumption rows, 0 subsidiaries"
        " and 0 aliases moved; 'AWS' is now an alias of 'Amazon Web Services'; draw-downs rewritten: 0"
    ]
    assert "seeded" in ok(*db, "seed", cwd=tmp_path).stderr

    burn = ok(*db, "burn", "--as-of", "2026-06-30", "-a", "OAI-AWS-2025-11", "-f", "csv", cwd=tmp_path).stdout
    (row,) = csv.DictReader(io.StringIO(burn))
    assert (row["payer"], row["payee"], row["consumed"]) == ("OpenAI", "Amazon Web Services", "4000000.75")
    parties = json.loads(ok(*db, "parties", "list", "-f", "json", cwd=tmp_path).stdout)["parties"]
    by_name = {p["name"]: p for p in parties}
    assert "AWS" not in by_name and "AWS" in by_name["Amazon Web Services"]["aliases"]

    again = refused(*db, "parties", "merge", "AWS", "Amazon Web Services", cwd=tmp_path)
    assert again == "error: 'AWS' is already an alias of 'Amazon Web Services': nothing to merge"
    assert "already ingested" in ok(*db, "ingest", "aws.csv", cwd=tmp_path).stderr
    reseeded = ok(*db, "seed", cwd=tmp_path).stderr
    assert "agreements: 0 new, 0 updated" in reseeded and "parties: 0 new, 0 updated" in reseeded


def test_merging_into_a_party_the_ledger_does_not_hold_yet(tmp_path: Path, db_url: str) -> None:
    """The issue's sequence: init, a billing file creates AWS, seed fails; the seeded party does not exist
    yet, so the merge asks for --create, which renames AWS to it; then seed works and burn counts the spend."""
    (tmp_path / "aws.csv").write_text(AWS_FOCUS)
    db = ("--db", db_url)
    ok(*db, "init", cwd=tmp_path)
    ok(*db, "ingest", "aws.csv", cwd=tmp_path)
    assert refused(*db, "seed", cwd=tmp_path).endswith(SEED_ERROR)
    line = refused(*db, "parties", "merge", "AWS", "Amazon Web Services", cwd=tmp_path)
    assert line == (
        "error: no party named 'Amazon Web Services' in the ledger (give --create to rename 'AWS' to"
        " 'Amazon Web Services', keeping 'AWS' as its alias)"
    )
    renamed = ok(*db, "parties", "merge", "AWS", "Amazon Web Services", "--create", cwd=tmp_path).stderr
    assert renamed.splitlines() == ["renamed 'AWS' to 'Amazon Web Services', a new name; 'AWS' is now its alias"]
    assert "seeded" in ok(*db, "seed", cwd=tmp_path).stderr
    burn = ok(*db, "burn", "--as-of", "2026-06-30", "-a", "OAI-AWS-2025-11", "-f", "csv", cwd=tmp_path).stdout
    (row,) = csv.DictReader(io.StringIO(burn))
    assert (row["payer"], row["payee"], row["consumed"]) == ("OpenAI", "Amazon Web Services", "4000000.75")
    assert "already ingested" in ok(*db, "ingest", "aws.csv", cwd=tmp_path).stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("AWSS", "OpenAI"), "error: no party named 'AWSS' in the ledger; did you mean AWS?"),
        (("AWS", "AWS"), "error: cannot merge 'AWS' into itself ('AWS' is one of its names)"),
        (
            ("AWS", "Amazon"),
            "error: cannot merge 'AWS' into 'Amazon': 3 consumption rows (month sums of billed charges) between"
            " them would have one party as payer and payee",
        ),
    ],
)
def test_refusals_exit_1_with_one_line(tmp_path: Path, args: tuple[str, str], message: str) -> None:
    (tmp_path / "aws.csv").write_text(AWS_FOCUS.replace("OpenAI,", "Amazon,"))
    ok("init", cwd=tmp_path)
    ok("ingest", "aws.csv", cwd=tmp_path)
    before = ok("parties", "list", "-f", "json", cwd=tmp_path).stdout
    assert refused("parties", "merge", *args, cwd=tmp_path) == message
    assert ok("parties", "list", "-f", "json", cwd=tmp_path).stdout == before


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "aws.csv").write_text(AWS_FOCUS)
    (tmp_path / "old.yaml").write_text(OLD_PARTIES)
    ok("init", cwd=tmp_path)
    ok("import", "old.yaml", cwd=tmp_path)
    ok("ingest", "aws.csv", cwd=tmp_path)
    before = ok("parties", "list", "-f", "csv", cwd=tmp_path).stdout
    trial = ok("parties", "merge", "--dry-run", "AWS", "Amazon Web Services", cwd=tmp_path).stderr
    assert trial.startswith("would merge 'AWS' into 'Amazon Web Services'")
    assert trial.rstrip().endswith("(dry run: nothing written)")
    assert ok("parties", "list", "-f", "csv", cwd=tmp_path).stdout == before


def test_listing_formats(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(OLD_PARTIES + '    aliases: [AWS, "Amazon Web Services, Inc."]\n')
    ok("init", cwd=tmp_path)
    ok("import", "old.yaml", cwd=tmp_path)
    listed = ok("parties", "list", "-f", "csv", cwd=tmp_path)
    assert listed.stderr.strip() == "2 parties"
    assert list(csv.reader(io.StringIO(listed.stdout))) == [
        ["name", "kind", "parent", "ultimate_parent", "aliases", "fiscal_year_end_month", "notes"],
        ["Amazon", "cloud", "", "Amazon", "", "12", ""],
        ["Amazon Web Services", "cloud", "Amazon", "Amazon", "AWS; Amazon Web Services, Inc.", "12", ""],
    ]
    table = ok("parties", "list", cwd=tmp_path).stdout
    assert "Parties" in table and "nan" not in table
    aliases = [line for line in table.splitlines() if "AWS" in line or "Amazon Web Services, Inc." in line]
    assert "│ AWS " in aliases[0] and "│ Amazon Web Services, Inc. │" in aliases[1]  # one alias per line
    ok("parties", "list", "-f", "json", "-o", "parties.json", cwd=tmp_path)
    (aws,) = [p for p in json.loads((tmp_path / "parties.json").read_text())["parties"] if p["parent"]]
    assert aws["aliases"] == ["AWS", "Amazon Web Services, Inc."]
    wrong = run("parties", "list", "-f", "xml", cwd=tmp_path)
    assert wrong.returncode == 2 and "'xml' is not one of table, csv, json" in wrong.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Evil\x1b[2J", "expected a name without control characters, tabs, line breaks or invisible bidirectional"),
        ("  ", "expected a name that is not blank"),
        ("x" * 201, "expected a name of at most 200 characters"),
    ],
)
def test_a_new_name_obeys_the_name_rule(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "aws.csv").write_text(AWS_FOCUS)
    ok("init", cwd=tmp_path)
    ok("ingest", "aws.csv", cwd=tmp_path)
    line = refused("parties", "merge", "AWS", name, "--create", cwd=tmp_path)
    assert line.startswith("error: cannot rename 'AWS' to ") and message in line and "\x1b" not in line
