"""Reconciliation checks: what does not add up, and what may be counted twice.

Pure functions over agreement, relation, source and valuation tables; each
returns Findings. None of them is quadratic in the number of agreements:
overlaps are found by a sort-and-sweep per (payer group, payee group, kind),
so the work grows with the agreements plus the overlapping pairs.

Kinds and severities (the README documents them and the JSON schema):

- relation_cycle (error): agreements whose relations lead back to themselves.
- missing_relation_target (error): a relation to an agreement that is not there.
- overlap_unexplained (warning): same payer and payee groups and kind,
  overlapping terms, no chain of relations between them.
- probable_duplicate (warning): such an overlap whose amounts are within
  DUPLICATE_TOLERANCE of each other, or that cites the same source; with a
  suggested relation.
- parts_exceed_whole (error) / parts_short_of_whole (warning when the parts
  share the whole's payer, i.e. a staged deal; info for a round whose other
  investors are not itemized): tranche_of parts against their whole.
- valuation_mismatch (warning): pre-money + the round's amount differs from
  post-money by more than VALUATION_TOLERANCE of post-money.
- valuation_conflict (warning): two valuations of the same party, kind and
  day (competing reports) differ by more than VALUATION_TOLERANCE of the
  larger.
- rate_vs_total (warning): the first clause of the notes (where reports
  qualify the amount) calls it a rate (per year, per month), while the
  ledger schedules it as a total over the term.
- unlinked_reference (info): notes name another agreement that no relation
  connects to this one.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd

from ledger.domain.agreements import RelationKind
from ledger.domain.money import format_minor
from ledger.frames import rows

DUPLICATE_TOLERANCE = Fraction(5, 100)  # amounts within 5% of the larger one
VALUATION_TOLERANCE = Fraction(1, 100)  # 1% of post-money: reported valuations are rounded
RATE_WORDS = re.compile(r"\b(per\s+(year|annum|month)|a\s+year|a\s+month|/\s*(yr|year|month|mo)\b|annual(ly)?\b)", re.I)


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One reconciliation finding. Amounts are minor units of `currency`."""

    kind: str
    severity: Severity
    agreements: tuple[str, ...]
    message: str
    amount_minor: int | None = None
    difference_minor: int | None = None
    currency: str | None = None
    suggested_relation: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "severity": self.severity.value,
            "agreements": list(self.agreements),
            "message": self.message,
        }
        if self.currency is not None and self.amount_minor is not None:
            out["amount"] = format_minor(self.amount_minor, self.currency)
        if self.currency is not None and self.difference_minor is not None:
            out["difference"] = format_minor(self.difference_minor, self.currency)
        if self.currency is not None and ("amount" in out or "difference" in out):
            out["currency"] = self.currency
        if self.suggested_relation is not None:
            out["suggested_relation"] = self.suggested_relation
        return out


def _money(minor: int | None, currency: str) -> str:
    return "undisclosed" if minor is None else f"{format_minor(minor, currency)} {currency}"


def relation_findings(keys: Iterable[str], relations: Sequence[tuple[str, str, str]]) -> list[Finding]:
    """Relations that loop, or point at agreements that are not there."""
    known = set(keys)
    findings = [
        Finding(
            "missing_relation_target",
            Severity.ERROR,
            (key, related),
            f"{key} is {kind} {related}, which is not in the ledger",
        )
        for key, kind, related in relations
        if related not in known
    ]
    import networkx as nx  # here, not at the top: imports and schedules never pay for it

    graph = nx.DiGraph((key, related) for key, _, related in relations if related in known)
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(k, k) for k in component):
            cycle = sorted(component)
            findings.append(
                Finding(
                    "relation_cycle",
                    Severity.ERROR,
                    tuple(cycle),
                    f"relations loop through {', '.join(cycle)}: relations must point to earlier agreements",
                )
            )
    return findings


def overlap_findings(
    agreements: pd.DataFrame, relations: Sequence[tuple[str, str, str]], sources: pd.DataFrame
) -> list[Finding]:
    """Overlapping agreements of the same payer group, payee group and kind with no relation between them.

    `agreements`: agreement_id, kind, payer_group, payee_group, start_date,
    end_date (inclusive), amount_minor, currency. `sources`: agreement_id, url.
    """
    import networkx as nx

    connected: nx.Graph[str] = nx.Graph()
    connected.add_edges_from((key, related) for key, _, related in relations)
    component = {key: i for i, keys in enumerate(nx.connected_components(connected)) for key in keys}
    urls: dict[str, set[str]] = defaultdict(set)
    for key, url in rows(sources, "agreement_id", "url"):
        urls[key].add(url)
    ordered = agreements.sort_values(["payer_group", "payee_group", "kind", "start_date", "agreement_id"])
    columns = (
        "payer_group",
        "payee_group",
        "kind",
        "agreement_id",
        "start_date",
        "end_date",
        "amount_minor",
        "currency",
    )
    findings: list[Finding] = []
    active: list[tuple[object, str, int | None, str, object]] = []  # (end, key, amount, currency, start) so far
    group: tuple[object, ...] = ()
    for payer, payee, kind, key, start, end, amount, currency in zip(
        *(ordered[c].tolist() for c in columns), strict=True
    ):
        if (payer, payee, kind) != group:
            group, active = (payer, payee, kind), []
        active = [item for item in active if item[0] >= start]  # terms include their last day
        amount = None if amount is None or pd.isna(amount) else int(amount)
        for other_end, other, other_amount, other_currency, other_start in active:
            if other not in component or component.get(other) != component.get(key):
                terms = _term_difference((other_start, other_end), (start, end))
                findings.append(_overlap(other, key, other_amount, amount, currency, other_currency, urls, terms))
        active.append((end, key, amount, currency, start))
    return findings


def _term_difference(first: tuple[object, object], second: tuple[object, object]) -> str:
    """How two terms (start, last day) differ, in words; empty when they are the same."""
    parts = []
    if first[0] != second[0]:
        parts.append(f"starts {first[0]} and {second[0]}")
    if first[1] != second[1]:
        parts.append(f"last days {first[1]} and {second[1]}")
    return "; terms differ: " + ", ".join(parts) if parts else ""


def _overlap(
    first: str,
    second: str,
    a: int | None,
    b: int | None,
    currency: str,
    other_currency: str,
    urls: dict[str, set[str]],
    terms: str = "",
) -> Finding:
    same_source = sorted(urls.get(first, set()) & urls.get(second, set()))
    close = (
        a is not None
        and b is not None
        and currency == other_currency
        and max(a, b) > 0
        and Fraction(abs(a - b), max(a, b)) <= DUPLICATE_TOLERANCE
    )
    pair = (first, second)
    amounts = f"{_money(a, other_currency)} and {_money(b, currency)}"
    if close or same_source:
        why = "amounts within 5%" if close else f"the same source ({same_source[0]})"
        relation = RelationKind.SUPERSEDES.value if close else "tranche_of, expands or additional"
        return Finding(
            "probable_duplicate",
            Severity.WARNING,
            pair,
            f"{first} and {second} look like one deal recorded twice ({why}: {amounts}{terms}); "
            f"if so, relate {second} to {first} as {relation}",
            amount_minor=b,
            difference_minor=None if a is None or b is None or not close else b - a,
            currency=currency,
            suggested_relation=relation,
        )
    return Finding(
        "overlap_unexplained",
        Severity.WARNING,
        pair,
        f"{first} and {second} are between the same parties, of the same kind, with overlapping terms "
        f"({amounts}) and no relation between them: additional, expands, supersedes or a duplicate?",
        amount_minor=b,
        currency=currency,
        suggested_relation=RelationKind.ADDITIONAL.value,
    )


@dataclass(frozen=True)
class Deal:
    """What the parts and valuation checks need of an agreement."""

    amount_minor: int | None
    currency: str
    payer_group: str


def parts_findings(deals: Mapping[str, Deal], parts: Mapping[str, Sequence[str]]) -> list[Finding]:
    """tranche_of parts against their whole (undisclosed amounts and other currencies are left out)."""
    findings = []
    for whole, part_keys in sorted(parts.items()):
        deal = deals.get(whole)
        if deal is None or deal.amount_minor is None:
            continue
        total, currency = deal.amount_minor, deal.currency
        known = {k: deals[k] for k in part_keys if k in deals and deals[k].amount_minor is not None}
        known = {k: d for k, d in known.items() if d.currency == currency}
        if not known:
            continue
        undisclosed = len(part_keys) - len(known)
        allocated = sum(d.amount_minor or 0 for d in known.values())
        listed = " + ".join(f"{k} {_money(d.amount_minor, currency)}" for k, d in known.items())
        more = f" (and {undisclosed} undisclosed)" if undisclosed else ""
        keys = (whole, *known)
        sums = f"the parts of {whole} ({_money(total, currency)}) sum to {_money(allocated, currency)}{more}: {listed}"
        if allocated > total:
            findings.append(
                Finding("parts_exceed_whole", Severity.ERROR, keys, sums, total, allocated - total, currency)
            )
        elif allocated < total:
            staged = all(d.payer_group == deal.payer_group for d in known.values())
            severity = Severity.WARNING if staged and not undisclosed else Severity.INFO
            message = f"{sums}; {_money(total - allocated, currency)} is not itemized"
            findings.append(
                Finding("parts_short_of_whole", severity, keys, message, total, allocated - total, currency)
            )
    return findings


@dataclass(frozen=True)
class ValuationPoint:
    key: str
    round_key: str | None
    kind: str
    amount_minor: int
    currency: str
    party: str | None = None
    as_of: object = None  # a date


def valuation_conflicts(valuations: Iterable[ValuationPoint]) -> list[Finding]:
    """Competing reports: valuations of one party, kind and day (and currency) that disagree."""
    same: dict[tuple[str, str, object, str], list[ValuationPoint]] = defaultdict(list)
    for point in valuations:
        if point.party is not None and point.as_of is not None:
            same[(point.party, point.kind, point.as_of, point.currency)].append(point)
    findings = []
    for (party, kind, day, currency), points in sorted(same.items(), key=lambda item: str(item[0])):
        points = sorted(points, key=lambda p: (p.amount_minor, p.key))
        low, high = points[0], points[-1]
        if high.amount_minor - low.amount_minor > VALUATION_TOLERANCE * high.amount_minor:
            listed = ", ".join(f"{p.key} {_money(p.amount_minor, currency)}" for p in points)
            message = (
                f"{len(points)} {kind.replace('_', '-')} valuations of {party} on {day} disagree ({listed}):"
                f" competing reports; keep one, or mark the others' confidence"
            )
            keys = tuple(p.key for p in points)
            difference = high.amount_minor - low.amount_minor
            findings.append(
                Finding("valuation_conflict", Severity.WARNING, keys, message, high.amount_minor, difference, currency)
            )
    return findings


def valuation_findings(valuations: Iterable[ValuationPoint], deals: Mapping[str, Deal]) -> list[Finding]:
    """Pre-money + the round's amount against post-money, for rounds with both valuations."""
    by_round: dict[str, dict[str, ValuationPoint]] = defaultdict(dict)
    for point in valuations:
        if point.round_key is not None:
            by_round[point.round_key][point.kind] = point
    findings = []
    for round_key, points in sorted(by_round.items()):
        pre, post, deal = points.get("pre_money"), points.get("post_money"), deals.get(round_key)
        if pre is None or post is None or deal is None or deal.amount_minor is None:
            continue
        currency = post.currency
        if pre.currency != currency or deal.currency != currency:
            continue
        implied = pre.amount_minor + deal.amount_minor
        difference = post.amount_minor - implied
        if abs(difference) > VALUATION_TOLERANCE * post.amount_minor:
            message = (
                f"pre-money {_money(pre.amount_minor, currency)} + {round_key} {_money(deal.amount_minor, currency)}"
                f" = {_money(implied, currency)}, but post-money is {_money(post.amount_minor, currency)}"
            )
            keys = (round_key, pre.key, post.key)
            findings.append(
                Finding("valuation_mismatch", Severity.WARNING, keys, message, post.amount_minor, difference, currency)
            )
    return findings


def rate_findings(agreements: pd.DataFrame) -> list[Finding]:
    """Amounts that notes call a rate (per year, per month) but that are scheduled as a total."""
    findings = []
    columns = ("agreement_id", "notes", "amount_minor", "currency", "term_months")
    for key, note, amount, currency, months in rows(agreements, *columns):
        if not isinstance(note, str) or pd.isna(amount):
            continue
        match = RATE_WORDS.search(note.split(";")[0])
        if match is None:
            continue
        term = "an unstated term" if pd.isna(months) else f"{int(months)} months"
        findings.append(
            Finding(
                "rate_vs_total",
                Severity.WARNING,
                (key,),
                f"{key}'s notes call {_money(int(amount), currency)} a rate ('{match.group(0)}'), but the ledger "
                f"schedules it as the total over {term}: the contract total may be larger",
                amount_minor=int(amount),
                currency=currency,
            )
        )
    return findings


def reference_findings(agreements: pd.DataFrame, relations: Sequence[tuple[str, str, str]]) -> list[Finding]:
    """Notes that name another agreement which no chain of relations connects."""
    import networkx as nx

    keys = set(agreements["agreement_id"])
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(keys)
    graph.add_edges_from((k, r) for k, _, r in relations if k in keys and r in keys)
    # any known id named as a word; plain words ("Lab") are ignored unless they look like ids
    words = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*[A-Za-z0-9]")
    looks_like_id = re.compile(r"[-\d]")
    findings = []
    reported: set[frozenset[str]] = set()
    for key, note in rows(agreements, "agreement_id", "notes"):
        if not isinstance(note, str):
            continue
        named_ids = {w for w in words.findall(note) if w in keys and looks_like_id.search(w)}
        for named in sorted(named_ids - {key}):
            pair = frozenset((key, named))
            if pair not in reported and not nx.has_path(graph, key, named):
                reported.add(pair)
                findings.append(
                    Finding(
                        "unlinked_reference",
                        Severity.INFO,
                        (key, named),
                        f"{key}'s notes mention {named}, but no relation connects them: "
                        "if one replaces or contains the other, record it as a relation",
                    )
                )
    return findings
