"""bot/rules/organisation.py: a unit's two names (committee and Party organisation), the
locality of the date line, the words of a confirmation and what members are called."""

from __future__ import annotations

import pytest

from bot.rules.organisation import (
    collective,
    letterhead,
    locality_of,
    member_noun,
    organisation_name,
    role_title,
    split_name,
)
from storage.records import Unit


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Thành ủy Cần Thơ", "city_committee", "Đảng bộ thành phố Cần Thơ"),
        ("Tỉnh ủy Hậu Giang", "city_committee", "Đảng bộ tỉnh Hậu Giang"),
        ("Quận ủy Bình Thủy", "committee", "Đảng bộ quận Bình Thủy"),
        ("Huyện ủy Phong Điền", "committee", "Đảng bộ huyện Phong Điền"),
        ("Thị ủy Long Mỹ", "committee", "Đảng bộ thị xã Long Mỹ"),
        ("Đảng ủy phường Ninh Kiều", "committee", "Đảng bộ phường Ninh Kiều"),
        ("Đảng ủy phường Ninh Kiều", "grassroots_committee", "Đảng bộ phường Ninh Kiều"),
        ("Đảng ủy Khối Cơ quan thành phố", "committee", "Đảng bộ Khối Cơ quan thành phố"),
        # The old tone placement and capitals are read alike; spaces are squeezed.
        ("Đảng uỷ  xã Mỹ Khánh", "committee", "Đảng bộ xã Mỹ Khánh"),
        ("THÀNH ỦY CẦN THƠ", "city_committee", "Đảng bộ thành phố CẦN THƠ"),
        # Already an organisation, or not a committee: the name stays.
        ("Đảng bộ phường An Hòa", "committee", "Đảng bộ phường An Hòa"),
        ("Ban Tuyên giáo và Dân vận", "committee", "Ban Tuyên giáo và Dân vận"),
        ("Chi bộ Khu vực 1", "cell", "Chi bộ Khu vực 1"),
        ("Tổ đảng số 2", "party_group", "Tổ đảng số 2"),
        ("Chi đoàn Khu vực 1", "mass_org_branch", "Chi đoàn Khu vực 1"),
        # A cell named like a committee is still a cell.
        ("Đảng ủy viên", "cell", "Đảng ủy viên"),
    ],
)
def test_the_organisation_name_is_derived_from_the_kind(
    name: str, kind: str, expected: str
) -> None:
    assert organisation_name(name, kind) == expected


def test_an_imported_organisation_name_wins() -> None:
    assert organisation_name("Ban Cán sự Đảng", "committee", "Đảng bộ Cơ quan") == (
        "Đảng bộ Cơ quan"
    )
    assert organisation_name("Quận ủy Cái Răng", "committee", "  ") == "Đảng bộ quận Cái Răng"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Thành ủy Cần Thơ", "Cần Thơ"),
        ("Đảng bộ thành phố Cần Thơ", "Cần Thơ"),
        ("Đảng ủy phường Ninh Kiều", "Ninh Kiều"),
        ("Đảng ủy phường 5", "Phường 5"),  # a number keeps its word
        ("Thành ủy Phù Sa (thử nghiệm)", "Phù Sa (thử nghiệm)"),
        ("Chi bộ Khu vực 1", ""),  # not a locality
        ("Ban Tuyên giáo", ""),
    ],
)
def test_the_locality_of_a_name(name: str, expected: str) -> None:
    assert locality_of(name) == expected


def test_names_split_into_their_kind_and_their_own_name() -> None:
    assert split_name("Chi bộ Khu vực 1") == ("Chi bộ", "Khu vực 1")
    assert split_name("Đảng bộ phường Ninh Kiều") == ("Đảng bộ", "phường Ninh Kiều")
    assert split_name("Quận ủy Bình Thủy") == ("Quận ủy", "Bình Thủy")
    assert split_name("Ban Tuyên giáo") == ("", "Ban Tuyên giáo")
    assert split_name("Chi bộ") == ("", "Chi bộ")  # nothing after the word
    assert collective("Chi bộ Khu vực 1") == "Chi bộ"
    assert collective("Đảng ủy phường Ninh Kiều") == "Đảng ủy"
    assert collective("Ban Tuyên giáo") == "Ban Tuyên giáo"


def test_the_signers_title_by_role_and_level() -> None:
    assert role_title("secretary", "Chi bộ Khu vực 1", "cell") == "Bí thư"
    assert role_title("deputy", "Đảng ủy phường Ninh Kiều", "committee") == "Phó Bí thư"
    assert role_title("committee", "Chi bộ Khu vực 1", "cell") == "Chi ủy viên"
    assert role_title("committee", "Đảng ủy phường Ninh Kiều", "committee") == "Đảng ủy viên"
    assert role_title("committee", "Quận ủy Bình Thủy", "committee") == "Quận ủy viên"
    assert role_title("committee", "Ban Cán sự", "committee") == "Cấp ủy viên"
    assert role_title("secretary", "Tổ đảng số 2", "party_group") == "Tổ trưởng"
    assert role_title("secretary", "Chi hội Phụ nữ Khu vực 1", "mass_org_branch") == (
        "Chi hội trưởng"
    )
    assert role_title("propaganda", "Chi bộ Khu vực 1", "cell") == ""


def test_what_members_are_called() -> None:
    assert member_noun("cell") == "đảng viên"
    assert member_noun("committee", "Đảng ủy phường Ninh Kiều") == "đảng viên"
    assert member_noun("mass_org_branch", "Chi đoàn Khu vực 1") == "đoàn viên"
    assert member_noun("mass_org_branch", "Công đoàn Trường Tiểu học") == "đoàn viên"
    assert member_noun("mass_org_branch", "Chi hội Cựu chiến binh") == "hội viên"


def _unit(unit_id: int, name: str, kind: str, parent: Unit | None = None) -> Unit:
    path = f"{parent.path}{unit_id}/" if parent else f"/{unit_id}/"
    return Unit(unit_id, f"U{unit_id}", name, kind, parent.id if parent else None, path)


def test_the_letterhead_names_the_superior_as_an_organisation() -> None:
    city = _unit(1, "Thành ủy Cần Thơ", "city_committee")
    ward = _unit(2, "Đảng ủy phường Ninh Kiều", "committee", city)
    cell = _unit(3, "Chi bộ Khu vực 1", "cell", ward)
    head = letterhead(cell, [city, ward], {})
    assert (head.superior, head.body, head.organisation, head.locality) == (
        "Đảng bộ phường Ninh Kiều",
        "Chi bộ Khu vực 1",
        "Chi bộ Khu vực 1",
        "Cần Thơ",
    )
    # A committee issues as itself, under the organisation above it.
    head = letterhead(ward, [city], {})
    assert (head.superior, head.body, head.organisation) == (
        "Đảng bộ thành phố Cần Thơ",
        "Đảng ủy phường Ninh Kiều",
        "Đảng bộ phường Ninh Kiều",
    )
    # The root has no superior; an imported name wins; a configured locality wins.
    head = letterhead(city, [], {1: "Đảng bộ TP. Cần Thơ"}, "Thành phố Cần Thơ")
    assert (head.superior, head.organisation, head.locality) == (
        "",
        "Đảng bộ TP. Cần Thơ",
        "Thành phố Cần Thơ",
    )
