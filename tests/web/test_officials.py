"""The officials' area through the test client: every official route (and the unit admin's forms) tried with a
unit outside the user's subtree, a parent, a sibling, an unknown code, a revoked official, a plain learner and
an anonymous visitor (403 / 404 / to the login page, and no row written: no audit row claiming access); the
audit rows of allowed views; grants and revocations on the web, ending the target's logins at once."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AuditEvent, LoginSession, OfficialGrant, User
from lms.services import officials
from tests import factories
from tests.conftest import Auth, csrf_token

HANOI, HOAN_KIEM, BA_DINH, HCM = "01", "00070", "00004", "79"


def account(session: Session, email: str, serial: int | None, *grants: tuple[str, str]) -> User:
    """An account that can log in (verified as person `serial` unless None), with roles granted from the CLI."""
    user = factories.make_user(session, email, name=f"Cán bộ {email.split('@')[0]}")
    if serial is not None:
        factories.verify_identity(user, factories.id_number(serial))
        session.commit()
    for code, role in grants:
        officials.grant(session, user, code, role, now=factories.NOW, cli="cli:test")
    session.commit()
    return user


@pytest.fixture
def commune_admin(session: Session) -> User:
    """Official and unit admin of Phường Hoàn Kiếm (Hà Nội)."""
    return account(session, "xa@example.vn", 1, (HOAN_KIEM, "official"), (HOAN_KIEM, "unit_admin"))


@pytest.fixture
def elsewhere(session: Session) -> OfficialGrant:
    """A grant on Phường Ba Đình, a sibling commune: what the commune admin must not revoke."""
    user = account(session, "ba-dinh@example.vn", 2, (BA_DINH, "official"))
    return officials.active_grants(session, user, BA_DINH)[0]


def routes(grant_id: int) -> list[tuple[str, str, Callable[[str], dict[str, str]]]]:
    """Every official route: (method, URL pattern, form data for a unit code)."""
    return [
        ("GET", "/officials/units/{code}", lambda code: {}),
        ("GET", "/officials/units/{code}/admin", lambda code: {}),
        ("POST", "/officials/units/{code}/admin", lambda code: {"login": "ba-dinh@example.vn", "unit": code,
                                                                "role": "official"}),
        ("POST", "/officials/units/{code}/admin/grants/%d/revoke" % grant_id, lambda code: {}),
        ("GET", "/officials/units/{code}/audit", lambda code: {}),
        ("GET", "/officials/units/{code}/reports", lambda code: {}),
        ("POST", "/officials/units/{code}/reports", lambda code: {"quarter": "2025Q3", "seen_version": "0"}),
        ("GET", "/officials/units/{code}/reports/{{report_id}}.{{fmt}}", lambda code: {}),
        ("GET", "/officials/units/{code}/submissions", lambda code: {}),
        ("GET", "/officials/units/{code}/export.csv", lambda code: {}),
        ("GET", "/officials/units/{code}/export.xlsx", lambda code: {}),
        ("GET", "/officials/units/{code}/export.pdf", lambda code: {}),
        ("GET", "/officials/units/{code}/follow-up", lambda code: {}),
        ("GET", "/officials/units/{code}/follow-up.csv", lambda code: {}),
    ]


def test_every_official_route_is_in_the_scope_matrix(app: Flask) -> None:
    """A new official page must be added to the scope tests below (and so go through official_route)."""
    found = {(method, re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule))
             for rule in app.url_map.iter_rules() if rule.rule.startswith("/officials/units/")
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    tested = {(method, url.replace("/0/", "/{grant_id}/").replace("{{", "{").replace("}}", "}"))
              for method, url, _ in routes(0)}
    assert found == tested


def written(engine: Any) -> tuple[int, int, int]:
    with Session(engine) as s:
        return (len(s.scalars(select(AuditEvent)).all()), len(s.scalars(select(OfficialGrant)).all()),
                len(s.scalars(select(OfficialGrant).where(OfficialGrant.revoked_at.is_not(None))).all()))


def request(client: FlaskClient, method: str, url: str, data: dict[str, str], token: str | None) -> Any:
    if method == "GET":
        return client.get(url)
    return client.post(url, data={**data, **({"csrf_token": token} if token else {})})


@pytest.mark.parametrize("code, status", [(HANOI, 403), ("VN", 403), (BA_DINH, 403), (HCM, 403), ("79", 403),
                                          ("26740", 403), ("99999", 404), ("../01", 404)])
def test_a_commune_admin_reaches_no_other_unit(client: FlaskClient, auth: Auth, clean_db: Any,
                                               commune_admin: User, elsewhere: OfficialGrant, code: str,
                                               status: int) -> None:
    auth.login("xa@example.vn")
    token = csrf_token(client, "/profile")
    before = written(clean_db)
    for method, pattern, data in routes(elsewhere.id):
        response = request(client, method, pattern.format(code=code), data(code), token)
        assert response.status_code == status, (method, pattern, code)
        if response.status_code == 403:
            page = response.get_data(as_text=True)
            assert "Đơn vị này nằm ngoài phạm vi của bạn" in page
            assert "Không có dữ liệu nào được hiển thị hay thay đổi." in page
    assert written(clean_db) == before  # not a grant, not a revocation, not an audit row


def test_form_fields_naming_another_unit_are_refused(client: FlaskClient, auth: Auth, clean_db: Any,
                                                     commune_admin: User, elsewhere: OfficialGrant) -> None:
    """On the admin's own page, a unit field or a grant id of another unit: 403, nothing written."""
    auth.login("xa@example.vn")
    page = f"/officials/units/{HOAN_KIEM}/admin"
    token = csrf_token(client, page)
    before = written(clean_db)
    for unit, message in ((BA_DINH, "nằm ngoài các đơn vị bạn phụ trách"), (HANOI, "ở cấp trên đơn vị của bạn"),
                          ("VN", "ở cấp trên đơn vị của bạn")):
        response = client.post(page, data={"login": "ba-dinh@example.vn", "unit": unit, "role": "official",
                                           "csrf_token": token})
        assert response.status_code == 403
        assert message in response.get_data(as_text=True)
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    response = client.post(f"{page}/grants/{elsewhere.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 403
    assert written(clean_db) == before
    assert client.post(f"{page}/grants/{elsewhere.id}/revoke", data={}).status_code in (400, 403)


def test_a_plain_learner_a_revoked_official_and_an_anonymous_visitor(client: FlaskClient, auth: Auth,
                                                                     session: Session, clean_db: Any,
                                                                     elsewhere: OfficialGrant) -> None:
    account(session, "hoc-vien@example.vn", 3)
    revoked = account(session, "cu@example.vn", 4, (HOAN_KIEM, "official"), (HOAN_KIEM, "unit_admin"))
    for row in officials.active_grants(session, revoked, HOAN_KIEM):
        officials.revoke(session, row, now=factories.NOW, cli="cli:test")
    session.commit()
    before = written(clean_db)
    for method, pattern, data in routes(elsewhere.id):  # anonymous: to the login page
        response = request(client, method, pattern.format(code=HOAN_KIEM), data(HOAN_KIEM), None)
        if method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"], pattern
        else:
            assert response.status_code in (302, 400), pattern  # no CSRF token of a session: refused either way
    assert client.get("/officials/").status_code == 302
    for login in ("hoc-vien@example.vn", "cu@example.vn"):
        auth.login(login)
        token = csrf_token(client, "/profile")
        assert client.get("/officials/").status_code == 403
        for method, pattern, data in routes(elsewhere.id):
            response = request(client, method, pattern.format(code=HOAN_KIEM), data(HOAN_KIEM), token)
            assert response.status_code == 403, (login, method, pattern)
        auth.logout()
    assert written(clean_db) == before


def test_allowed_views_are_audited_and_the_unit_page_drills_down(client: FlaskClient, auth: Auth,
                                                                session: Session, clean_db: Any) -> None:
    province = account(session, "tinh@example.vn", 5, (HANOI, "official"), (HANOI, "unit_admin"))
    auth.login("tinh@example.vn")
    assert client.get("/officials/").headers["Location"].endswith("/officials/units/01")
    before = written(clean_db)
    page = client.get("/officials/units/01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Thành phố Hà Nội</h1>" in html
    assert 'href="/officials/units/00070">Phường Hoàn Kiếm</a>' in html
    assert html.count('<li><a href="/officials/units/') == 126  # Hà Nội's communes in force
    assert "<li>Việt Nam</li>" in html  # the nation above: text, not a link
    commune = client.get("/officials/units/00070").get_data(as_text=True)
    assert '<a href="/officials/units/01">Thành phố Hà Nội</a>' in commune
    assert "Đơn vị này chưa có đơn vị trực thuộc nào." in commune
    assert written(clean_db) == before  # the tree holds no personal data: reading it is not logged

    assert client.get("/officials/units/00070/admin").status_code == 200
    assert client.get("/officials/units/01/audit?page=1").status_code == 200
    with Session(clean_db) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.user_id == province.id)
                           .order_by(AuditEvent.id)).all()
        assert [(e.action, e.unit.code, e.client, e.detail) for e in events] == [
            ("view_officials", "00070", "127.0.0.1", "page=1"), ("view_audit", "01", "127.0.0.1", "page=1")]
    log = client.get("/officials/units/01/audit").get_data(as_text=True)
    assert "Đã xem danh sách cán bộ" in log and "Đã xem nhật ký truy cập" in log and "127.0.0.1" in log
    assert client.get("/officials/units/01/audit?page=0").status_code == 404
    assert client.get("/officials/units/01/audit?page=x").status_code == 404


def test_grant_and_revoke_on_the_web(client: FlaskClient, auth: Auth, other_client: FlaskClient,
                                     other_auth: Auth, session: Session, clean_db: Any) -> None:
    admin = account(session, "tinh@example.vn", 5, (HANOI, "unit_admin"))
    target = account(session, "moi@example.vn", 6)
    account(session, "chua-xac-thuc@example.vn", None)
    other_auth.login("moi@example.vn")
    assert other_client.get("/officials/").status_code == 403
    auth.login("tinh@example.vn")
    page = "/officials/units/01/admin"
    token = csrf_token(client, page)
    before = written(clean_db)
    for data, text, status in (
            ({"login": "khong-co@example.vn", "unit": HOAN_KIEM}, "Không có tài khoản nào", 400),
            ({"login": "chua-xac-thuc@example.vn", "unit": HOAN_KIEM}, "chưa xác thực danh tính qua VNeID", 400),
            ({"login": "tinh@example.vn", "unit": HOAN_KIEM}, "không thể tự thay đổi vai trò", 400),
            ({"login": "moi@example.vn", "unit": "99999"}, "Không có đơn vị hành chính nào có mã này.", 404),
            ({"login": "moi@example.vn", "unit": HCM}, "nằm ngoài các đơn vị bạn phụ trách", 403),
            ({"login": "", "unit": ""}, "Vui lòng nhập thư điện tử hoặc số điện thoại", 400)):
        response = client.post(page, data={**data, "role": "official", "csrf_token": token})
        assert response.status_code == status, data
        assert text in response.get_data(as_text=True), data
        assert "Cán bộ moi" not in response.get_data(as_text=True)  # an error page lists no one
    assert written(clean_db) == before

    response = client.post(page, data={"login": "moi@example.vn", "unit": HOAN_KIEM, "role": "official",
                                       "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert other_client.get("/officials/").headers["Location"].startswith("/login")  # their login ended
    listing = client.get(page).get_data(as_text=True)
    assert "Cán bộ moi" in listing and "moi@example.vn" in listing
    with Session(clean_db) as s:
        row = s.scalars(select(OfficialGrant).where(OfficialGrant.user_id == target.id)).one()
        assert (row.unit.code, row.role, row.granted_by) == (HOAN_KIEM, "official", f"user:{admin.id}")
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "grant")
                          .order_by(AuditEvent.id.desc())).first()
        assert event is not None and (event.user_id, event.subject_id, event.client) == (
            admin.id, target.id, "127.0.0.1")
        grant_id = row.id
    other_auth.login("moi@example.vn")
    assert other_client.get("/officials/").headers["Location"].endswith("/officials/units/00070")
    assert other_client.get("/officials/units/00070").status_code == 200

    response = client.post(f"{page}/grants/{grant_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert other_client.get("/officials/units/00070").headers["Location"].startswith("/login")
    with Session(clean_db) as s:
        assert s.get(OfficialGrant, grant_id).revoked_at is not None
        assert s.scalars(select(LoginSession).where(LoginSession.user_id == target.id)).first() is None
        assert s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().action == "revoke"
    again = client.post(f"{page}/grants/{grant_id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "Vai trò này đã được thu hồi trước đó." in again.get_data(as_text=True)


def test_the_pages_in_english(client: FlaskClient, auth: Auth, session: Session) -> None:
    account(session, "tinh@example.vn", 5, (HANOI, "official"), ("79", "official"))
    auth.login("tinh@example.vn")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    index = client.get("/officials/")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "My units" in html and "Thành phố Hồ Chí Minh" in html
    refused = client.get("/officials/units/48").get_data(as_text=True)
    assert "This unit is outside your area" in refused
