"""Issue 9, section 2: each server keeps its own search index, built from the database; a course published
through one server (`lms import` there) is found through another by its first search after at most
SEARCH_REFRESH_SECONDS (lms/web/catalog.fresh_index), without `lms index` on that server."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask

from lms import create_app, migrate


def _server(tmp_path: Path, name: str, content: Path, refresh: float) -> Flask:
    """An app over the test's own SQLite file with its own index folder (another machine's disk). The feature
    does not depend on the database (the index is a folder per server, the stamp one small SELECT), and two
    apps in one test process over the shared PostgreSQL test database left a pooled connection to the
    garbage collector (a ResourceWarning), so these two servers share a SQLite file instead."""
    return create_app({"TESTING": True, "LMS_MODE": "demo", "PUBLIC_URL": "http://localhost",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite'}", "SECRET_KEY": "test-secret",
                       "CONTENT_DIR": str(content), "INDEX_DIR": str(tmp_path / name / "index"),
                       "SEARCH_REFRESH_SECONDS": refresh}, instance_path=str(tmp_path / name / "instance"))


@pytest.fixture
def publisher(tmp_path: Path, content_root: Path) -> Iterator[Flask]:
    """The server where the content is imported (`lms import` through its CLI), on a fresh database."""
    from lms.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    migrate.upgrade(engine)
    engine.dispose()
    app = _server(tmp_path, "publisher", content_root, 10)
    result = app.test_cli_runner().invoke(args=["import"])
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["lms_db"].engine.dispose()


def _titles(server: Flask, words: str) -> list[str]:
    page = server.test_client().get("/search", query_string={"q": words}).get_data(as_text=True)
    return [line for line in page.splitlines() if "/courses/" in line]


def _publish_new_course(content_root: Path, runner: Any) -> None:
    """A copy of the scam course under a new slug with an unmistakable word in its title, imported through
    the first server's `lms import`."""
    source, target = content_root / "courses" / "nhan-dien-lua-dao", content_root / "courses" / "khoa-hoc-moi"
    shutil.copytree(source, target)
    course_md = target / "course.md"
    text = course_md.read_text(encoding="utf-8")
    course_md.write_text(text.replace("title: Nhận diện lừa đảo trực tuyến", "title: Xylophonrama an toàn", 1),
                         encoding="utf-8")
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output


def test_a_course_published_on_one_server_is_found_on_the_other(publisher: Flask, content_root: Path,
                                                                 tmp_path: Path) -> None:
    published, runner = publisher, publisher.test_cli_runner()
    other = _server(tmp_path, "other", content_root, refresh=0)
    assert _titles(other, "lừa đảo")  # no `lms index` there: its first search built its index
    assert not _titles(other, "xylophonrama")
    _publish_new_course(content_root, runner)
    assert _titles(published, "xylophonrama")  # the importing server rebuilt its own index
    found = _titles(other, "xylophonrama")
    assert found and any("khoa-hoc-moi" in line for line in found)
    other.extensions["lms_db"].engine.dispose()


def test_within_the_refresh_interval_the_index_is_not_checked(publisher: Flask, content_root: Path,
                                                              tmp_path: Path) -> None:
    """The control: the check runs at most once per interval per process, so with a long interval the other
    server does not see the new course yet (and an expired interval is what makes it see it)."""
    runner = publisher.test_cli_runner()
    other = _server(tmp_path, "other", content_root, refresh=3600)
    assert _titles(other, "lừa đảo")
    _publish_new_course(content_root, runner)
    assert not _titles(other, "xylophonrama")
    other.extensions["lms_search_checked"]["at"] = float("-inf")  # the interval has passed
    assert _titles(other, "xylophonrama")
    other.extensions["lms_db"].engine.dispose()
