"""The TT 02/2025 framework, the target groups and the provinces, as shipped in lms/data."""
from __future__ import annotations

import pytest

from lms.domain.framework import framework

COMPETENCY_CODES = [
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3", "4.4",
    "5.1", "5.2", "5.3", "5.4",
    "6.1", "6.2", "6.3",
]

def test_six_domains_in_order() -> None:
    """There are exactly the six domains 1-6, domain 6 being AI."""
    fw = framework()
    assert [d.code for d in fw.domains] == ["1", "2", "3", "4", "5", "6"]
    assert fw.domains[5].vi == "Ứng dụng trí tuệ nhân tạo"
    assert fw.domains[3].vi == "An toàn"


def test_exactly_the_24_competencies() -> None:
    """The competency codes are exactly the 24 listed in FRAMEWORK.md, in order."""
    assert list(framework().competencies) == COMPETENCY_CODES


@pytest.mark.parametrize(("code", "vi"), [
    ("1.1", "Duyệt, tìm kiếm và lọc dữ liệu, thông tin và nội dung số"),
    ("2.3", "Sử dụng công nghệ số để thực hiện trách nhiệm công dân"),
    ("2.6", "Quản lý danh tính số"),
    ("3.4", "Lập trình"),
    ("4.2", "Bảo vệ dữ liệu cá nhân và quyền riêng tư"),
    ("5.4", "Xác định các vấn đề cần cải thiện về năng lực số"),
])
def test_competency_names(code: str, vi: str) -> None:
    """Competencies carry their Vietnamese name and an English gloss."""
    competency = framework().competencies[code]
    assert competency.vi == vi
    assert competency.en and competency.en != competency.vi
    assert competency.name("vi") == vi
    assert competency.name("en_GB") == competency.en


@pytest.mark.parametrize("code", COMPETENCY_CODES)
def test_domain_of_every_competency(code: str) -> None:
    """Every competency belongs to the domain named by its first digit."""
    domain = framework().domain_of(code)
    assert domain.code == code.split(".")[0]
    assert code in [c.code for c in domain.competencies]


def test_eight_levels_in_four_tiers() -> None:
    """Levels 1-8 are split two by two into Cơ bản, Trung cấp, Nâng cao, Chuyên sâu."""
    fw = framework()
    assert fw.levels == (1, 2, 3, 4, 5, 6, 7, 8)
    assert [(t.vi, t.levels) for t in fw.tiers] == [
        ("Cơ bản", (1, 2)), ("Trung cấp", (3, 4)), ("Nâng cao", (5, 6)), ("Chuyên sâu", (7, 8))]


@pytest.mark.parametrize(("level", "tier"), [
    (1, "Cơ bản"), (2, "Cơ bản"), (3, "Trung cấp"), (4, "Trung cấp"),
    (5, "Nâng cao"), (6, "Nâng cao"), (7, "Chuyên sâu"), (8, "Chuyên sâu"),
])
def test_tier_of_level(level: int, tier: str) -> None:
    """Each level maps to its tier."""
    assert framework().tier_of(level).vi == tier


@pytest.mark.parametrize(("code", "vi"), [
    (1, "Cán bộ, công chức, viên chức và người lao động khu vực công"),
    (2, "Học sinh, sinh viên"),
    (3, "Người dân trong độ tuổi trưởng thành"),
    (4, "Người lao động trong doanh nghiệp, hợp tác xã"),
])
def test_target_groups(code: int, vi: str) -> None:
    """The four target groups have codes 1-4 and their names."""
    assert framework().target_group(code).vi == vi


def test_only_four_target_groups() -> None:
    """No fifth target group exists."""
    assert [g.code for g in framework().target_groups] == ["1", "2", "3", "4"]
