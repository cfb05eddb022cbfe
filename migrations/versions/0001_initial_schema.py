"""Initial schema: parties, agreements, relations, sources, valuations, month schedule lines.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ISO 4217 minor-unit digits, frozen here as data (ledger.domain.money holds the same list).
CURRENCIES = {
    "AED": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2,
    "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
    "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PLN": 2, "QAR": 2, "SAR": 2, "SEK": 2,
    "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "USD": 2, "VND": 0, "ZAR": 2,
}  # fmt: skip


def upgrade() -> None:
    op.create_table('currency',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('minor_digits', sa.Integer(), nullable=False),
    sa.CheckConstraint('minor_digits BETWEEN 0 AND 4', name=op.f('ck_currency_minor_digits')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_currency'))
    )
    op.create_table('party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('fiscal_year_end_month', sa.Integer(), nullable=False),
    sa.Column('fiscal_week_day', sa.Integer(), nullable=True),
    sa.Column('fiscal_week_rule', sa.String(length=10), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.CheckConstraint("fiscal_week_rule IN ('last', 'nearest')", name=op.f('ck_party_fiscal_week_rule')),
    sa.CheckConstraint("kind IN ('lab', 'cloud', 'chip_maker', 'investor', 'investor_group', 'company')", name=op.f('ck_party_kind')),
    sa.CheckConstraint('(fiscal_week_day IS NULL) = (fiscal_week_rule IS NULL)', name=op.f('ck_party_fiscal_week_pair')),
    sa.CheckConstraint('fiscal_week_day BETWEEN 0 AND 6', name=op.f('ck_party_fiscal_week_day')),
    sa.CheckConstraint('fiscal_year_end_month BETWEEN 1 AND 12', name=op.f('ck_party_fiscal_year_end_month')),
    sa.CheckConstraint('parent_id <> id', name=op.f('ck_party_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['party.id'], name=op.f('fk_party_parent_id_party'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party')),
    sa.UniqueConstraint('name', name=op.f('uq_party_name'))
    )
    op.create_table('source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source')),
    sa.UniqueConstraint('url', name=op.f('uq_source_url'))
    )
    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('payee_id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.Text(), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_qualifier', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('profile', sa.String(length=20), nullable=False),
    sa.Column('basis', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=True),
    sa.Column('announced_on', sa.Date(), nullable=True),
    sa.Column('participants', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('assumptions', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("(amount_minor IS NULL) = (amount_qualifier = 'undisclosed')", name=op.f('ck_agreement_amount_disclosed_or_undisclosed')),
    sa.CheckConstraint("amount_qualifier IN ('exact', 'approximately', 'up_to', 'at_least', 'undisclosed')", name=op.f('ck_agreement_amount_qualifier')),
    sa.CheckConstraint("basis IN ('monthly', 'daily')", name=op.f('ck_agreement_basis')),
    sa.CheckConstraint("confidence IN ('high', 'medium', 'low')", name=op.f('ck_agreement_confidence')),
    sa.CheckConstraint("kind IN ('cloud_commitment', 'chip_agreement', 'equity_investment', 'funding_round')", name=op.f('ck_agreement_kind')),
    sa.CheckConstraint("profile IN ('straight_line', 'tranches', 'ramp')", name=op.f('ck_agreement_profile')),
    sa.CheckConstraint("status IN ('proposed', 'announced', 'binding', 'completed', 'cancelled')", name=op.f('ck_agreement_status')),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_agreement_amount_non_negative')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_agreement_end_after_start')),
    sa.CheckConstraint('payer_id <> payee_id', name=op.f('ck_agreement_payer_is_not_payee')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_agreement_term_months_positive')),
    sa.ForeignKeyConstraint(['currency'], ['currency.code'], name=op.f('fk_agreement_currency_currency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payee_id'], ['party.id'], name=op.f('fk_agreement_payee_id_party'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payer_id'], ['party.id'], name=op.f('fk_agreement_payer_id_party'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement')),
    sa.UniqueConstraint('key', name=op.f('uq_agreement_key'))
    )
    op.create_index(op.f('ix_agreement_payee_id'), 'agreement', ['payee_id'], unique=False)
    op.create_index(op.f('ix_agreement_payer_id'), 'agreement', ['payer_id'], unique=False)
    op.create_table('agreement_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.CheckConstraint("kind IN ('additional', 'expands', 'supersedes', 'tranche_of')", name=op.f('ck_agreement_relation_kind')),
    sa.CheckConstraint('agreement_id <> related_id', name=op.f('ck_agreement_relation_not_self')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_relation_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['related_id'], ['agreement.id'], name=op.f('fk_agreement_relation_related_id_agreement'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_relation')),
    sa.UniqueConstraint('agreement_id', 'related_id', 'kind', name='uq_agreement_relation_pair')
    )
    op.create_index(op.f('ix_agreement_relation_agreement_id'), 'agreement_relation', ['agreement_id'], unique=False)
    op.create_index(op.f('ix_agreement_relation_related_id'), 'agreement_relation', ['related_id'], unique=False)
    op.create_table('agreement_slice',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_agreement_slice_amount_non_negative')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_agreement_slice_end_after_start')),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_agreement_slice_weight_non_negative')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_slice_agreement_id_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_id', 'seq', name=op.f('pk_agreement_slice'))
    )
    op.create_table('agreement_source',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_source_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_agreement_source_source_id_source'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('agreement_id', 'source_id', name=op.f('pk_agreement_source'))
    )
    op.create_index(op.f('ix_agreement_source_source_id'), 'agreement_source', ['source_id'], unique=False)
    op.create_table('chip_detail',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('chip_family', sa.String(length=200), nullable=True),
    sa.Column('quantity', sa.String(length=40), nullable=True),
    sa.Column('unit', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_chip_detail_agreement_id_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_chip_detail'))
    )
    op.create_table('schedule_line',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_schedule_line_agreement_id_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agreement_id', 'month', name=op.f('pk_schedule_line')),
    sqlite_with_rowid=False
    )
    op.create_table('valuation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('amount_qualifier', sa.String(length=20), nullable=False),
    sa.Column('confidence', sa.String(length=10), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("amount_qualifier IN ('exact', 'approximately', 'up_to', 'at_least', 'undisclosed')", name=op.f('ck_valuation_amount_qualifier')),
    sa.CheckConstraint("confidence IN ('high', 'medium', 'low')", name=op.f('ck_valuation_confidence')),
    sa.CheckConstraint("kind IN ('pre_money', 'post_money', 'secondary', 'stake_value', 'transaction')", name=op.f('ck_valuation_kind')),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_valuation_amount_non_negative')),
    sa.ForeignKeyConstraint(['currency'], ['currency.code'], name=op.f('fk_valuation_currency_currency'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_valuation_party_id_party'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['agreement.id'], name=op.f('fk_valuation_round_id_agreement'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_valuation')),
    sa.UniqueConstraint('key', name=op.f('uq_valuation_key'))
    )
    op.create_index(op.f('ix_valuation_party_id'), 'valuation', ['party_id'], unique=False)
    op.create_index(op.f('ix_valuation_round_id'), 'valuation', ['round_id'], unique=False)
    op.create_table('valuation_source',
    sa.Column('valuation_id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_valuation_source_source_id_source'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['valuation_id'], ['valuation.id'], name=op.f('fk_valuation_source_valuation_id_valuation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('valuation_id', 'source_id', name=op.f('pk_valuation_source'))
    )
    op.create_index(op.f('ix_valuation_source_source_id'), 'valuation_source', ['source_id'], unique=False)
    op.bulk_insert(
        sa.table("currency", sa.column("code", sa.String), sa.column("minor_digits", sa.Integer)),
        [{"code": code, "minor_digits": digits} for code, digits in sorted(CURRENCIES.items())],
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_valuation_source_source_id'), table_name='valuation_source')
    op.drop_table('valuation_source')
    op.drop_index(op.f('ix_valuation_round_id'), table_name='valuation')
    op.drop_index(op.f('ix_valuation_party_id'), table_name='valuation')
    op.drop_table('valuation')
    op.drop_table('schedule_line')
    op.drop_table('chip_detail')
    op.drop_index(op.f('ix_agreement_source_source_id'), table_name='agreement_source')
    op.drop_table('agreement_source')
    op.drop_table('agreement_slice')
    op.drop_index(op.f('ix_agreement_relation_related_id'), table_name='agreement_relation')
    op.drop_index(op.f('ix_agreement_relation_agreement_id'), table_name='agreement_relation')
    op.drop_table('agreement_relation')
    op.drop_index(op.f('ix_agreement_payer_id'), table_name='agreement')
    op.drop_index(op.f('ix_agreement_payee_id'), table_name='agreement')
    op.drop_table('agreement')
    op.drop_table('source')
    op.drop_table('party')
    op.drop_table('currency')
