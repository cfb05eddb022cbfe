"""The one parent walk: chains end at a top, loops are found and never followed forever."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.chains import parent_chain, top_of


def test_a_chain_ends_at_its_top() -> None:
    parents = {"AWS": "Amazon", "Amazon": None, "Lab": "AWS"}
    assert parent_chain(parents, "Lab") == (["AWS", "Amazon"], None)
    assert top_of(parents, "Lab") == "Amazon" and top_of(parents, "Amazon") == "Amazon"
    assert top_of(parents, "Unknown") == "Unknown"


def test_a_loop_is_reported_where_it_closes() -> None:
    assert parent_chain({"a": "b", "b": "a"}, "a") == (["b"], "a")
    assert parent_chain({"x": "a", "a": "b", "b": "a"}, "x") == (["a", "b"], "a")
    assert parent_chain({"a": "a"}, "a") == ([], "a")


@given(st.dictionaries(st.integers(0, 20), st.integers(0, 20) | st.none()), st.integers(0, 20))
def test_every_chain_is_finite_distinct_and_follows_the_map(parents: dict[int, int | None], start: int) -> None:
    chain, loop = parent_chain(parents, start)
    assert len(set(chain)) == len(chain) and start not in chain
    for child, parent in zip([start, *chain], chain, strict=False):
        assert parents[child] == parent
    last = chain[-1] if chain else start
    assert loop == parents.get(last)
    assert loop is None or loop in {start, *chain}
