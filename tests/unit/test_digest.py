"""Change detection: the agreement digest covers every field, so no edit is ever mistaken for 'unchanged'."""

import dataclasses
import datetime as dt

from ledger.domain.agreements import (
    Agreement,
    Basis,
    Capacity,
    Confidence,
    Kind,
    Profile,
    Qualifier,
    Relation,
    RelationKind,
    Slice,
    Source,
    Status,
    Term,
)
from ledger.services import agreement_digest

BASE = Agreement(
    key="A",
    kind=Kind.CLOUD_COMMITMENT,
    payer="P",
    payee="Q",
    amount_minor=100,
    currency="USD",
    term=Term(dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    term_months=12,
    profile=Profile.TRANCHES,
    basis=Basis.MONTHLY,
    qualifier=Qualifier.EXACT,
    status=Status.ANNOUNCED,
    confidence=Confidence.HIGH,
    resource="r",
    announced_on=dt.date(2025, 12, 1),
    participants="x",
    notes="n",
    assumptions="a",
    slices=(Slice(dt.date(2026, 1, 1), dt.date(2027, 1, 1), 100, 1),),
    relations=(Relation(RelationKind.ADDITIONAL, "B"),),
    sources=(Source("https://example.com", "t", dt.date(2026, 1, 2)),),
    capacity=Capacity("2", "GW", "Trainium"),
)

CHANGED = {
    "key": "A2",
    "kind": Kind.CHIP_AGREEMENT,
    "payer": "P2",
    "payee": "Q2",
    "amount_minor": 101,
    "currency": "EUR",
    "term": Term(dt.date(2026, 1, 1), dt.date(2027, 1, 2)),
    "term_months": 13,
    "profile": Profile.RAMP,
    "basis": Basis.DAILY,
    "qualifier": Qualifier.UP_TO,
    "status": Status.BINDING,
    "confidence": Confidence.LOW,
    "resource": "r2",
    "announced_on": dt.date(2025, 12, 2),
    "participants": "y",
    "notes": "n2",
    "assumptions": "a2",
    "slices": (Slice(dt.date(2026, 1, 1), dt.date(2027, 1, 1), 100, 2),),
    "relations": (Relation(RelationKind.EXPANDS, "B"),),
    "sources": (Source("https://example.com", "t2", dt.date(2026, 1, 2)),),
    "capacity": Capacity("2", "GW", "Trainium2"),
}


def test_every_field_changes_the_digest() -> None:
    assert {f.name for f in dataclasses.fields(Agreement)} == set(CHANGED), "a new field needs a case here"
    base = agreement_digest(BASE)
    assert agreement_digest(dataclasses.replace(BASE)) == base
    for name, value in CHANGED.items():
        assert agreement_digest(dataclasses.replace(BASE, **{name: value})) != base, name
