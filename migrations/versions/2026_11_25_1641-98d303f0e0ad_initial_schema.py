"""initial schema

Revision ID: 98d303f0e0ad
Revises: 
Create Date: 2026-11-25 16:41:00.129221
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import lms.models.base


revision = '98d303f0e0ad'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('asset',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime', sa.String(length=50), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_asset'))
    )
    op.create_table('course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course')),
    sa.UniqueConstraint('slug', name=op.f('uq_course_slug'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('target_group', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email')),
    sa.UniqueConstraint('phone', name=op.f('uq_user_account_phone'))
    )
    op.create_table('course_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('intro_html', sa.Text(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('target_groups', sa.JSON(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('completion', sa.JSON(), nullable=False),
    sa.Column('created_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_version_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_version')),
    sa.UniqueConstraint('course_id', 'number', name=op.f('uq_course_version_course_id_number'))
    )
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_version_course_id'), ['course_id'], unique=False)
    # course <-> course_version is circular: the "live version" key is added once both tables exist.
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_course_published_version_id_course_version', 'course_version',
                                    ['published_version_id'], ['id'])

    op.create_table('enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('completed_at', lms.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_enrolment_course_id_course')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_enrolment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment')),
    sa.UniqueConstraint('user_id', 'course_id', name=op.f('uq_enrolment_user_id_course_id'))
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_user_id'), ['user_id'], unique=False)

    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('lesson_slug', sa.String(length=100), nullable=False),
    sa.Column('done_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_lesson_progress_course_id_course')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_lesson_progress_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_progress')),
    sa.UniqueConstraint('user_id', 'course_id', 'lesson_slug', name=op.f('uq_lesson_progress_user_id_course_id_lesson_slug'))
    )
    op.create_table('lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['course_version.id'], name=op.f('fk_lesson_version_id_course_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson')),
    sa.UniqueConstraint('version_id', 'slug', name=op.f('uq_lesson_version_id_slug'))
    )
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_version_id'), ['version_id'], unique=False)

    op.create_table('quiz',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro_html', sa.Text(), nullable=False),
    sa.Column('pass_percent', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('draw', sa.Integer(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('shuffle', sa.Boolean(), nullable=False),
    sa.Column('ignore_diacritics', sa.Boolean(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['course_version.id'], name=op.f('fk_quiz_version_id_course_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz')),
    sa.UniqueConstraint('version_id', 'slug', name=op.f('uq_quiz_version_id_slug'))
    )
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_version_id'), ['version_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('prompt_html', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('explanation_html', sa.Text(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_question_quiz_id_quiz')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('quiz_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('quiz_slug', sa.String(length=100), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('started_at', lms.models.base.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', lms.models.base.UTCDateTime(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.Column('correct', sa.Integer(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_quiz_attempt_course_id_course')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_quiz_attempt_quiz_id_quiz')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_quiz_attempt_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempt')),
    sa.UniqueConstraint('user_id', 'course_id', 'quiz_slug', 'number', name=op.f('uq_quiz_attempt_user_id_course_id_quiz_slug_number'))
    )
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempt_user_id'))

    op.drop_table('quiz_attempt')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_quiz_id'))

    op.drop_table('question')
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_version_id'))

    op.drop_table('quiz')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_version_id'))

    op.drop_table('lesson')
    op.drop_table('lesson_progress')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_user_id'))
        batch_op.drop_index(batch_op.f('ix_enrolment_course_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint('fk_course_published_version_id_course_version', type_='foreignkey')
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_version_course_id'))

    op.drop_table('course_version')
    op.drop_table('user_account')
    op.drop_table('course')
    op.drop_table('asset')
