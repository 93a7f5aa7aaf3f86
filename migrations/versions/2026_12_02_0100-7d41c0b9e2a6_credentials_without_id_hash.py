"""credentials without an ID hash: credential form, status list index, superseded credentials, holder checks

Drops `user_account.recipient_salt` / `recipient_hash` (a salted SHA-256 of the ID number: guessable by trying
every number). Existing certificates keep their credential, marked `credential_form = 1`; the web no longer
serves those, and `lms certificates reissue` (which has the signing key; this migration does not need it)
signs a new one under the same number. See docs/certificates.md, "Re-issuing".

Revision ID: 7d41c0b9e2a6
Revises: 5c2e9a7b41f3
Create Date: 2026-12-02 01:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.models.base

revision = '7d41c0b9e2a6'
down_revision = '5c2e9a7b41f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential_form', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('status_list', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_status_list_status_index'),
                                          ['status_list', 'status_index'])
    op.create_table(
        'superseded_credential',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('form', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=64), nullable=False),
        sa.Column('proof_value', sa.String(length=200), nullable=False),
        sa.Column('credential_sha256', sa.String(length=64), nullable=False),
        sa.Column('superseded_at', lms.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'],
                                name=op.f('fk_superseded_credential_certificate_id_certificate')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_superseded_credential')),
        sa.UniqueConstraint('proof_value', name=op.f('uq_superseded_credential_proof_value')),
    )
    with op.batch_alter_table('superseded_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_superseded_credential_certificate_id'), ['certificate_id'],
                              unique=False)
    op.create_table(
        'holder_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checked_at', lms.models.base.UTCDateTime(), nullable=False),
        sa.Column('certificate_number', sa.String(length=64), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_holder_check')),
    )
    with op.batch_alter_table('holder_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holder_check_checked_at'), ['checked_at'], unique=False)
    # ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35): recreating user_account would fail on SQLite with
    # foreign keys on, since certificates and enrolments point at it.
    with op.batch_alter_table('user_account', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('recipient_hash')
        batch_op.drop_column('recipient_salt')


def downgrade() -> None:
    # The dropped recipient hashes cannot come back (the ID numbers were never stored): the columns return
    # empty, and certificates re-issued in the new form stay in it.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('recipient_hash', sa.String(length=80), nullable=True))
    with op.batch_alter_table('holder_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holder_check_checked_at'))
    op.drop_table('holder_check')
    with op.batch_alter_table('superseded_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_superseded_credential_certificate_id'))
    op.drop_table('superseded_credential')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certificate_status_list_status_index'), type_='unique')
        batch_op.drop_column('status_index')
        batch_op.drop_column('status_list')
        batch_op.drop_column('credential_form')
