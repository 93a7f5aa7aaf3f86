"""catalog tags: what the catalog filters a course version on (competence areas, target groups), one row per
value, so one page of the catalog is selected, filtered and sorted in the database (issue 9 §4); the versions
already published get their tags from their JSON lists

Revision ID: 7b3e9d1c5a20
Revises: 8c4d2f6a1e37
Create Date: 2026-12-02 19:00:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op


revision = '7b3e9d1c5a20'
down_revision = '8c4d2f6a1e37'
branch_labels = None
depends_on = None


def _list(value: object) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]


def upgrade() -> None:
    tags = op.create_table(
        'course_version_tag',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['course_version.id'],
                                name=op.f('fk_course_version_tag_version_id_course_version')),
        sa.PrimaryKeyConstraint('version_id', 'tag', name=op.f('pk_course_version_tag')),
    )
    op.create_index('ix_course_version_tag_tag', 'course_version_tag', ['tag', 'version_id'], unique=False)
    versions = op.get_bind().execute(sa.text("SELECT id, target_groups, competencies FROM course_version")).all()
    rows = []
    for version_id, groups, competencies in versions:
        values = {f"g:{g}" for g in _list(groups)} | {f"d:{str(c).split('.')[0]}" for c in _list(competencies)}
        rows += [{"version_id": version_id, "tag": tag} for tag in sorted(values)]
    if rows:
        op.bulk_insert(tags, rows)


def downgrade() -> None:
    op.drop_index('ix_course_version_tag_tag', table_name='course_version_tag')
    op.drop_table('course_version_tag')
