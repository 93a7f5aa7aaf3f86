"""officials and audit log: roles per administrative unit (official, unit_admin) and the audit log of
what officials see and do (issue 8, section 3)

Revision ID: e5b7a1c9d382
Revises: c3f9a2d4e816
Create Date: 2026-12-02 03:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = 'e5b7a1c9d382'
down_revision = 'c3f9a2d4e816'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['user_account.id'], name=op.f('fk_audit_event_subject_id_user_account')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_audit_event_unit_id_admin_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_user_id'), ['user_id'], unique=False)

    op.create_table('official_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('granted_by', sa.String(length=120), nullable=False),
    sa.Column('granted_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', lms.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=120), nullable=True),
    sa.CheckConstraint("role IN ('official', 'unit_admin')", name=op.f('ck_official_grant_role')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_official_grant_unit_id_admin_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_official_grant_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_official_grant'))
    )
    with op.batch_alter_table('official_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_official_grant_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_official_grant_user_active', ['user_id', 'revoked_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('official_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_official_grant_user_active')
        batch_op.drop_index(batch_op.f('ix_official_grant_unit_id'))

    op.drop_table('official_grant')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_unit_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')
