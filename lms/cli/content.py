"""`lms check`, `lms import`, `lms index`: the teachers' content, checked and published, and the search
index."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import search as search_index
from ..db import write_intent
from ..domain import content, sources
from ..domain.problems import ContentError
from ..extensions import db
from ..models import utcnow


def _print_problems(result: content.CheckResult) -> None:
    for problem in result.problems:
        click.echo(str(problem), err=True)


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def check_command(paths: tuple[Path, ...]) -> None:
    """Check courses, quizzes and programs (all, or each PATH as what it is); print every problem as
    path:line: message; exit 1 if any, 2 if a PATH is not content or there is nothing to check."""
    root = Path(current_app.config["CONTENT_DIR"])
    try:
        result = sources.check(list(paths) or [root], root)
    except sources.NothingToCheck as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    _print_problems(result)
    if result.problems:
        click.echo(f"{len(result.problems)} lỗi / problem(s) found.", err=True)
        sys.exit(1)
    lessons = sum(len(c.lessons) for c in result.courses)
    click.echo(f"OK: {len(result.courses)} khóa học / courses, {lessons} bài học / lessons, "
               f"{result.quizzes} bài kiểm tra / quizzes, {len(result.programs)} chương trình / programs "
               "— không có lỗi (no problems).")


@click.command("import")
@click.option("--skip-invalid", is_flag=True, help="Publish the valid courses and programs even if others have errors.")
@with_appcontext
def import_command(skip_invalid: bool) -> None:
    """Publish all courses and programs atomically: with any error nothing changes (unless --skip-invalid)."""
    from ..services import catalog, publishing

    root = Path(current_app.config["CONTENT_DIR"])
    result = content.load(root)
    _print_problems(result)
    if result.problems and not skip_invalid:
        click.echo(f"{len(result.problems)} lỗi: không có gì được xuất bản; phiên bản cũ vẫn giữ nguyên. "
                   "(problems found: nothing was published; the live versions are unchanged)", err=True)
        sys.exit(1)
    token = write_intent.set(True)
    try:
        now = utcnow()
        outcomes = publishing.publish(db.session, result.courses, now)
        program_outcomes = publishing.publish_programs(db.session, result.programs, result.failed_programs, now)
        db.session.commit()
    except ContentError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} lỗi: không có gì được xuất bản; phiên bản cũ vẫn giữ nguyên. "
                   "(problems found: nothing was published; the live versions are unchanged)", err=True)
        sys.exit(1)
    finally:
        write_intent.reset(token)
    for o in outcomes:
        click.echo(f"{o.slug}: {o.status} (v{o.version})")
    for o in program_outcomes:
        click.echo(f"program {o.slug}: {o.status} (v{o.version})")
    for slug in sorted(result.failed_slugs):
        click.echo(f"{slug}: skipped, the live version is unchanged", err=True)
    for code in sorted(result.failed_programs):
        click.echo(f"program {code}: skipped, the live version is unchanged", err=True)
    count = search_index.rebuild(current_app.config["INDEX_DIR"], catalog.search_documents(db.session),
                                 catalog.content_stamp(db.session))
    click.echo(f"search index: {count} documents")
    if result.problems:
        sys.exit(1)


@click.command("index")
@with_appcontext
def index_command() -> None:
    """Rebuild this server's search index from the published content in the database."""
    from ..services import catalog

    count = search_index.rebuild(current_app.config["INDEX_DIR"], catalog.search_documents(db.session),
                                 catalog.content_stamp(db.session))
    click.echo(f"search index: {count} documents")
