"""certificate recipient hash: the salted hash of the ID number that Open Badges credentials carry

Revision ID: 5c2e9a7b41f3
Revises: d1bb4ffa4443
Create Date: 2026-11-25 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5c2e9a7b41f3'
down_revision = 'd1bb4ffa4443'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('recipient_hash', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('recipient_hash')
        batch_op.drop_column('recipient_salt')
