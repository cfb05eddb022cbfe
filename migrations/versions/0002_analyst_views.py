"""Analyst views: parties with their groups, schedules by month, quarter and year, agreement summary.

Every view gives money twice: `amount_minor` (exact integer, the one to sum)
and `amount` (exact decimal: NUMERIC on PostgreSQL; text on SQLite, which has
no exact decimal type).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("v_schedule_year", "v_schedule_quarter", "v_schedule_month", "v_agreement_summary", "v_relation", "v_party")


def _amount(column: str, digits: str, dialect: str) -> str:
    """SQL for minor units -> exact decimal with the currency's digits."""
    if dialect == "postgresql":
        return f"round({column}::numeric / power(10::numeric, {digits}), {digits})"
    scale = f"(CASE {digits} WHEN 0 THEN 1 WHEN 1 THEN 10 WHEN 2 THEN 100 WHEN 3 THEN 1000 ELSE 10000 END)"
    return (
        f"(CASE WHEN {digits} = 0 THEN CAST({column} AS TEXT) "
        f"ELSE (CASE WHEN {column} < 0 THEN '-' ELSE '' END) || CAST(abs({column}) / {scale} AS TEXT) "
        f"|| '.' || substr(CAST({scale} + abs({column}) % {scale} AS TEXT), 2) END)"
    )


def _party_view() -> str:
    return """
CREATE VIEW v_party AS
WITH RECURSIVE chain(party_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM party
    UNION ALL
    SELECT chain.party_id, party.parent_id, chain.depth + 1
    FROM chain JOIN party ON party.id = chain.ancestor_id
    WHERE party.parent_id IS NOT NULL AND chain.depth < 32
),
top AS (
    SELECT party_id, ancestor_id FROM chain
    WHERE NOT EXISTS (SELECT 1 FROM chain deeper WHERE deeper.party_id = chain.party_id AND deeper.depth > chain.depth)
)
SELECT p.id AS party_id, p.name, p.kind, parent.name AS parent, root.name AS ultimate_parent,
       p.fiscal_year_end_month, p.fiscal_week_day, p.fiscal_week_rule
FROM party p
JOIN top ON top.party_id = p.id
JOIN party root ON root.id = top.ancestor_id
LEFT JOIN party parent ON parent.id = p.parent_id
"""


def _schedule_views(dialect: str) -> list[str]:
    pg = dialect == "postgresql"
    month_label = "to_char(s.month, 'YYYY-MM')" if pg else "strftime('%Y-%m', s.month)"
    month_end = (
        "(s.month + interval '1 month' - interval '1 day')::date" if pg else "date(s.month, '+1 month', '-1 day')"
    )
    year = "CAST(extract(year FROM s.month) AS integer)" if pg else "CAST(strftime('%Y', s.month) AS INTEGER)"
    quarter = (
        "CAST(extract(quarter FROM s.month) AS integer)"
        if pg
        else ("((CAST(strftime('%m', s.month) AS INTEGER) + 2) / 3)")
    )
    total = "CAST(sum(s.amount_minor) AS bigint)" if pg else "sum(s.amount_minor)"
    joins = """
FROM schedule_line s
JOIN agreement a ON a.id = s.agreement_id
JOIN party payer ON payer.id = a.payer_id
JOIN party payee ON payee.id = a.payee_id
JOIN currency c ON c.code = a.currency"""
    heads = "a.key AS agreement_id, a.kind, payer.name AS payer, payee.name AS payee, a.resource"
    month = f"""
CREATE VIEW v_schedule_month AS
SELECT {heads}, {month_label} AS period, s.month AS period_start, {month_end} AS period_end,
       s.amount_minor, {_amount("s.amount_minor", "c.minor_digits", dialect)} AS amount, a.currency
{joins}
"""
    quarter_view = f"""
CREATE VIEW v_schedule_quarter AS
SELECT {heads}, {year} AS year, {quarter} AS quarter,
       CAST({year} AS {"text" if pg else "TEXT"}) || '-Q' || CAST({quarter} AS {"text" if pg else "TEXT"}) AS period,
       {total} AS amount_minor,
       {_amount("sum(s.amount_minor)", "c.minor_digits", dialect)} AS amount, a.currency
{joins}
GROUP BY a.key, a.kind, payer.name, payee.name, a.resource, {year}, {quarter}, a.currency, c.minor_digits
"""
    year_view = f"""
CREATE VIEW v_schedule_year AS
SELECT {heads}, {year} AS year, CAST({year} AS {"text" if pg else "TEXT"}) AS period,
       {total} AS amount_minor,
       {_amount("sum(s.amount_minor)", "c.minor_digits", dialect)} AS amount, a.currency
{joins}
GROUP BY a.key, a.kind, payer.name, payee.name, a.resource, {year}, a.currency, c.minor_digits
"""
    return [month, quarter_view, year_view]


def _summary_view(dialect: str) -> str:
    return f"""
CREATE VIEW v_agreement_summary AS
SELECT a.key AS agreement_id, a.kind, payer.name AS payer, payer.ultimate_parent AS payer_group,
       payee.name AS payee, payee.ultimate_parent AS payee_group, a.resource,
       a.amount_minor, {_amount("a.amount_minor", "c.minor_digits", dialect)} AS amount, a.currency,
       a.amount_qualifier, a.start_date, a.end_date, a.term_months, a.profile, a.basis, a.status,
       a.confidence, a.announced_on, cd.chip_family, cd.quantity, cd.unit,
       (SELECT count(*) FROM agreement_source x WHERE x.agreement_id = a.id) AS source_count,
       (SELECT min(src.url) FROM agreement_source x JOIN source src ON src.id = x.source_id
         WHERE x.agreement_id = a.id) AS first_source_url,
       (SELECT count(*) FROM agreement_relation r WHERE r.agreement_id = a.id) AS relation_count,
       sched.scheduled_minor,
       (sched.scheduled_minor = a.amount_minor) AS ties_out
FROM agreement a
JOIN v_party payer ON payer.party_id = a.payer_id
JOIN v_party payee ON payee.party_id = a.payee_id
JOIN currency c ON c.code = a.currency
LEFT JOIN chip_detail cd ON cd.agreement_id = a.id
LEFT JOIN (SELECT agreement_id, sum(amount_minor) AS scheduled_minor FROM schedule_line GROUP BY agreement_id) sched
       ON sched.agreement_id = a.id
"""


def _relation_view() -> str:
    return """
CREATE VIEW v_relation AS
SELECT a.key AS agreement_id, r.kind AS relation_kind, related.key AS related_agreement_id,
       a.amount_minor, related.amount_minor AS related_amount_minor, a.currency
FROM agreement_relation r
JOIN agreement a ON a.id = r.agreement_id
JOIN agreement related ON related.id = r.related_id
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in [_party_view(), *_schedule_views(dialect), _summary_view(dialect), _relation_view()]:
        op.execute(statement)


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {view}")
