"""The book of record's rules without a database: field differences, which actions leave a record in the
book, and how a --known-as-of moment is read."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.history import LIVE_ACTIONS, Action, changed_fields, is_live, parse_moment

values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))
records = st.dictionaries(st.sampled_from(["amount", "term_months", "notes", "status", "sources"]), values)


@given(records, records)
def test_changes_are_exactly_the_fields_that_differ(old: dict[str, object], new: dict[str, object]) -> None:
    changes = changed_fields(old, new)
    for name in old.keys() | new.keys():
        if old.get(name) == new.get(name):
            assert name not in changes
        else:
            assert changes[name] == [old.get(name), new.get(name)]
    replayed = {**old, **{k: v for k, (_, v) in changes.items()}}
    assert {k: v for k, v in replayed.items() if v is not None} == {k: v for k, v in new.items() if v is not None}


def test_a_created_record_changes_every_field() -> None:
    assert changed_fields(None, {"a": 1, "b": "x"}) == {"a": [None, 1], "b": [None, "x"]}
    assert changed_fields({"a": 1}, {"a": 1}) == {}


def test_which_actions_leave_a_record_in_the_book() -> None:
    assert {a for a in Action if is_live(a)} == LIVE_ACTIONS
    assert not any(is_live(a) for a in (Action.VOID, Action.DELETE, Action.UNINGEST))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=dt.UTC)),
        ("2026-11-30T17:00:00Z", dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)),
        ("2026-11-30T17:00:00", dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)),
        ("2026-11-30T18:00:00+01:00", dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)),
        (" 2026-11-30 17:00 ", dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)),
        ("#42", 42),
    ],
)
def test_known_as_of_moments(text: str, expected: object) -> None:
    assert parse_moment(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "#", "#x", "", "30/11/2026"])
def test_bad_moments_are_refused_with_the_expected_forms(text: str) -> None:
    with pytest.raises(ValueError, match="expected an ISO 8601 date or date-time"):
        parse_moment(text)
