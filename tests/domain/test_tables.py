"""The table model: one computation of every figure, the "÷ registered" flag, and its rules."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from lms.domain.tables import ENGLISH, VIETNAMESE, Column, Kind, Table, as_percent, percent

from .reporting_tables import AS_OF, COLUMNS, ROWS, make_table


def _half_up_tenths(numerator: int, denominator: int) -> Decimal:
    exact = Fraction(numerator * 100, denominator)
    tenths = int(exact * 10)
    if exact * 10 - tenths >= Fraction(1, 2):
        tenths += 1
    return Decimal(tenths) / 10


def test_percent_is_exact_and_rounds_half_up() -> None:
    assert percent(1, 8) == Decimal("12.5")
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 2000) == Decimal("0.1")     # 0.05 % rounds up
    assert percent(1, 2001) == Decimal("0.0")
    assert percent(853, 1000) == Decimal("85.3")
    assert percent(5, 4) == Decimal("125.0")
    assert percent(0, 0) is None
    for denominator in range(1, 120):
        for numerator in range(0, denominator + 3):
            assert percent(numerator, denominator) == _half_up_tenths(numerator, denominator), \
                (numerator, denominator)
    with pytest.raises(ValueError):
        percent(-1, 3)


def test_given_percentages_round_the_same_way() -> None:
    assert as_percent(80) == Decimal("80.0")
    assert as_percent(Decimal("12.25")) == Decimal("12.3")
    assert as_percent(0.125 * 100) == Decimal("12.5")
    assert as_percent(Fraction(1, 3) * 100) == Decimal("33.3")
    with pytest.raises(TypeError):
        as_percent("80")


def test_cells_compute_the_rate_and_flag_the_fallback() -> None:
    table = make_table()
    labels = [column.label for column in table.header()]
    assert labels == ["Đơn vị", "Đạt", "Dân số mục tiêu", "Đã đăng ký", "Tỷ lệ", "Mẫu số", "Chỉ tiêu",
                      "Chênh lệch", "Cập nhật"]
    rows = list(table.body())
    first = rows[0]
    assert [cell.value for cell in first] == ["Phường Hoàn Kiếm", 853, 1000, 1200, Decimal("85.3"), "",
                                              Decimal("90.0"), -47, date(2025, 6, 1)]
    assert [cell.text for cell in first] == ["Phường Hoàn Kiếm", "853", "1.000", "1.200", "85,3 %", "",
                                             "90,0 %", "-47", "01/06/2025"]
    assert not first[4].flagged and first[4].ratio == pytest.approx(0.853)
    # No population: 5 ÷ 7 registered, flagged on the cell and in the basis column.
    third = rows[2]
    assert third[4].value == Decimal("71.4") and third[4].flagged
    assert third[5].text == "÷ người đăng ký"
    assert third[2].text == "—" and third[7].value == 12
    # A population of 0: no rate, and not flagged (the population is known).
    fourth = rows[3]
    assert fourth[4].value is None and fourth[4].text == "—" and not fourth[4].flagged and fourth[5].text == ""
    # Neither population nor registered: nothing to divide by, and no flag.
    sixth = rows[5]
    assert sixth[4].value is None and not sixth[4].flagged and sixth[5].text == ""
    totals = table.footer()
    assert totals is not None and totals[4].value == percent(862, 1011) and totals[0].text == "Tổng"


def test_english_style() -> None:
    table = Table(title="t", as_of=AS_OF, as_of_text="as of", columns=COLUMNS, rows=ROWS, style=ENGLISH)
    first = next(table.body())
    assert [cell.text for cell in first][1:5] == ["853", "1,000", "1,200", "85.3%"]
    assert first[-1].text == "2025-06-01"
    assert VIETNAMESE.integer(-1234567) == "-1.234.567"


def test_rows_are_read_once_and_lazily() -> None:
    read: list[int] = []

    def rows():  # type: ignore[no-untyped-def]
        for number, row in enumerate(ROWS):
            read.append(number)
            yield row

    body = make_table(rows=rows()).body()
    assert read == []
    next(body)
    assert read == [0]


@pytest.mark.parametrize("columns, message", [
    ((Column("a", "A"), Column("a", "B")), "unique"),
    ((Column("n", "N", Kind.INTEGER), Column("r", "R", Kind.PERCENT, numerator="n")), "both"),
    ((Column("n", "N"), Column("d", "D", Kind.INTEGER),
      Column("r", "R", Kind.PERCENT, numerator="n", denominator="d")), "'n' is not an integer column"),
    ((Column("d", "D", Kind.INTEGER), Column("r", "R", Kind.PERCENT, numerator="hidden", denominator="d")),
     "'hidden'"),
    ((Column("r", "R", Kind.PERCENT, fallback="x"),), "fallback"),
    ((Column("t", "T", numerator="x"),), "only a percent column"),
])
def test_a_rate_is_always_shown_with_its_counts(columns: tuple[Column, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Table(title="t", as_of=AS_OF, as_of_text="", columns=columns, rows=())


def test_as_of_must_be_aware_and_values_typed() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Table(title="t", as_of=datetime(2025, 1, 1), as_of_text="", columns=COLUMNS, rows=())
    table = make_table(rows=[{"unit": "x", "achieved": "3"}])
    with pytest.raises(TypeError):
        list(table.body())
