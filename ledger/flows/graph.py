"""The flow graph of cyclic financing: who pays whom, rolled up to parent companies, and its loops.

Nodes are parties rolled up to their ultimate parent (Amazon Web Services is
Amazon). Each counted agreement adds its consolidated amount (relations
applied, nothing counted twice) to the edge from its payer to its payee: an
equity investment or funding round flows from investor to investee, a cloud
commitment or chip agreement from customer to supplier. Agreements that are
only proposed (talks, letters of intent) or cancelled are not flows.

How amount qualifiers are treated (never summed as zero, never as a ceiling):

- exact, approximately, at_least: the reported amount is a firm flow
  (at_least is a lower bound, so a bottleneck through it is one too);
- up_to: a ceiling, kept apart from firm flows (`ceiling_minor`);
- undisclosed: counted as an agreement on the edge (`undisclosed`), with no
  amount; a loop through an edge with nothing firm has an undisclosed
  bottleneck, shown as such.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from ledger.domain.agreements import Kind, Qualifier
from ledger.frames import rows

INVESTMENT_KINDS = frozenset({Kind.EQUITY_INVESTMENT.value, Kind.FUNDING_ROUND.value})
COMMERCIAL_KINDS = frozenset({Kind.CLOUD_COMMITMENT.value, Kind.CHIP_AGREEMENT.value})


@dataclass
class Edge:
    """Money from `payer` to `payee` (parent companies), by category, with its agreements."""

    payer: str
    payee: str
    currency: str
    firm_minor: int = 0
    ceiling_minor: int = 0
    undisclosed: int = 0
    investment_minor: int = 0  # firm equity and round money
    commitment_minor: int = 0  # firm cloud and chip commitments
    agreements: list[str] = field(default_factory=list)
    yearly_minor: dict[int, int] = field(default_factory=dict)  # firm flows by calendar year

    @property
    def kinds(self) -> str:
        parts = [
            name
            for name, amount in (("investment", self.investment_minor), ("commitment", self.commitment_minor))
            if amount
        ]
        return " + ".join(parts) or "undisclosed"


def build_edges(agreements: pd.DataFrame, yearly: pd.DataFrame) -> dict[tuple[str, str, str], Edge]:
    """Edges from agreements and their consolidated yearly amounts.

    `agreements`: agreement_id, kind, status, amount_qualifier, currency,
    payer_group, payee_group. `yearly`: agreement_id, year, amount_minor
    (consolidated). The caller passes the agreements whose status counts
    (`counted_statuses`). Agreements whose payer and payee share a group are
    internal and left out.
    """
    totals: dict[str, int] = defaultdict(int)
    by_year: dict[str, dict[int, int]] = defaultdict(dict)
    for key, year, amount in rows(yearly, "agreement_id", "year", "amount_minor"):
        totals[key] += amount
        by_year[key][year] = by_year[key].get(year, 0) + amount
    edges: dict[tuple[str, str, str], Edge] = {}
    columns = ("agreement_id", "kind", "amount_qualifier", "currency", "payer_group", "payee_group")
    for key, kind, qualifier, currency, payer, payee in rows(agreements, *columns):
        if payer == payee:
            continue
        edge = edges.setdefault((payer, payee, currency), Edge(payer, payee, currency))
        edge.agreements.append(key)
        if qualifier == Qualifier.UNDISCLOSED.value:
            edge.undisclosed += 1
        elif qualifier == Qualifier.UP_TO.value:
            edge.ceiling_minor += totals.get(key, 0)
        else:
            amount = totals.get(key, 0)
            edge.firm_minor += amount
            if kind in INVESTMENT_KINDS:
                edge.investment_minor += amount
            elif kind in COMMERCIAL_KINDS:
                edge.commitment_minor += amount
            for year, flow in by_year.get(key, {}).items():
                edge.yearly_minor[year] = edge.yearly_minor.get(year, 0) + flow
    return edges


@dataclass(frozen=True)
class Cycle:
    """A closed loop of money between parties: parties[0] -> parties[1] -> ... -> parties[0]."""

    parties: tuple[str, ...]
    currency: str
    edges: tuple[Edge, ...]

    @property
    def length(self) -> int:
        return len(self.parties)

    @property
    def bottleneck_minor(self) -> int | None:
        """The most firm money that can go all the way round; None when an edge has only undisclosed amounts."""
        if any(e.firm_minor == 0 and e.ceiling_minor == 0 and e.undisclosed for e in self.edges):
            return None
        return min(e.firm_minor for e in self.edges)

    @property
    def bottleneck_up_to_minor(self) -> int | None:
        """The same if every up_to ceiling were reached (None when undisclosed)."""
        if self.bottleneck_minor is None:
            return None
        return min(e.firm_minor + e.ceiling_minor for e in self.edges)

    @property
    def basis(self) -> str:
        """How sure the bottleneck is: firm, up_to (only ceilings get money round), or undisclosed."""
        if self.bottleneck_minor is None:
            return "undisclosed"
        if self.bottleneck_minor == 0 and self.bottleneck_up_to_minor:
            return "up_to"
        return "firm"

    def yearly_bottleneck_minor(self) -> dict[int, int]:
        """Firm bottleneck per calendar year: money scheduled that year on every edge."""
        years = set.intersection(*(set(e.yearly_minor) for e in self.edges)) if self.edges else set()
        return {year: min(e.yearly_minor[year] for e in self.edges) for year in sorted(years)}

    @property
    def agreements(self) -> list[str]:
        return [key for edge in self.edges for key in edge.agreements]

    @property
    def label(self) -> str:
        return " → ".join((*self.parties, self.parties[0]))


def find_cycles(edges: dict[tuple[str, str, str], Edge], max_length: int = 4) -> list[Cycle]:
    """Every simple cycle of at most `max_length` parties, per currency, largest bottleneck first."""
    cycles: list[Cycle] = []
    for currency in sorted({c for _, _, c in edges}):
        pairs = [(p, q) for p, q, c in edges if c == currency]
        for parties in bounded_cycles(pairs, max_length):
            path = zip(parties, (*parties[1:], parties[0]), strict=True)
            cycles.append(Cycle(parties, currency, tuple(edges[(p, q, currency)] for p, q in path)))
    return sorted(cycles, key=_order)


def bounded_cycles(pairs: Iterable[tuple[str, str]], max_length: int) -> Iterator[tuple[str, ...]]:
    """Simple cycles of at most `max_length` nodes of a directed graph, each once, led by its smallest node.

    A cycle is found from its smallest node u: paths of at most max_length - 1
    steps through nodes larger than u, closed where the last node has an edge
    back to u (a set intersection with u's predecessors). The work grows with
    the paths of bounded length, not with every path as in an unbounded search;
    networkx's bounded search was a hundred times slower on 20,000 edges.
    """
    names = sorted({n for pair in pairs for n in pair})
    index = {name: i for i, name in enumerate(names)}
    successors: list[set[int]] = [set() for _ in names]
    predecessors: list[set[int]] = [set() for _ in names]
    for payer, payee in pairs:
        successors[index[payer]].add(index[payee])
        predecessors[index[payee]].add(index[payer])
    for u in range(len(names)):
        back = {w for w in predecessors[u] if w > u}
        if not back:
            continue
        stack: list[tuple[int, ...]] = [(u,)]
        while stack:
            path = stack.pop()
            last = path[-1]
            for closing in sorted(successors[last] & back):
                if closing not in path:
                    yield tuple(names[i] for i in (*path, closing))
            if len(path) + 1 < max_length:
                stack.extend((*path, nxt) for nxt in successors[last] if nxt > u and nxt not in path)


def _order(cycle: Cycle) -> tuple[int, int, int, tuple[str, ...]]:
    """Firm loops first, largest bottleneck first; then loops only ceilings close; then undisclosed ones."""
    rank = {"firm": 0, "up_to": 1, "undisclosed": 2}[cycle.basis]
    return (rank, -(cycle.bottleneck_up_to_minor or 0), cycle.length, cycle.parties)


@dataclass(frozen=True)
class PairMeasure:
    """Money round-tripping between two parties (the 2-cycle), and what share of an investment comes back."""

    investor: str
    investee: str
    currency: str
    invested_minor: int
    returned_minor: int  # commitments of the investee back to the investor
    round_trip_minor: int  # min(invested, returned)

    @property
    def spend_multiple(self) -> Fraction | None:
        """Committed spend back per unit invested (138B of AWS per 50B invested: 2.76)."""
        return None if not self.invested_minor else Fraction(self.returned_minor, self.invested_minor)

    @property
    def returned_share(self) -> Fraction | None:
        """round_trip / invested: the share of the investment that comes back as committed spend."""
        return None if not self.invested_minor else Fraction(self.round_trip_minor, self.invested_minor)


def pair_measures(edges: dict[tuple[str, str, str], Edge]) -> list[PairMeasure]:
    """For every investor -> investee edge whose investee commits money back to the investor."""
    out = []
    for (payer, payee, currency), edge in sorted(edges.items()):
        back = edges.get((payee, payer, currency))
        if edge.investment_minor and back is not None and back.commitment_minor:
            round_trip = min(edge.investment_minor, back.commitment_minor)
            out.append(PairMeasure(payer, payee, currency, edge.investment_minor, back.commitment_minor, round_trip))
    return out


@dataclass(frozen=True)
class SupplierMeasure:
    """How much of a supplier's committed backlog its own investments fund, and how concentrated it is."""

    supplier: str
    currency: str
    backlog_minor: int  # firm commitments from every customer
    funded_minor: int  # sum over customers of min(what the supplier invested in them, what they committed)
    top_customer: str
    top_customer_minor: int
    top3_minor: int
    customers: int

    @property
    def funded_share(self) -> Fraction:
        return Fraction(self.funded_minor, self.backlog_minor)

    @property
    def top_customer_share(self) -> Fraction:
        return Fraction(self.top_customer_minor, self.backlog_minor)

    @property
    def top3_share(self) -> Fraction:
        return Fraction(self.top3_minor, self.backlog_minor)


def supplier_measures(edges: dict[tuple[str, str, str], Edge]) -> list[SupplierMeasure]:
    """For every party with a committed backlog."""
    backlog: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for (payer, payee, currency), edge in edges.items():
        if edge.commitment_minor:
            backlog[(payee, currency)].append((payer, edge.commitment_minor))
    out = []
    for (supplier, currency), customers in sorted(backlog.items()):
        customers.sort(key=lambda item: (-item[1], item[0]))
        total = sum(amount for _, amount in customers)
        funded = sum(
            min(edges[(supplier, customer, currency)].investment_minor, amount)
            for customer, amount in customers
            if (supplier, customer, currency) in edges
        )
        top, top_amount = customers[0]
        out.append(
            SupplierMeasure(
                supplier, currency, total, funded, top, top_amount, sum(a for _, a in customers[:3]), len(customers)
            )
        )
    return out


def cycles_frame(cycles: Sequence[Cycle]) -> pd.DataFrame:
    """One row per cycle: parties, length, bottlenecks, basis, agreements."""
    return pd.DataFrame(
        {
            "cycle": [c.label for c in cycles],
            "length": [c.length for c in cycles],
            "bottleneck_minor": pd.array([c.bottleneck_minor for c in cycles], dtype="Int64"),
            "bottleneck_up_to_minor": pd.array([c.bottleneck_up_to_minor for c in cycles], dtype="Int64"),
            "basis": [c.basis for c in cycles],
            "currency": [c.currency for c in cycles],
            "agreements": [", ".join(c.agreements) for c in cycles],
        }
    )
