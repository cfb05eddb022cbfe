"""Concurrent writers on SQLite and PostgreSQL: imports that create the same new parties, the same file
imported or ingested twice at once, and different billing files ingested at once all end as if run one
at a time (every agreement and charge once, draw-downs and burn equal to a one-at-a-time reference).

Writers are forked processes released together by a barrier (the ledger's write lock, not luck, must
order them); one round per backend also runs them as `ledger` commands to prove the CLI stays clean.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ledger.api import Ledger
from ledger.config import display_url
from ledger.db.engine import lock_for_writing, make_engine, writing
from ledger.db.migrate import head_revision
from ledger.errors import LedgerError

AS_OF = dt.date(2026, 1, 1)
ROUNDS = 5
IMPORTS = 4  # files of new agreements, all naming the same two new parties
INGESTS = 4  # billing files for different months


def agreement_file(folder: Path, i: int) -> Path:
    path = folder / f"agreements_{i}.csv"
    path.write_text(
        "agreement_id,kind,payer,payee,amount,currency,start_date,term_months\n"
        f"CC-{i}-A,cloud_commitment,Concurrent Lab,Concurrent Cloud,{1200 * (i + 1)}.00,USD,2025-0{i + 1}-15,12\n"
        f"CC-{i}-B,cloud_commitment,Concurrent Lab,Other Cloud {i % 2},600.00,USD,2025-01-01,12\n"
    )
    return path


def billing_file(folder: Path, i: int) -> Path:
    path = folder / f"charges_{i}.csv"
    month = i + 1
    path.write_text(
        "payer,payee,charge_period_start,charge_period_end,amount,currency\n"
        + "".join(
            f"Concurrent Lab,Concurrent Cloud,2025-{month:02d}-{day:02d},2025-{month:02d}-{day + 1:02d},"
            f"{10 * (i + 1)}.{day:02d},USD\n"
            for day in range(1, 21)
        )
        + f"Concurrent Lab,Other Cloud {i % 2},2025-{month:02d}-03,2025-{month:02d}-04,7.25,USD\n"
    )
    return path


def jobs(folder: Path) -> list[tuple[str, Path]]:
    """Every writer of a round: the first import and the first ingest appear twice (same content)."""
    imports = [("import", agreement_file(folder, i)) for i in range(IMPORTS)]
    ingests = [("ingest", billing_file(folder, i)) for i in range(INGESTS)]
    return [*imports, imports[0], *ingests, ingests[0]]


def run(url: str, action: str, path: Path) -> str:
    with Ledger(url) as book:
        if action == "import":
            return book.import_file(path).describe()
        summary = book.ingest(path, format="csv")
        return "already loaded" if summary.already_loaded_at else "ingested"


def _worker(url: str, action: str, path: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        results.put((action, path, "ok", run(url, action, Path(path))))
    except LedgerError as error:
        results.put((action, path, "error", str(error)))
    except BaseException:  # reported to the test, which fails on it
        results.put((action, path, "crash", traceback.format_exc()))


def run_at_once(url: str, work: list[tuple[str, Path]]) -> list[tuple[str, str, str, str]]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(work))
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(url, a, str(p), barrier, results)) for a, p in work]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def state(url: str) -> dict[str, Any]:
    """What a one-at-a-time run must equal, by name (ids depend on the order)."""
    engine = make_engine(url)
    queries = {
        "agreements": "SELECT a.key, p.name, q.name, a.amount_minor FROM agreement a "
        "JOIN party p ON p.id = a.payer_id JOIN party q ON q.id = a.payee_id",
        "lines": "SELECT a.key, s.month, s.amount_minor FROM schedule_line s JOIN agreement a ON a.id = s.agreement_id",
        "consumption": "SELECT p.name, q.name, c.month, c.charges, c.amount_minor, c.sub_minor FROM consumption c "
        "JOIN party p ON p.id = c.payer_id JOIN party q ON q.id = c.payee_id",
        "drawdowns": "SELECT * FROM v_commitment_burn",
        "files": "SELECT sha256, rows FROM ingest_file",
        "parties": "SELECT name FROM party",
    }
    with engine.connect() as connection:
        found = {k: sorted(tuple(map(str, r)) for r in connection.execute(text(q))) for k, q in queries.items()}
    engine.dispose()
    with Ledger(url) as book:
        found["burn"] = book.burn(AS_OF).sort_values("agreement_id").to_csv(index=False)
    return found


@pytest.fixture
def reference(fresh_url: Any, tmp_path: Path) -> dict[str, Any]:
    url = fresh_url("reference")
    for action, path in jobs(tmp_path):
        run(url, action, path)
    return state(url)


@pytest.mark.parametrize("round_", range(1, ROUNDS + 1))
def test_concurrent_writers_end_as_one_at_a_time(
    fresh_url: Any, reference: dict[str, Any], tmp_path: Path, round_: int
) -> None:
    url = fresh_url(f"round{round_}")
    work = jobs(tmp_path)
    outcomes = run_at_once(url, work)
    crashes = [o for o in outcomes if o[2] != "ok"]
    assert not crashes, crashes
    ingested = sorted(o[3] for o in outcomes if o[0] == "ingest")
    assert ingested == ["already loaded"] + ["ingested"] * INGESTS
    imports = [o[3] for o in outcomes if o[0] == "import" and o[1].endswith("agreements_0.csv")]
    assert sorted(s.split(";")[0] for s in imports) == [
        "agreements: 0 new, 0 updated, 2 unchanged",
        "agreements: 2 new, 0 updated, 0 unchanged",
    ]
    assert sum(s.endswith("already loaded: nothing changed") for s in imports) == 1
    assert state(url) == reference


def test_concurrent_cli_writers_print_no_traceback(fresh_url: Any, reference: dict[str, Any], tmp_path: Path) -> None:
    url = fresh_url("cli")
    ledger = str(Path(sys.executable).with_name("ledger"))
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    commands = [
        [ledger, action, *(["--format", "csv"] if action == "ingest" else []), str(p)] for action, p in jobs(tmp_path)
    ]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    processes = [subprocess.Popen(command, env=env, **pipes) for command in commands]  # type: ignore[call-overload]
    finished = [(p.wait(timeout=240), *p.communicate()) for p in processes]
    assert [code for code, _, _ in finished] == [0] * len(processes), finished
    assert not any("Traceback" in err for _, _, err in finished)
    assert sum("already ingested" in out + err for _, out, err in finished) == 1
    assert state(url) == reference


def test_a_writer_that_cannot_get_the_lock_in_time_says_so(db_url: str, tmp_path: Path) -> None:
    """Another writer holds the lock past LEDGER_LOCK_TIMEOUT: one clear line, exit 1, nothing written."""
    engine = make_engine(db_url)
    ledger = str(Path(sys.executable).with_name("ledger"))
    env = {**os.environ, "LEDGER_DATABASE_URL": db_url, "LEDGER_LOCK_TIMEOUT": "1"}
    with writing(engine.connect()) as holder, holder.begin():
        lock_for_writing(holder)
        done = subprocess.run(
            [ledger, "import", str(agreement_file(tmp_path, 0))], env=env, capture_output=True, text=True, timeout=120
        )
    engine.dispose()
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: the database {display_url(db_url)} is busy: another ledger command held its write lock for more "
        "than 1 s (try again, or set LEDGER_LOCK_TIMEOUT to wait longer)"
    ]
    with Ledger(db_url) as book:
        assert book.agreements().empty


def test_two_inits_at_once_create_the_schema_once(empty_db_url: str, tmp_path: Path) -> None:
    ledger = str(Path(sys.executable).with_name("ledger"))
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    both = [subprocess.Popen([ledger, "--db", empty_db_url, "init"], cwd=tmp_path, **pipes) for _ in range(2)]  # type: ignore[call-overload]
    done = [(p.wait(timeout=120), p.communicate()[1]) for p in both]
    assert [code for code, _ in done] == [0, 0], done
    said = sorted(err.split(":")[0] for _, err in done)
    head = head_revision()
    assert said == [f"schema already at the newest revision {head}", f"schema created at revision {head}"]
