"""The relational schema, as SQLAlchemy typed models (the Alembic migrations create exactly this).

Money is stored as BIGINT minor units (`*_minor` columns): exact on every
backend, unlike NUMERIC on SQLite, which is stored as a float. CHECK constraints
hold a column of one amount within MAX_MINOR and a column of a stored sum within
MAX_TOTAL_MINOR (ledger.domain.money; migration 0007). Enumerations
are text columns with CHECK constraints. Integer `id` columns are surrogate
keys; the keys users see are `agreement.key`, `valuation.key`, `party.name`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.domain.agreements import (
    Basis,
    Confidence,
    Kind,
    PartyKind,
    Profile,
    Qualifier,
    RelationKind,
    Status,
    ValuationKind,
)
from ledger.domain.history import HISTORY_ACTIONS, HISTORY_ENTITIES
from ledger.domain.money import MAX_MINOR, MAX_TOTAL_MINOR
from ledger.domain.spend import ChargeCategory, MinimumPeriod

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """CHECK that `column` holds one of the enumeration's values."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column)


def within(column: str, limit: int, *, non_negative: bool = False) -> CheckConstraint:
    """CHECK that a money column stays within `limit` minor units (MAX_MINOR or MAX_TOTAL_MINOR) either side
    of zero, or from zero up where the column cannot be negative."""
    low = 0 if non_negative else -limit
    return CheckConstraint(f"{column} BETWEEN {low} AND {limit}", name=f"{column}_within_limit")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Currency(Base):
    """ISO 4217 currencies the ledger accepts, with their minor-unit digits."""

    __tablename__ = "currency"
    __table_args__ = (CheckConstraint("minor_digits BETWEEN 0 AND 4", name="minor_digits"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    minor_digits: Mapped[int] = mapped_column(Integer)


class Party(Base):
    """A company, fund or investor group; `parent_id` rolls it up (Amazon Web Services -> Amazon)."""

    __tablename__ = "party"
    __table_args__ = (
        one_of("kind", PartyKind),
        CheckConstraint("fiscal_year_end_month BETWEEN 1 AND 12", name="fiscal_year_end_month"),
        CheckConstraint("fiscal_week_day BETWEEN 0 AND 6", name="fiscal_week_day"),
        one_of("fiscal_week_rule", ("last", "nearest")),
        CheckConstraint("(fiscal_week_day IS NULL) = (fiscal_week_rule IS NULL)", name="fiscal_week_pair"),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=PartyKind.COMPANY.value)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"))
    fiscal_year_end_month: Mapped[int] = mapped_column(Integer, default=12)
    fiscal_week_day: Mapped[int | None] = mapped_column(Integer)
    fiscal_week_rule: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)


class PartyAlias(Base):
    """Another name of a party, as billing files write it ("AWS" for Amazon Web Services)."""

    __tablename__ = "party_alias"

    alias: Mapped[str] = mapped_column(String(200), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)


class Agreement(Base):
    """One deal between a payer and a payee. `end_date` is the term's last day (inclusive)."""

    __tablename__ = "agreement"
    __table_args__ = (
        one_of("kind", Kind),
        one_of("profile", Profile),
        one_of("basis", Basis),
        one_of("amount_qualifier", Qualifier),
        one_of("status", Status),
        one_of("confidence", Confidence),
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        within("amount_minor", MAX_MINOR, non_negative=True),
        CheckConstraint(
            "(amount_minor IS NULL) = (amount_qualifier = 'undisclosed')", name="amount_disclosed_or_undisclosed"
        ),
        CheckConstraint("end_date >= start_date", name="end_after_start"),
        CheckConstraint("term_months > 0", name="term_months_positive"),
        CheckConstraint("payer_id <> payee_id", name="payer_is_not_payee"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    payer_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    resource: Mapped[str | None] = mapped_column(Text)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currency.code", ondelete="RESTRICT"))
    amount_qualifier: Mapped[str] = mapped_column(String(20), default=Qualifier.EXACT.value)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    term_months: Mapped[int | None] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(20), default=Profile.STRAIGHT_LINE.value)
    basis: Mapped[str] = mapped_column(String(10), default=Basis.MONTHLY.value)
    status: Mapped[str] = mapped_column(String(20), default=Status.ANNOUNCED.value)
    confidence: Mapped[str | None] = mapped_column(String(10))
    announced_on: Mapped[dt.date | None] = mapped_column(Date)
    participants: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    assumptions: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())


class AgreementSlice(Base):
    """A dated tranche of a `tranches` or `ramp` agreement; the slices sum to the agreement's amount."""

    __tablename__ = "agreement_slice"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="end_after_start"),
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        within("amount_minor", MAX_MINOR, non_negative=True),
        CheckConstraint("weight >= 0", name="weight_non_negative"),
    )

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    weight: Mapped[int | None] = mapped_column(Integer)


class AgreementRelation(Base):
    """`agreement_id` relates to the earlier (or parent) agreement `related_id` as `kind`."""

    __tablename__ = "agreement_relation"
    __table_args__ = (
        one_of("kind", RelationKind),
        UniqueConstraint("agreement_id", "related_id", "kind", name="uq_agreement_relation_pair"),
        CheckConstraint("agreement_id <> related_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))


class ChipDetail(Base):
    """Capacity of a chip or capacity deal: chip family, quantity (exact decimal text) and unit."""

    __tablename__ = "chip_detail"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    chip_family: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(100))


class Source(Base):
    """A page a figure was read from."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    published_on: Mapped[dt.date | None] = mapped_column(Date)


class AgreementSource(Base):
    __tablename__ = "agreement_source"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="RESTRICT"), primary_key=True, index=True)


class Valuation(Base):
    """A valuation point of a party: pre-money, post-money, a secondary price or a stake's value."""

    __tablename__ = "valuation"
    __table_args__ = (
        one_of("kind", ValuationKind),
        one_of("amount_qualifier", Qualifier),
        one_of("confidence", Confidence),
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        within("amount_minor", MAX_MINOR, non_negative=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currency.code", ondelete="RESTRICT"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="RESTRICT"), index=True)
    amount_qualifier: Mapped[str] = mapped_column(String(20), default=Qualifier.EXACT.value)
    confidence: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))


class ValuationSource(Base):
    __tablename__ = "valuation_source"

    valuation_id: Mapped[int] = mapped_column(ForeignKey("valuation.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="RESTRICT"), primary_key=True, index=True)


class ScheduleLine(Base):
    """The stored schedule: an agreement's amount in one calendar month (`month` is its first day).

    Written by the ledger whenever an agreement changes; coarser periods are sums of months.
    """

    __tablename__ = "schedule_line"
    __table_args__ = (within("amount_minor", MAX_MINOR), {"sqlite_with_rowid": False})

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class ScheduleAdjustment(Base):
    """What consolidation changes in an agreement's month line, and why (relation, related agreement).

    consolidated = schedule_line + schedule_adjustment. Rewritten by the ledger
    after every import, in the same transaction.
    """

    __tablename__ = "schedule_adjustment"
    __table_args__ = (
        one_of("relation_kind", RelationKind),
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        within("amount_minor", MAX_MINOR),
    )

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    relation_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    related_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class FlowEdge(Base):
    """Money between two parent companies, from `ledger cycles` (consolidated amounts; see the README)."""

    __tablename__ = "flow_edge"
    __table_args__ = tuple(
        within(column, MAX_TOTAL_MINOR)
        for column in ("firm_minor", "investment_minor", "commitment_minor", "ceiling_minor")
    )

    payer: Mapped[str] = mapped_column(String(200), primary_key=True)
    payee: Mapped[str] = mapped_column(String(200), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    firm_minor: Mapped[int] = mapped_column(BigInteger)
    investment_minor: Mapped[int] = mapped_column(BigInteger)
    commitment_minor: Mapped[int] = mapped_column(BigInteger)
    ceiling_minor: Mapped[int] = mapped_column(BigInteger)
    undisclosed: Mapped[int] = mapped_column(Integer)
    agreements: Mapped[str] = mapped_column(Text)


class FlowCycle(Base):
    """A loop of money between parent companies, from `ledger cycles`."""

    __tablename__ = "flow_cycle"
    __table_args__ = (
        one_of("basis", ("firm", "up_to", "undisclosed")),
        within("bottleneck_minor", MAX_TOTAL_MINOR),
        within("bottleneck_up_to_minor", MAX_TOTAL_MINOR),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    length: Mapped[int] = mapped_column(Integer)
    bottleneck_minor: Mapped[int | None] = mapped_column(BigInteger)
    bottleneck_up_to_minor: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(12))
    currency: Mapped[str] = mapped_column(String(3))
    agreements: Mapped[str] = mapped_column(Text)


class FlowCycleEdge(Base):
    """The edges of a cycle, in order (join flow_edge on payer, payee, currency for amounts)."""

    __tablename__ = "flow_cycle_edge"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("flow_cycle.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    payer: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))


class CommitmentMinimum(Base):
    """A commitment's minimum spend per period (month, quarter or contract year), besides its total."""

    __tablename__ = "commitment_minimum"
    __table_args__ = (
        one_of("period", MinimumPeriod),
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        within("amount_minor", MAX_MINOR, non_negative=True),
    )

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[str] = mapped_column(String(20))


class IngestFile(Base):
    """A billing file loaded by `ledger ingest`; its SHA-256 makes loading it again a no-op."""

    __tablename__ = "ingest_file"
    __table_args__ = (one_of("format", ("csv", "focus")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(BigInteger)
    counting_rule: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.current_timestamp())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # `ledger uningest`


class Consumption(Base):
    """Actual charges between a payer and a payee, summed to one month, one category and one resource.

    The exact amount is amount_minor + sub_minor * 10^-12 of the major unit
    (sub_minor holds the cost's digits below the minor unit, 0 <= sub_minor <
    10^(12 - minor digits), 10^10 for USD). `counts` says whether the file's counting rule
    let it draw commitments down.
    """

    __tablename__ = "consumption"
    __table_args__ = (
        one_of("category", ChargeCategory),
        CheckConstraint("sub_minor >= 0 AND sub_minor < 1000000000000", name="sub_minor_range"),
        CheckConstraint("counts IN (0, 1)", name="counts_flag"),
        CheckConstraint("payer_id <> payee_id", name="payer_is_not_payee"),
        CheckConstraint("charges > 0", name="charges_positive"),
        within("amount_minor", MAX_TOTAL_MINOR),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ingest_file.id", ondelete="CASCADE"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    month: Mapped[dt.date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    counts: Mapped[int] = mapped_column(Integer)
    resource: Mapped[str | None] = mapped_column(Text)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="SET NULL"), index=True)
    currency: Mapped[str] = mapped_column(ForeignKey("currency.code", ondelete="RESTRICT"))
    charges: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    sub_minor: Mapped[int] = mapped_column(BigInteger)


class Drawdown(Base):
    """Which commitment a consumption row drew down (kind `draw`), or whose shortfall it bills (`true_up`).

    Rewritten by the ledger after every ingest and import, and by `ledger burn`.
    """

    __tablename__ = "drawdown"
    __table_args__ = (
        one_of("kind", ("draw", "true_up")),
        CheckConstraint("sub_minor >= 0 AND sub_minor < 1000000000000", name="sub_minor_range"),
        within("amount_minor", MAX_TOTAL_MINOR),
    )

    consumption_id: Mapped[int] = mapped_column(ForeignKey("consumption.id", ondelete="CASCADE"), primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    sub_minor: Mapped[int] = mapped_column(BigInteger)


class History(Base):
    """The book of record: every change to an agreement, party, valuation or billing file, appended, never
    changed (triggers refuse UPDATE and DELETE; migration 0008).

    `record` is the entity as it stood after the change, in the importer's own format (JSON; the
    record voided or withdrawn for `void` and `uningest`; NULL for `delete`); `changes` maps each field
    that changed to [old, new] (NULL for a `create`, whose record is all new). The state of the book at
    a moment T is, per (entity, entity_key), the row of highest id with recorded_at <= T, counted when
    its action is create, update, restore or ingest (see the README, "Corrections and history").
    """

    __tablename__ = "history"
    __table_args__ = (
        one_of("entity", HISTORY_ENTITIES),
        one_of("action", HISTORY_ACTIONS),
        Index("ix_history_entity_key", "entity", "entity_key", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[str | None] = mapped_column(Text)
    record: Mapped[str | None] = mapped_column(Text)
