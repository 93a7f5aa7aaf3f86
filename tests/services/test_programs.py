"""Publishing programs with the courses and reading the live one for a group and year."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.domain import content
from lms.domain.achievement import Requirement
from lms.domain.problems import ContentError, Problem
from lms.models import Program, ProgramCourse, ProgramGroup, ProgramVersion
from lms.services import programs, publishing
from lms.services.publishing import Outcome

from .conftest import SCAM, VNEID

DEMO = "pho-cap-ky-nang-so-co-ban"
EXTRA = """---
title: Chương trình thử
years: 2027
vneid_level: 1
groups:
  3:
    courses: [{course}]
    competencies: ["4.2", "2.6"]
---
"""


def load(root: Path) -> content.CheckResult:
    result = content.load(root)
    assert result.problems == []
    return result


def publish_all(session: Session, root: Path, now: datetime) -> list[Outcome]:
    result = load(root)
    publishing.publish(session, result.courses, now)
    outcomes = publishing.publish_programs(session, result.programs, set(), now)
    session.commit()
    return outcomes


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_demo_program_applies_to_every_group_in_2025_and_2026(session: Session, content_root: Path,
                                                                  now: datetime) -> None:
    assert publish_all(session, content_root, now) == [Outcome(DEMO, "new", 1)]
    for group in (1, 2, 3, 4):
        for year in (2025, 2026):
            assert programs.live_for(session, group, year) == Requirement(DEMO, 1, group, 2,
                                                                          frozenset({SCAM, VNEID}))
        assert programs.live_for(session, group, 2024) is None
        assert programs.live_for(session, group, 2027) is None
    [live] = programs.live(session)
    assert (live.code, live.version, live.first_year, live.last_year, live.vneid_level) == (DEMO, 1, 2025, 2026, 2)
    assert "05-KH/BCĐ57" in live.plan and "08-KH/BCĐT" in live.plan
    assert [r.group for r in live.requirements] == [1, 2, 3, 4]
    assert live.requirement(3) == programs.live_for(session, 3, 2025)


def test_unchanged_writes_nothing_and_a_change_is_a_new_version(session: Session, content_root: Path,
                                                                now: datetime) -> None:
    publish_all(session, content_root, now)
    rows = [count(session, m) for m in (ProgramVersion, ProgramGroup, ProgramCourse)]
    assert rows == [1, 4, 8]
    assert publish_all(session, content_root, now + timedelta(days=1)) == [Outcome(DEMO, "unchanged", 1)]
    assert [count(session, m) for m in (ProgramVersion, ProgramGroup, ProgramCourse)] == rows
    path = content_root / "programs" / f"{DEMO}.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  4:\n    courses: [nhan-dien-lua-dao, dung-vneid-dich-vu-cong]\n",
                                 "  4:\n    courses: [dung-vneid-dich-vu-cong]\n    competencies: [\"4.2\"]\n"),
                    encoding="utf-8")
    assert publish_all(session, content_root, now + timedelta(days=2)) == [Outcome(DEMO, "updated", 2)]
    assert programs.live_for(session, 4, 2025) == Requirement(DEMO, 2, 4, 2, frozenset({VNEID}), frozenset({"4.2"}))
    assert programs.live_for(session, 3, 2025) == Requirement(DEMO, 2, 3, 2, frozenset({SCAM, VNEID}))
    # the first version is kept as it was, for the reports that used it
    assert [count(session, m) for m in (ProgramVersion, ProgramGroup, ProgramCourse)] == [2, 8, 15]


def test_programs_for_other_years_and_groups_and_withdrawal(session: Session, content_root: Path,
                                                           now: datetime) -> None:
    (content_root / "programs" / "thu.md").write_text(EXTRA.format(course=SCAM), encoding="utf-8")
    assert sorted(publish_all(session, content_root, now), key=lambda o: o.slug) == [
        Outcome(DEMO, "new", 1), Outcome("thu", "new", 1)]
    assert programs.live_for(session, 3, 2027) == Requirement("thu", 1, 3, 1, frozenset({SCAM}),
                                                              frozenset({"4.2", "2.6"}))
    assert programs.live_for(session, 2, 2027) is None  # "thu" does not cover group 2
    (content_root / "programs" / f"{DEMO}.md").unlink()
    assert publish_all(session, content_root, now) == [Outcome("thu", "unchanged", 1), Outcome(DEMO, "withdrawn", 1)]
    assert programs.live_for(session, 3, 2025) is None
    assert [p.code for p in programs.live(session)] == ["thu"]
    assert session.scalars(select(Program).where(Program.code == DEMO)).one().published_version_id is None


def test_a_program_needs_live_courses(session: Session, content_root: Path, now: datetime) -> None:
    """Publishing refuses a program naming a course that has no live version (the caller rolls back)."""
    result = load(content_root)
    with pytest.raises(ContentError) as caught:
        publishing.publish_programs(session, result.programs, set(), now)
    lines = [7, 9, 11, 13]  # each group's line
    assert caught.value.problems == sorted(
        Problem(f"programs/{DEMO}.md", line, f"khóa học '{slug}' chưa được xuất bản (the course has no published "
                                             "version)") for line in lines for slug in (SCAM, VNEID))
    session.rollback()
    assert count(session, Program) == 0


def test_a_kept_program_that_overlaps_a_new_one_is_refused(session: Session, content_root: Path,
                                                           now: datetime) -> None:
    """Only possible with --skip-invalid: the kept live version of a broken program and a new program."""
    publish_all(session, content_root, now)
    (content_root / "programs" / "thu.md").write_text(EXTRA.format(course=SCAM).replace("2027", "2026"),
                                                      encoding="utf-8")
    assert content.load(content_root).failed_programs == {"thu"}  # on disk the overlap is a problem ...
    # ... so say the demo file broke (kept at its live version under --skip-invalid) and "thu" is valid
    (content_root / "programs" / f"{DEMO}.md").unlink()
    result = load(content_root)
    thu = result.programs
    assert [p.code for p in thu] == ["thu"]
    publishing.publish(session, result.courses, now)
    with pytest.raises(ContentError) as caught:
        publishing.publish_programs(session, thu, {DEMO}, now)
    assert caught.value.problems == [Problem("programs/thu.md", 1, f"nhóm 3 năm 2026 đã thuộc chương trình '{DEMO}' "
                                                                   "đang được dùng (two live programs for one group "
                                                                   "in one year)")]
    session.rollback()
    assert [p.code for p in programs.live(session)] == [DEMO]


def test_two_live_programs_for_one_group_and_year_are_never_guessed_between(session: Session, content_root: Path,
                                                                           now: datetime) -> None:
    """Publishing refuses it; a database changed by hand gets an error, not one of the two at random."""
    publish_all(session, content_root, now)
    other = Program(code="tay", created_at=now)
    session.add(other)
    session.flush()
    version = ProgramVersion(program_id=other.id, number=1, content_hash="0" * 64, title="Tay", plan="",
                             first_year=2026, last_year=2026, vneid_level=2, description_html="", created_at=now)
    session.add(version)
    session.flush()
    session.add(ProgramGroup(version_id=version.id, target_group=3, competencies=["4.2"]))
    other.published_version_id = version.id
    session.commit()
    assert programs.live_for(session, 3, 2025) == Requirement(DEMO, 1, 3, 2, frozenset({SCAM, VNEID}))
    with pytest.raises(programs.AmbiguousProgram, match=f"group 3 in 2026: {DEMO}, tay"):
        programs.live_for(session, 3, 2026)
