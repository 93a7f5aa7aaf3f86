"""quarterly reports: a unit's figures of a quarter, frozen at closing and signed; corrections are new versions

Revision ID: 5e1a7c3b9d02
Revises: e5b7a1c9d382
Create Date: 2026-12-02 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.models.base

revision = '5e1a7c3b9d02'
down_revision = 'e5b7a1c9d382'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarterly_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_quarterly_report_submitted_by_id_user_account')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['quarterly_report.id'], name=op.f('fk_quarterly_report_supersedes_id_quarterly_report')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_quarterly_report_unit_id_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarterly_report')),
    sa.UniqueConstraint('report_id', name=op.f('uq_quarterly_report_report_id')),
    sa.UniqueConstraint('unit_id', 'quarter', 'version', name=op.f('uq_quarterly_report_unit_id_quarter_version'))
    )
    with op.batch_alter_table('quarterly_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarterly_report_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quarterly_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarterly_report_unit_id'))
    op.drop_table('quarterly_report')
