"""Party rules without a database: parents that exist and never loop, aliases that are nobody's name and
one party's each (ledger.domain.parties)."""

from __future__ import annotations

from ledger.domain.agreements import Party, PartyKind
from ledger.domain.parties import Declaration, KnownParty, parent_problems, resolve_aliases

KNOWN = {
    "Amazon": KnownParty("Amazon", "cloud", None, None),
    "Amazon Web Services": KnownParty("Amazon Web Services", "cloud", "Amazon", None),
    "AWS": KnownParty("AWS", PartyKind.COMPANY.value, None, None),  # made by a billing file
    "Microsoft": KnownParty("Microsoft", "cloud", None, "declared"),
}


def declare(name: str, parent: str | None = None, aliases: tuple[str, ...] = ()) -> dict[str, Declaration]:
    return {name: Declaration(Party(name, PartyKind.CLOUD, parent, aliases=aliases), 7, 9)}


def test_a_parent_must_be_known_or_declared() -> None:
    assert parent_problems("f.yaml", declare("Azure", "Microsoft"), KNOWN) == []
    (problem,) = parent_problems("f.yaml", declare("Azure", "Microsft"), KNOWN)
    assert (problem.line, problem.column, problem.value) == (7, "parent", "Microsft")
    assert "already in the ledger" in problem.expected


def test_no_party_becomes_its_own_ancestor() -> None:
    (problem,) = parent_problems("f.yaml", declare("Amazon", "Amazon Web Services"), KNOWN)
    assert problem.expected == "a parent that does not lead back to Amazon"


def test_aliases() -> None:
    aliases, problems = resolve_aliases("f.yaml", declare("Oracle", aliases=("OCI",)), KNOWN, {"MSFT": "Microsoft"})
    assert problems == [] and aliases == {"MSFT": "Microsoft", "OCI": "Oracle"}
    _, (named,) = resolve_aliases("f.yaml", declare("Oracle", aliases=("Microsoft",)), KNOWN, {})
    assert named.expected == "an alias that is not itself a party's name (Microsoft is a party)"
    _, (billed,) = resolve_aliases("f.yaml", declare("Amazon Web Services", aliases=("AWS",)), KNOWN, {})
    assert "ledger parties merge 'AWS' 'Amazon Web Services' --create" in billed.expected
    _, (taken,) = resolve_aliases("f.yaml", declare("Oracle", aliases=("MSFT",)), KNOWN, {"MSFT": "Microsoft"})
    assert (taken.line, taken.expected) == (9, "an alias no other party has (it is Microsoft's)")
    redeclared, problems = resolve_aliases(
        "f.yaml", declare("Microsoft", aliases=("Azure",)), KNOWN, {"MSFT": "Microsoft"}
    )
    assert problems == [] and redeclared == {"Azure": "Microsoft"}  # a declared party's aliases replace its old ones


def test_a_party_only_named_is_undeclared() -> None:
    assert KNOWN["AWS"].undeclared and not KNOWN["Microsoft"].undeclared and not KNOWN["Amazon"].undeclared
