"""The catalog and search a page at a time (issue 9 §4, content at scale): the pages are selected, filtered and
sorted in the database or the index, every course is on exactly one page, the links keep the filters, and a
page past the last is 404. The content: the two demo courses and 21 copies under new slugs (23 courses, two
catalog pages)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.services.catalog import PAGE_SIZE
from tests.web.test_catalog import hits, listed
from tests.web.pages import page

COPIES = 21


def _copy_course(root: Path, slug: str, number: int, minutes: int, level: int, groups: str) -> None:
    """The demo course `slug` copied as `<slug>-<number>` with its own quiz file and these properties."""
    target = root / "courses" / f"{slug}-{number}"
    shutil.copytree(root / "courses" / slug, target)
    shutil.copy2(root / "quizzes" / f"{slug}.md", root / "quizzes" / f"{slug}-{number}.md")
    for path in target.glob("*.md"):
        text = path.read_text(encoding="utf-8").replace(f"quizzes/{slug}.md", f"quizzes/{slug}-{number}.md")
        if path.name == "course.md":
            text = text.replace(f"- file: {slug}.md", f"- file: {slug}-{number}.md")
            text = re.sub(r"^title: (.+)$", rf"title: \1 {number:02d}", text, count=1, flags=re.M)
            text = re.sub(r"^minutes: \d+$", f"minutes: {minutes}", text, count=1, flags=re.M)
            text = re.sub(r"^level: \d+$", f"level: {level}", text, count=1, flags=re.M)
            text = re.sub(r"^target_groups: .+$", f"target_groups: {groups}", text, count=1, flags=re.M)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def many(app: Flask, runner: Any, content_root: Path) -> Flask:
    """23 live courses: the demo two and 21 copies (odd copies level 3 for groups [2]; minutes 10, 20, ...)."""
    originals = sorted(p.name for p in (content_root / "courses").iterdir())
    for number in range(1, COPIES + 1):
        _copy_course(content_root, originals[number % 2], number, minutes=10 * number,
                     level=3 if number % 2 else 2, groups="[2]" if number % 2 else "[1, 3]")
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    return app


def _pages(client: FlaskClient, url: str) -> list[list[str]]:
    """The course slugs of every page, in order, following the "next page" links from `url`."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        doc = page(response)
        cards = [card.find("a").attrs["href"].split("/")[2] for card in doc.find_all("li", cls="card")]
        assert len(set(cards)) == len(cards) == len(listed(doc))
        pages.append(cards)
        nxt = doc.find("a", rel="next")
        url = nxt.attrs["href"].replace("&amp;", "&") if nxt is not None else ""
    return pages


def test_every_course_is_on_exactly_one_page(many: Flask, client: FlaskClient) -> None:
    pages = _pages(client, "/courses")
    assert [len(p) for p in pages] == [PAGE_SIZE, 2 + COPIES - PAGE_SIZE]
    everyone = [slug for p in pages for slug in p]
    assert len(everyone) == len(set(everyone)) == 2 + COPIES
    doc = page(client.get("/courses"))
    status = doc.find("p", role="status")
    assert status is not None and "23" in status.text
    assert re.search(r"\b1\b.*\b2\b", status.text), status.text  # "page 1 of 2"
    assert client.get("/courses?page=3").status_code == 404
    for junk in ("abc", "0", "-1", "²", "9" * 30):
        assert listed(page(client.get(f"/courses?page={junk}"))) == set(pages[0]), junk  # junk: page 1


def test_the_page_links_keep_the_filters_and_the_sort(many: Flask, client: FlaskClient) -> None:
    """Level 2 for group 1: the demo courses (level 2, for every group) and the even copies (level 2, for
    groups 1 and 3); group 2: the demo courses and the odd copies."""
    level2 = _pages(client, "/courses?level=2&group=1&sort=short")
    assert len(level2) == 1 and len(level2[0]) == 2 + COPIES // 2
    shortest = _pages(client, "/courses?sort=short")
    flat = [slug for p in shortest for slug in p]
    minutes = {f"{s}": int(s.rsplit("-", 1)[1]) * 10 for s in flat if s.rsplit("-", 1)[1].isdigit()}
    copies = [s for s in flat if s in minutes]
    assert [minutes[s] for s in copies] == sorted(minutes.values())  # shortest first, across both pages
    second = client.get("/courses?sort=short&group=2&page=1")
    doc = page(second)
    copies_for_2 = [s for s in listed(doc) if s.rsplit("-", 1)[1].isdigit()]
    assert len(listed(doc)) == 2 + len(copies_for_2) and len(copies_for_2) == (COPIES + 1) // 2
    assert all(int(s.rsplit("-", 1)[1]) % 2 for s in copies_for_2)  # the demo two are for everyone
    # the sort stays chosen in the form
    select = doc.find("select", name="sort")
    assert select is not None
    assert [o.attrs.get("value") for o in select.find_all("option") if "selected" in o.attrs] == ["short"]
    # newest first: a course re-imported with a change goes to the top
    by_title = _pages(client, "/courses")[0]
    newest = _pages(client, "/courses?sort=new")
    assert sorted(s for p in newest for s in p) == sorted(s for p in _pages(client, "/courses") for s in p)
    assert by_title != newest[0]


def test_a_catalog_page_costs_the_same_statements_with_2_or_23_courses(
        published: Flask, client: FlaskClient, count_queries: Callable[[], Any], runner: Any,
        content_root: Path) -> None:
    def statements(url: str) -> int:
        client.get(url)  # warm: the first request of a process reads what it caches
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = ("/courses", "/courses?group=2&level=2&domain=4&sort=new", "/")
    few = [statements(url) for url in urls]
    originals = sorted(p.name for p in (content_root / "courses").iterdir())
    for number in range(1, COPIES + 1):
        _copy_course(content_root, originals[number % 2], number, 10 * number, 2, "[2]")
    result = runner.invoke(args=["import"])
    assert result.exit_code == 0, result.output
    assert [statements(url) for url in urls] == few


def test_search_a_page_at_a_time(many: Flask, client: FlaskClient) -> None:
    first = page(client.get("/search?q=lừa đảo"))
    one = [href for href, _ in hits(first)]
    assert len(one) == 10
    nxt = first.find("a", rel="next")
    assert nxt is not None and "page=2" in nxt.attrs["href"]
    second = page(client.get(nxt.attrs["href"].replace("&amp;", "&")))
    two = [href for href, _ in hits(second)]
    assert two and not set(one) & set(two)
    results = second.find("ol", cls="results")
    assert results is not None and results.attrs.get("start") == "11"
    assert second.find("a", rel="prev") is not None
    assert client.get("/search?q=lừa đảo&page=51").status_code == 404  # past the deepest page served
    assert client.get("/search?q=xylophonequark&page=2").status_code == 404
    assert client.get("/search?q=xylophonequark").status_code == 200
