"""Choosing a place among the 3,321 communes without JavaScript: a GET step with the province, then the form
lists that province's communes in force; the pages stay light; the server checks the pair."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from typing import Any, Callable

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from lms.models import User
from lms.services import units
from lms.vneid_stub import registry as stub_registry
from tests.conftest import Auth, csrf_token
from tests.vneid.support import install_registry
from tests.web.identity import Vneid
from tests.web.pages import Node, field_error, page as parse_page, vi

LIGHT = 30_000  # bytes: an old phone on a slow line


def soup(response: Any) -> Node:
    return parse_page(response)


def options(page: Node, select_id: str) -> list[str]:
    found = page.find("select", id=select_id)
    assert found is not None, f"no select #{select_id}"
    return [o.attrs.get("value", "") for o in found.find_all("option")]


def selected(page: Node, select_id: str) -> str | None:
    found = page.find("select", id=select_id)
    assert found is not None
    chosen = [o.attrs.get("value") for o in found.find_all("option") if "selected" in o.attrs]
    return chosen[0] if chosen else None


def test_first_step_lists_the_provinces_and_no_commune(client: FlaskClient) -> None:
    response = client.get("/register")
    page = soup(response)
    step = page.find("form", method="get")
    assert step is not None and step.find("select", id="province") is not None
    assert step.find("button").text == "Tiếp: chọn xã/phường"
    provinces = options(page, "province")
    assert provinces[0] == "" and len(provinces) == 35 and "79" in provinces
    assert page.find("select", id="commune") is None
    assert vi("Your commune or ward: choose your province or city above first.") in page.text
    assert len(response.data) < LIGHT
    assert b"<script" not in response.data


def test_second_step_lists_only_that_provinces_communes_and_stays_light(client: FlaskClient) -> None:
    for code, count in (("79", 168), ("01", 126), ("12", None)):
        response = client.get(f"/register?province={code}")
        assert response.status_code == 200
        page = soup(response)
        communes = options(page, "commune")
        if count:
            assert len(communes) == 1 + count
        assert len(response.data) < LIGHT, (code, len(response.data))
        post = page.find("form", cls="form", method="post")
        assert post.find("input", name="province", type="hidden").attrs["value"] == code
        assert selected(page, "province") == code
    hcm = soup(client.get("/register?province=79"))
    assert "26740" in options(hcm, "commune") and "00070" not in options(hcm, "commune")
    assert vi("The communes and wards of %(province)s.", province="Thành phố Hồ Chí Minh") in hcm.text


def test_an_unknown_province_is_the_first_step_again(client: FlaskClient) -> None:
    for value in ("99", "x" * 500, "<b>"):
        response = client.get("/register", query_string={"province": value})
        assert response.status_code == 200
        assert soup(response).find("select", id="commune") is None


def test_the_step_keeps_next(client: FlaskClient) -> None:
    page = soup(client.get("/register?next=/courses"))
    step = page.find("form", method="get")
    assert step.find("input", name="next").attrs["value"] == "/courses"


def errors(response: Any) -> dict[str, str]:
    """Every field error on the page, each checked to be wired to its control (tests/web/pages.field_error)."""
    doc = soup(response)
    found = {n.attrs["id"].removesuffix("-error") for n in doc.find_all(cls="field-error")}
    return {f: field_error(doc, f) or "" for f in found}


def test_register_with_a_commune_of_the_chosen_province(auth: Auth, client: FlaskClient, clean_db: Engine) -> None:
    response = auth.register(province="79", commune="26740")
    assert response.status_code == 302
    with Session(clean_db) as s:
        user = s.scalars(select(User)).one()
        assert (user.province_code, user.commune_code) == ("79", "26740")


def test_the_server_checks_the_pair(auth: Auth, client: FlaskClient, clean_db: Engine) -> None:
    client.application.config["RATELIMIT_ENABLED"] = False
    cases = [({"province": "01", "commune": "26740"}, "commune", vi("This commune is not in the province you chose.")),
             ({"province": "01", "commune": ""}, "commune", vi("Please choose your commune or ward.")),
             ({"province": "99", "commune": "00070"}, "province", vi("Please choose your province from the list.")),
             ({"province": "", "commune": "00070"}, "province", vi("Please choose your province."))]
    for fields, field, message in cases:
        response = auth.register(**fields)
        assert response.status_code == 200
        assert errors(response) == {field: message}, fields
        page = soup(response)
        assert page.by_id("full_name").attrs["value"] == "Nguyễn Văn An"  # what was typed is kept
        assert page.by_id("password").attrs.get("value") in (None, "")  # but never a password
    with Session(clean_db) as s:
        assert s.scalars(select(User)).all() == []


def test_a_merged_commune_can_no_longer_be_chosen(auth: Auth, client: FlaskClient, clean_db: Engine) -> None:
    with Session(clean_db) as s:
        units.merge(s, ["00004"], "00070", date(2025, 8, 1), "test", datetime(2025, 8, 1, tzinfo=timezone.utc))
        s.commit()
    assert "00004" not in options(soup(client.get("/register?province=01")), "commune")
    response = auth.register(province="01", commune="00004")
    assert errors(response) == {"commune": vi("This commune or ward no longer exists: it was merged into another "
                                              "one. Please choose again.")}


def test_profile_changes_the_place_in_two_steps(auth: Auth, client: FlaskClient, clean_db: Engine,
                                                post_form: Callable[..., Any]) -> None:
    auth.register()
    page = soup(client.get("/profile"))
    assert vi("Your place now: %(place)s.", place="Phường Hoàn Kiếm, Thành phố Hà Nội") in page.text
    assert selected(page, "province") == "01"
    assert page.find("select", id="commune") is None
    response = client.get("/profile?province=79")
    assert len(options(soup(response), "commune")) == 169
    refused = post_form("/profile/place", {"province": "79", "commune": "00070"}, page="/profile?province=79")
    assert refused.status_code == 200
    assert errors(refused) == {"commune": vi("This commune is not in the province you chose.")}
    saved = post_form("/profile/place", {"province": "79", "commune": "26740"}, page="/profile?province=79")
    assert saved.status_code == 302
    assert vi("Your place now: %(place)s.", place="Phường Sài Gòn, Thành phố Hồ Chí Minh") in \
        soup(client.get("/profile")).text
    with Session(clean_db) as s:
        assert (s.scalars(select(User)).one().province_code, s.scalars(select(User)).one().commune_code) == \
            ("79", "26740")


def test_profile_place_needs_a_login_and_the_csrf_token(client: FlaskClient, auth: Auth, clean_db: Engine) -> None:
    assert client.post("/profile/place", data={"province": "79", "commune": "26740"}).status_code == 400
    auth.register()
    assert client.post("/profile/place", data={"province": "79", "commune": "26740"}).status_code == 400
    with Session(clean_db) as s:
        assert s.scalars(select(User)).one().commune_code == "00070"


def test_first_vneid_login_with_an_unknown_residence_chooses_the_place_in_two_steps(
        app: Any, client: FlaskClient, clean_db: Engine, tmp_path: Any) -> None:
    """A verified residence we do not know (a province code that does not exist): the new-account form asks
    for the place, the province first; the place chosen is the account's (it used to lose the commune)."""
    cheap = generate_password_hash(stub_registry.DEMO_PASSCODE, method="pbkdf2:sha256:1000")
    citizens = [dataclasses.replace(c, passcode_hash=cheap) for c in stub_registry.generate(0, seed=1)]
    citizens[1] = dataclasses.replace(citizens[1], residence=stub_registry.Residence("99", "99999"))
    stub_registry.write(tmp_path / "registry.json", citizens)
    install_registry(app, tmp_path / "registry.json")
    b = stub_registry.demo_citizens()[1]
    assert Vneid(client).login(b).headers["Location"] == "/auth/vneid/new-account"
    first = soup(client.get("/auth/vneid/new-account"))
    assert first.find("form", method="get").find("select", id="province") is not None
    assert first.find("select", id="commune") is None
    second = client.get("/auth/vneid/new-account?province=79")
    assert len(options(soup(second), "commune")) == 169 and len(second.data) < LIGHT
    token = csrf_token(client, "/auth/vneid/new-account?province=79")
    wrong = client.post("/auth/vneid/new-account?province=79", data={
        "target_group": "3", "province": "79", "commune": "00070", "csrf_token": token})
    assert errors(wrong) == {"commune": vi("This commune is not in the province you chose.")}
    created = client.post("/auth/vneid/new-account?province=79", data={
        "target_group": "3", "province": "79", "commune": "26740", "csrf_token": token})
    assert created.status_code == 302
    with Session(clean_db) as s:
        user = s.scalars(select(User)).one()
        assert (user.province_code, user.commune_code) == ("79", "26740")
