"""The rules of parties as a file declares them against the ledger's: parents that exist and never loop, and
aliases that are not parties' names and belong to one party each. Pure: the importer gives the names,
parents and aliases it read and stored, and gets back the located problems (InputError's parts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.domain.agreements import Party, PartyKind
from ledger.domain.chains import parent_chain
from ledger.errors import InputProblem


@dataclass(frozen=True)
class KnownParty:
    """A party as the ledger holds it: enough to tell a declared party from one a file only named."""

    name: str
    kind: str
    parent: str | None
    notes: str | None

    @property
    def undeclared(self) -> bool:
        """Made by a billing file or a CSV that only named it (a company, no parent, no notes), not declared."""
        return self.kind == PartyKind.COMPANY.value and self.parent is None and self.notes is None


@dataclass(frozen=True)
class Declaration:
    """A party a file declares, with the lines of its `parent` and `aliases` fields."""

    party: Party
    parent_line: int
    aliases_line: int


def parent_problems(
    file: str, declared: Mapping[str, Declaration], known: Mapping[str, KnownParty]
) -> list[InputProblem]:
    """Parents must be parties declared in the file or known to the ledger, and no party may end up its own
    ancestor (with the file's parents replacing the ledger's)."""
    parent_of = {name: party.parent for name, party in known.items()}
    parent_of.update({name: d.party.parent for name, d in declared.items()})
    problems = []
    for name, declaration in declared.items():
        parent = declaration.party.parent
        if parent is not None and parent not in declared and parent not in known:
            expected = "a party declared in this file or already in the ledger"
            problems.append(InputProblem(file, declaration.parent_line, "parent", parent, expected))
            continue
        _, loop = parent_chain(parent_of, name)
        if loop is not None:
            expected = f"a parent that does not lead back to {name}"
            problems.append(InputProblem(file, declaration.parent_line, "parent", parent, expected))
    return problems


def resolve_aliases(
    file: str, declared: Mapping[str, Declaration], known: Mapping[str, KnownParty], stored: Mapping[str, str]
) -> tuple[dict[str, str], list[InputProblem]]:
    """alias -> party name as they will be after the file (its parties' aliases replace their old ones), and
    the problems: an alias that is a party's name, or another party's alias. `stored`: the ledger's aliases."""
    aliases = {alias: name for alias, name in stored.items() if name not in declared}
    problems = []
    for name, declaration in declared.items():
        line = declaration.aliases_line
        for alias in declaration.party.aliases:
            taken = aliases.get(alias)
            if alias in known and alias not in declared and known[alias].undeclared:
                expected = (
                    f"an alias that is not itself a party's name ({alias} is a party, perhaps made by a billing"
                    f" file: fold it in with `ledger parties merge {alias!r} {name!r} --create`, then import again)"
                )
                problems.append(InputProblem(file, line, "aliases", alias, expected))
            elif alias in known or alias in declared:
                expected = f"an alias that is not itself a party's name ({alias} is a party)"
                problems.append(InputProblem(file, line, "aliases", alias, expected))
            elif taken is not None and taken != name:
                expected = f"an alias no other party has (it is {taken}'s)"
                problems.append(InputProblem(file, line, "aliases", alias, expected))
            else:
                aliases[alias] = name
    return aliases, problems
