"""The book of record end to end: history, show, --known-as-of, void, restore, delete and uningest as a user
runs them, with their refusals as one line and no traceback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.e2e.runner import Done, ledger
from tests.inputs import AWS_FOCUS

DEAL = """agreement_id,kind,payer,payee,amount,currency,start_date,term_months,status
ACME-AWS,cloud_commitment,Acme,Amazon Web Services,1200000.00,USD,2026-01-15,{term},binding
"""


def ok(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Done:
    done = ledger(*args, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def refused(*args: str, cwd: Path) -> str:
    done = ledger(*args, cwd=cwd)
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()[-1]


def setup(tmp_path: Path) -> None:
    (tmp_path / "deal.csv").write_text(DEAL.format(term=12))
    (tmp_path / "restated.csv").write_text(DEAL.format(term=24))
    ok("init", cwd=tmp_path)
    ok("import", "deal.csv", "--author", "alice", "--reason", "first report", cwd=tmp_path)
    ok("import", "restated.csv", "--reason", "term restated", cwd=tmp_path, env={"LEDGER_AUTHOR": "bob"})


def test_history_shows_who_changed_what_and_why(tmp_path: Path) -> None:
    setup(tmp_path)
    rows = list(csv.DictReader(io.StringIO(ok("history", "ACME-AWS", "--format", "csv", cwd=tmp_path).stdout)))
    assert [r["action"] for r in rows] == ["update", "create"]
    assert [r["author"] for r in rows] == ["bob", "alice"]
    assert [r["reason"] for r in rows] == ["term restated", "first report"]
    assert rows[0]["changes"] == "term_months: 12 -> 24"
    assert rows[0]["source"] == "restated.csv:2"
    entries = json.loads(ok("history", "--format", "json", cwd=tmp_path).stdout)["history"]
    assert {e["entity"] for e in entries} == {"agreement", "party"}
    assert entries[0]["changes"] == {"term_months": [12, 24]}
    table = ok("history", "ACME-AWS", cwd=tmp_path).stdout
    assert "term_months: 12 -> 24" in table and "bob" in table
    assert "no agreement, valuation, party or billing file named 'NOPE'" in refused("history", "NOPE", cwd=tmp_path)
    assert "--since" in refused("history", "--since", "yesterday", cwd=tmp_path)


def test_known_as_of_gives_the_old_schedule(tmp_path: Path) -> None:
    setup(tmp_path)
    entries = json.loads(ok("history", "ACME-AWS", "--format", "json", cwd=tmp_path).stdout)["history"]
    created = entries[-1]["id"]
    then = ok("schedule", "--by", "year", "--format", "csv", "--known-as-of", f"#{created}", cwd=tmp_path).stdout
    now = ok("schedule", "--by", "year", "--format", "csv", cwd=tmp_path).stdout
    assert then.splitlines()[1:] == ["ACME-AWS,2026,2026-01-01,2026-12-31,1200000.00,USD"]  # 12 instalments
    assert now.splitlines()[1:] == [
        "ACME-AWS,2026,2026-01-01,2026-12-31,600000.00,USD",
        "ACME-AWS,2027,2027-01-01,2027-12-31,600000.00,USD",
    ]
    stamp = entries[0]["recorded_at"]
    assert ok("schedule", "--format", "csv", "--known-as-of", stamp, cwd=tmp_path).stdout == now
    assert "expected an ISO 8601 date" in refused("schedule", "--known-as-of", "last week", cwd=tmp_path)
    assert "no history entry #999" in refused("schedule", "--known-as-of", "#999", cwd=tmp_path)
    # #1 is the agreement's entry; its change (the first import) also wrote the two parties: all of it counts
    assert ok("agreements", "-f", "csv", "--known-as-of", "#1", cwd=tmp_path).stdout.count("ACME-AWS") == 1
    for command in (["burn", "--as-of", "2026-06-30"], ["reconcile"], ["commitments"], ["cycles", "-f", "json"]):
        ok(*command, "--known-as-of", f"#{created}", cwd=tmp_path)


def test_show_void_restore_delete(tmp_path: Path) -> None:
    setup(tmp_path)
    shown = json.loads(ok("show", "ACME-AWS", "--format", "json", "--as-of", "2026-06-30", cwd=tmp_path).stdout)
    assert shown["state"] == "in the book"
    assert shown["record"]["term_months"] == 24
    assert shown["position"]["committed"] == "1200000.00"
    assert [h["action"] for h in shown["history"]] == ["update", "create"]
    table = ok("show", "ACME-AWS", cwd=tmp_path).stdout
    assert "Yearly schedule" in table and "History" in table

    assert "--reason" in refused("void", "ACME-AWS", cwd=tmp_path)
    ok("void", "ACME-AWS", "--reason", "entered twice", cwd=tmp_path)
    assert "ACME-AWS" not in ok("schedule", "--format", "csv", cwd=tmp_path).stdout
    shown = json.loads(ok("show", "ACME-AWS", "--format", "json", cwd=tmp_path).stdout)
    assert shown["state"] == "void" and shown["record"]["term_months"] == 24
    assert "not in the book" in refused("void", "ACME-AWS", "--reason", "x", cwd=tmp_path)
    log = ok("show", "ACME-AWS", cwd=tmp_path).stdout  # the void's entry has no file: shown without one
    assert "void" in log and "nan" not in log and "by alice: first report" in log
    assert "nan" not in ok("history", cwd=tmp_path).stdout
    assert "VOID (binding)" in ok("agreements", "--include-void", cwd=tmp_path).stdout
    assert "ACME-AWS" not in ok("agreements", cwd=tmp_path).stdout
    assert "only with --format table" in refused("agreements", "--include-void", "-f", "csv", cwd=tmp_path)
    old = ok("agreements", "-f", "yaml", "--known-as-of", "2999-01-01", cwd=tmp_path).stdout
    assert "ACME-AWS" not in old  # void by then (a moment in the future is the book as it is now)
    ok("restore", "ACME-AWS", cwd=tmp_path)
    restored = json.loads(ok("history", "ACME-AWS", "--format", "json", cwd=tmp_path).stdout)["history"][0]
    assert (restored["action"], restored["source"], restored["sha256"]) == ("restore", None, None)
    assert "ACME-AWS" in ok("schedule", "--format", "csv", cwd=tmp_path).stdout

    done = ledger("delete", "ACME-AWS", cwd=tmp_path)  # no terminal to confirm on: refused
    assert done.returncode == 1 and "nothing deleted" in done.stderr
    ok("delete", "ACME-AWS", "--yes", "--reason", "test data", cwd=tmp_path)
    assert json.loads(ok("show", "ACME-AWS", "--format", "json", cwd=tmp_path).stdout)["state"] == "deleted"
    assert "no agreement or valuation NOPE" in refused("void", "NOPE", "--reason", "x", cwd=tmp_path)


def test_uningest(tmp_path: Path) -> None:
    (tmp_path / "aws.csv").write_text(AWS_FOCUS)
    ok("init", cwd=tmp_path)
    ok("seed", "--founding-example", cwd=tmp_path)
    before = ok("burn", "--as-of", "2026-06-30", "--format", "csv", cwd=tmp_path).stdout
    ok("ingest", "aws.csv", cwd=tmp_path)
    drawn = ok("burn", "--as-of", "2026-06-30", "--format", "csv", cwd=tmp_path).stdout
    assert drawn != before
    ok("uningest", "aws.csv", "--reason", "wrong account", cwd=tmp_path)
    assert ok("burn", "--as-of", "2026-06-30", "--format", "csv", cwd=tmp_path).stdout == before
    assert "already withdrawn" in refused("uningest", "aws.csv", "--reason", "again", cwd=tmp_path)
    assert "no billing file" in refused("uningest", "9" * 64, "--reason", "x", cwd=tmp_path)
    ok("ingest", "aws.csv", cwd=tmp_path)
    assert ok("burn", "--as-of", "2026-06-30", "--format", "csv", cwd=tmp_path).stdout == drawn
