"""login sessions and pending VNeID identities: server-side state, only token hashes stored

Revision ID: 7a3c1e5d9b20
Revises: 7d41c0b9e2a6
Create Date: 2026-12-02 01:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.models.base

revision = '7a3c1e5d9b20'
down_revision = '7d41c0b9e2a6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_login_session_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)
    op.create_table('pending_identity',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('record', sa.Text(), nullable=True),
    sa.Column('next_url', sa.String(length=2000), nullable=True),
    sa.Column('expires_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                            name=op.f('fk_pending_identity_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_pending_identity'))
    )
    with op.batch_alter_table('pending_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_identity_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_table('pending_identity')
    op.drop_table('login_session')
