"""administrative units: the tree (nation, provinces, communes, thôn/tổ dân phố) and its change log

The official units are loaded by `lms units sync`, which `lms db upgrade` runs after the migrations
(docs/reporting.md#administrative-units); this migration makes only the tables.

Revision ID: 3f8b6d2a9c41
Revises: 7a3c1e5d9b20
Create Date: 2026-12-02 02:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.models.base

revision = '3f8b6d2a9c41'
down_revision = '7a3c1e5d9b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('official', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('level BETWEEN 0 AND 3', name=op.f('ck_admin_unit_level')),
    sa.CheckConstraint('(valid_until IS NULL) = (successor_id IS NULL)',
                       name=op.f('ck_admin_unit_merged_has_successor')),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_unit.id'], name=op.f('fk_admin_unit_parent_id_admin_unit')),
    sa.ForeignKeyConstraint(['successor_id'], ['admin_unit.id'],
                            name=op.f('fk_admin_unit_successor_id_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_admin_unit_code'))
    )
    with op.batch_alter_table('admin_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_unit_path'), ['path'], unique=False)
    op.create_table('admin_unit_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('effective', sa.Date(), nullable=False),
    sa.Column('old_value', sa.String(length=255), nullable=True),
    sa.Column('new_value', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['target_id'], ['admin_unit.id'],
                            name=op.f('fk_admin_unit_change_target_id_admin_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_admin_unit_change_unit_id_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_unit_change'))
    )
    with op.batch_alter_table('admin_unit_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_unit_change_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_table('admin_unit_change')
    op.drop_table('admin_unit')
