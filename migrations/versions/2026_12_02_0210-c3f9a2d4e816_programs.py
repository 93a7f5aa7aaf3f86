"""programs: what each target group must complete to be "đạt phổ cập", versioned like courses

Revision ID: c3f9a2d4e816
Revises: 3f8b6d2a9c41
Create Date: 2026-12-02 02:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lms.models.base

revision = 'c3f9a2d4e816'
down_revision = '3f8b6d2a9c41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('program',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program')),
    sa.UniqueConstraint('code', name=op.f('uq_program_code'))
    )
    op.create_table('program_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('plan', sa.String(length=300), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('vneid_level', sa.Integer(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_program_version_program_id_program')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_version')),
    sa.UniqueConstraint('program_id', 'number', name=op.f('uq_program_version_program_id_number'))
    )
    with op.batch_alter_table('program_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_version_program_id'), ['program_id'], unique=False)
    # program <-> program_version is circular: the "live version" key is added once both tables exist.
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_program_published_version_id_program_version', 'program_version',
                                    ['published_version_id'], ['id'])

    op.create_table('program_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('target_group', sa.Integer(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['program_version.id'],
                            name=op.f('fk_program_group_version_id_program_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_group')),
    sa.UniqueConstraint('version_id', 'target_group', name=op.f('uq_program_group_version_id_target_group'))
    )
    with op.batch_alter_table('program_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_group_version_id'), ['version_id'], unique=False)

    op.create_table('program_course',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_program_course_course_id_course')),
    sa.ForeignKeyConstraint(['group_id'], ['program_group.id'],
                            name=op.f('fk_program_course_group_id_program_group')),
    sa.PrimaryKeyConstraint('group_id', 'course_id', name=op.f('pk_program_course'))
    )
    with op.batch_alter_table('program_course', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_course_course_id'), ['course_id'], unique=False)


def downgrade() -> None:
    op.drop_table('program_course')
    op.drop_table('program_group')
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_constraint('fk_program_published_version_id_program_version', type_='foreignkey')
    op.drop_table('program_version')
    op.drop_table('program')
