"""follow-up list index: the commune's accounts by id (issue 8, section 4: the commune's follow-up list reads
one page of its learners with one indexed statement)

Revision ID: 8c4d2f6a1e37
Revises: d5a1e7c3b902
Create Date: 2026-12-02 05:00:00
"""
from __future__ import annotations

from alembic import op


revision = '8c4d2f6a1e37'
down_revision = 'd5a1e7c3b902'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_user_account_commune', 'user_account', ['commune_code', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_user_account_commune', table_name='user_account')
