"""Time travel against the record, on generated histories: whatever sequence of imports, restatements,
voids, restores and deletes a ledger goes through, asking it later what it said at each step gives back
exactly what it said then (the schedule, the consolidated schedule and the import files of its agreements).
SQLite, a file per example."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.api import Ledger
from ledger.errors import LedgerError
from tests.budget import examples

KEYS = ["D-1", "D-2", "D-3"]
HEADER = "agreement_id,kind,payer,payee,amount,currency,start_date,term_months,status,relation_to,relation_kind\n"

deals = st.fixed_dictionaries(
    {
        "key": st.sampled_from(KEYS),
        "amount": st.integers(1, 10**12).map(lambda cents: f"{cents // 100}.{cents % 100:02d}"),
        "start": st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)),
        "term": st.integers(1, 60),
        "status": st.sampled_from(["announced", "binding", "proposed", "cancelled", "completed"]),
        "payee": st.sampled_from(["Amazon Web Services", "Microsoft Azure"]),
        "supersedes": st.sampled_from([None, *KEYS]),
    }
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("import"), deals),
        st.tuples(st.sampled_from(["void", "restore", "delete"]), st.sampled_from(KEYS)),
    ),
    min_size=1,
    max_size=6,
)


def _row(deal: dict[str, object]) -> str:
    related = deal["supersedes"] if deal["supersedes"] not in (None, deal["key"]) else ""
    kind = "supersedes" if related else ""
    return (
        f"{deal['key']},cloud_commitment,Acme,{deal['payee']},{deal['amount']},USD,{deal['start']},{deal['term']},"
        f"{deal['status']},{related},{kind}\n"
    )


def _said(book: Ledger) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, object]]]:
    return book.schedule(by="month"), book.consolidated(by="quarter", include_proposed=True), book.agreement_records()


@settings(max_examples=examples(12, 200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_every_past_answer_comes_back_exactly(operations: list[tuple[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as folder, Ledger(f"sqlite:///{folder}/ledger.db", author="prop") as book:
        book.init()
        said: list[tuple[dt.datetime, tuple[pd.DataFrame, pd.DataFrame, list[dict[str, object]]]]] = []
        for number, (action, argument) in enumerate(operations):
            try:
                if action == "import":
                    path = Path(folder) / f"step{number}.csv"
                    path.write_text(HEADER + _row(argument))  # type: ignore[arg-type]
                    book.import_file(path)
                elif action == "void":
                    book.void(str(argument), reason="generated")
                elif action == "restore":
                    book.restore(str(argument))
                else:
                    book.delete(str(argument))
            except LedgerError:
                pass  # refused (an unknown id, a relation to a missing agreement...): nothing changed
            time.sleep(0.002)
            said.append((dt.datetime.now(dt.UTC), _said(book)))
            time.sleep(0.002)
        for moment, (schedule, consolidated, records) in said:
            again = (
                book.schedule(by="month", known_as_of=moment),
                book.consolidated(by="quarter", include_proposed=True, known_as_of=moment),
                book.agreement_records(known_as_of=moment),
            )
            pd.testing.assert_frame_equal(again[0], schedule)
            pd.testing.assert_frame_equal(again[1], consolidated)
            assert again[2] == records
