"""Certificates through the real app: issued when a verified learner finishes a course on the site, shown as
a page, a PDF and an Open Badges file, checked on the public verification pages (rate limited), revoked by an
administrator, and published keys that verify the file offline."""
from __future__ import annotations

import io
import json
import logging
from typing import Any, Callable

import jsonschema
import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.domain import certificates as certs
from lms.domain import idnumber, openbadges
from lms.models import Base, Certificate, Course, User
from lms.services import certificates
from tests.factories import NOW, SCAM, SCHEMA, complete, id_number, verify_identity
from tests.conftest import Auth, csrf_token
from tests.web.conftest import answers, attempt_id, live_quiz
from tests.web.pages import vi

HOLDER = "Nguyễn Văn An"  # the name Auth.register() uses


def verify_account(engine: Engine, email: str, serial: int, level: int = 2) -> str:
    """Give the account a VNeID identity, as the OIDC client does; returns the (fictional) ID number."""
    number = id_number(serial)
    with Session(engine) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        verify_identity(user, number, level)
        s.commit()
    return number


def issue(app: Flask, engine: Engine, email: str, serial: int, slug: str = SCAM) -> tuple[str, str]:
    """A verified account that completed `slug`, its certificate issued: (certificate number, ID number)."""
    number = verify_account(engine, email, serial)
    with Session(engine, expire_on_commit=False) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        course = s.scalars(select(Course).where(Course.slug == slug)).one()
        complete(s, user, course)
        settings = certificates.Settings.from_config(app.config, "http://localhost/")
        cert = certificates.issue_if_eligible(s, user, course, NOW, settings)
        s.commit()
        assert cert is not None
        return cert.number, number


def finish_course_on_the_site(client: FlaskClient, post_form: Callable[..., Any], engine: Engine,
                              slug: str) -> None:
    """Mark every lesson done and pass the quiz through the real forms."""
    with Session(engine) as s:
        course = s.scalars(select(Course).where(Course.slug == slug)).one()
        assert course.published is not None
        lessons = [lesson.slug for lesson in course.published.lessons]
    for lesson in lessons:
        response = post_form(f"/courses/{slug}/{lesson}/done", page=f"/courses/{slug}/{lesson}")
        assert response.status_code == 302
    quiz_slug, _ = live_quiz(engine, slug)
    show = f"/courses/{slug}/quiz/{quiz_slug}"
    attempt = attempt_id(post_form(f"{show}/start", page=show))
    token = csrf_token(client, f"/attempts/{attempt}")
    form = {**answers(engine, attempt, True), "csrf_token": token}
    response = client.post(f"/attempts/{attempt}", data=form)
    assert response.status_code == 302


def make_admin(app: Flask, engine: Engine) -> FlaskClient:
    """A second browser signed in as an administrator."""
    browser = app.test_client()
    admin = Auth(browser)
    admin.register(email="quan-tri@example.vn")
    with Session(engine) as s:
        s.scalars(select(User).where(User.email == "quan-tri@example.vn")).one().role = "admin"
        s.commit()
    return browser


def valid_text() -> str:
    return vi("Valid: this certificate was issued by %(issuer)s and has not been revoked.",
              issuer="Học Vụ Số")


def unknown_text(number: str) -> str:
    return vi("Unknown: no certificate has the number %(number)s.", number=number)


def no_id_number(text: str, number: str) -> None:
    assert number not in text and idnumber.mask(number) not in text


# --- issuing through the site ------------------------------------------------------------------------------

def test_finishing_a_course_on_the_site_issues_the_certificate(
        published: Flask, client: FlaskClient, auth: Auth, post_form: Callable[..., Any],
        clean_db: Engine) -> None:
    """A level-2 verified learner finishes the course through the forms: "My learning" links the certificate,
    whose page shows holder, course, competencies with names, level, date, issuer, status, QR, downloads."""
    auth.register()
    id_no = verify_account(clean_db, "an@example.vn", 21)
    finish_course_on_the_site(client, post_form, clean_db, SCAM)
    with Session(clean_db) as s:
        cert = s.scalars(select(Certificate)).one()
        number, issued = cert.number, cert.issued_at
    my = client.get("/me").get_data(as_text=True)
    assert f"/certificates/{number}" in my
    page = client.get(f"/certificates/{number}").get_data(as_text=True)
    for text in (HOLDER, "Nhận diện lừa đảo trực tuyến", "4.2 Bảo vệ dữ liệu cá nhân và quyền riêng tư",
                 "1.2 Đánh giá dữ liệu, thông tin và nội dung số", "Học Vụ Số", number,
                 f"/certificates/{number}.pdf", f"/certificates/{number}.json", 'src="data:image/svg+xml',
                 f"http://localhost/verify/{number}"):
        assert text in page, text
    assert valid_text() in page
    assert issued.strftime("%Y") in page
    no_id_number(page, id_no)


def test_level_1_learner_gets_no_certificate(published: Flask, client: FlaskClient, auth: Auth,
                                            post_form: Callable[..., Any], clean_db: Engine) -> None:
    """Finishing the course with a level-1 verification issues nothing; "My learning" shows no certificate."""
    auth.register()
    verify_account(clean_db, "an@example.vn", 22, level=1)
    finish_course_on_the_site(client, post_form, clean_db, SCAM)
    with Session(clean_db) as s:
        assert s.scalars(select(Certificate)).first() is None
    assert "/certificates/" not in client.get("/me").get_data(as_text=True)


def test_lowercase_number_redirects_to_the_certificate(published: Flask, client: FlaskClient, auth: Auth,
                                                      clean_db: Engine) -> None:
    """A number typed in lower case leads to the canonical address; an unknown number is 404."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 23)
    response = client.get(f"/certificates/{number.lower()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/certificates/{number}")
    assert client.get(f"/certificates/{certs.new_number(2026)}").status_code == 404


# --- the three forms ---------------------------------------------------------------------------------------

def test_pdf_has_the_name_with_diacritics_the_number_and_the_qr_code(published: Flask, client: FlaskClient,
                                                                     auth: Auth, clean_db: Engine) -> None:
    """The PDF is an A4 page whose text (read back with pypdf) has the name with its diacritics, the course
    and     the number, and whose image is exactly the QR code of the public verification URL."""
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 24)
    response = client.get(f"/certificates/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    assert len(reader.pages) == 1
    millimetres = sorted(round(float(v) / 72 * 25.4) for v in (page.mediabox.width, page.mediabox.height))
    assert millimetres == [210, 297]
    text = page.extract_text()
    for expected in (HOLDER, "Nhận diện lừa đảo trực tuyến", number, "GIẤY CHỨNG NHẬN",
                     "Bảo vệ dữ liệu cá nhân"):
        assert expected in text, expected
    no_id_number(text, id_no)
    images = page.images
    assert len(images) == 1
    picture = images[0].image.convert("L")
    matrix = segno.make(f"http://localhost/verify/{number}", error="m").matrix
    size = len(matrix)
    module = picture.width // (size + 4)
    assert picture.width == picture.height == module * (size + 4)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            pixel = picture.getpixel(((c + 2) * module + module // 2, (r + 2) * module + module // 2))
            assert (pixel < 128) == bool(dark), (r, c)


def test_json_is_a_valid_open_badge_that_verifies_with_the_published_keys(
        published: Flask, client: FlaskClient, auth: Auth, clean_db: Engine) -> None:
    """The JSON validates against the official schema, its proof verifies with the JWKS at the well-known URL,
    and it carries nothing derived from the holder's ID number."""
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 25)
    response = client.get(f"/certificates/{number}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = json.loads(response.data)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator(schema).validate(document)
    keys = client.get("/.well-known/hvs-certificate-keys.json").get_json()
    check = openbadges.check(document, {k["kid"]: k for k in keys["keys"]})
    assert check.ok and check.number == number
    assert "identifier" not in document["credentialSubject"]
    no_id_number(response.get_data(as_text=True), id_no)
    assert document["credentialStatus"]["statusListCredential"] == "http://localhost/status/revocation/1"


def test_published_keys_keep_retired_keys(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                                          clean_db: Engine) -> None:
    """After `lms certificates rotate-key` the JWKS lists both keys and the old certificate still verifies."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 27)
    before = client.get("/.well-known/hvs-certificate-keys.json").get_json()["keys"]
    result = runner.invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0, result.output
    after = client.get("/.well-known/hvs-certificate-keys.json").get_json()["keys"]
    assert len(before) == 1 and len(after) == 2 and before[0] in after
    assert all("d" not in key for key in after)
    document = json.loads(client.get(f"/certificates/{number}.json").data)
    assert openbadges.check(document, {k["kid"]: k for k in after}).ok
    assert "valid" == client.get(f"/verify/{number}.json").get_json()["status"]


# --- verification pages ------------------------------------------------------------------------------------

def test_verify_page_states(published: Flask, client: FlaskClient, auth: Auth, clean_db: Engine) -> None:
    """valid (with name, course, date, competencies), unknown (404), and the form leads to the right page;
    the ID number never appears."""
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 28)
    valid = client.get(f"/verify/{number}")
    text = valid.get_data(as_text=True)
    assert valid.status_code == 200
    for expected in (HOLDER, "Nhận diện lừa đảo trực tuyến", "2.1 Tương tác thông qua công nghệ số", number):
        assert expected in text
    assert valid_text() in text
    no_id_number(text, id_no)

    unknown_number = certs.new_number(2026)
    unknown = client.get(f"/verify/{unknown_number}")
    assert unknown.status_code == 404
    assert unknown_text(unknown_number) in unknown.get_data(as_text=True)

    typed = client.get("/verify", query_string={"number": number.lower().replace("-", " ")})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{number}")
    garbled = client.get("/verify", query_string={"number": "HVS-12"})
    assert garbled.status_code == 404
    assert unknown_text("HVS-12") in garbled.get_data(as_text=True)
    form = client.get("/verify")
    assert form.status_code == 200 and 'name="number"' in form.get_data(as_text=True)

    status = client.get(f"/verify/{number}.json").get_json()
    assert status["status"] == "valid" and status["holder"] == HOLDER
    assert {"code": "4.2", "name": "Bảo vệ dữ liệu cá nhân và quyền riêng tư"} in status["competencies"]
    unknown_status = client.get(f"/verify/{unknown_number}.json").get_json()
    assert unknown_status == {"number": unknown_number, "status": "unknown"}


def test_verification_is_rate_limited(published: Flask, client: FlaskClient, auth: Auth,
                                      clean_db: Engine) -> None:
    """Past VERIFY_RATE_LIMIT lookups a minute, a visitor gets 429 with a friendly page and Retry-After."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 29)
    published.config["VERIFY_RATE_LIMIT"] = 3
    codes = [client.get(f"/verify/{number}").status_code for _ in range(3)]
    blocked = client.get(f"/verify/{number}")
    assert codes == [200, 200, 200] and blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 61
    text = blocked.get_data(as_text=True)
    assert vi("Too many checks in a short time") in text and '<html lang="vi">' in text
    other = published.test_client()  # the same address: the limit is per client IP, not per cookie
    assert other.get(f"/verify/{number}.json").status_code == 429
    elsewhere = published.test_client()
    ok = elsewhere.get(f"/verify/{number}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert ok.status_code == 200


# --- revoking ----------------------------------------------------------------------------------------------

def test_admin_revokes_with_a_reason(published: Flask, client: FlaskClient, auth: Auth,
                                     clean_db: Engine) -> None:
    """Only an administrator sees the form; the POST needs the CSRF token and a reason; then the certificate
    page, the verification page, its JSON status and the PDF say revoked."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 30)
    assert 'action="/certificates/' not in client.get(f"/certificates/{number}").get_data(as_text=True)
    token = csrf_token(client, "/verify")
    refused = client.post(f"/certificates/{number}/revoke", data={"reason": "x", "csrf_token": token})
    assert refused.status_code == 403

    admin = make_admin(published, clean_db)
    page = f"/certificates/{number}"
    assert f'action="/certificates/{number}/revoke"' in admin.get(page).get_data(as_text=True)
    assert admin.post(f"{page}/revoke", data={"reason": "Gian lận"}).status_code == 400  # no CSRF token
    empty = admin.post(f"{page}/revoke", data={"reason": " ", "csrf_token": csrf_token(admin, page)})
    assert empty.status_code == 302
    assert client.get(f"/verify/{number}.json").get_json()["status"] == "valid"

    reason = {"reason": "Gian lận khi làm bài", "csrf_token": csrf_token(admin, page)}
    done = admin.post(f"{page}/revoke", data=reason)
    assert done.status_code == 302
    verify_page = client.get(f"/verify/{number}").get_data(as_text=True)
    assert vi("Reason: %(reason)s", reason="Gian lận khi làm bài") in verify_page
    assert "Gian lận khi làm bài" in client.get(page).get_data(as_text=True)
    status = client.get(f"/verify/{number}.json").get_json()
    assert status["status"] == "revoked" and status["revoked"]["reason"] == "Gian lận khi làm bài"
    assert "THU HỒI" in PdfReader(io.BytesIO(client.get(f"{page}.pdf").data)).pages[0].extract_text()


def test_cli_revoke(published: Flask, client: FlaskClient, runner: Any, auth: Auth, clean_db: Engine) -> None:
    """`lms certificates revoke NUMBER --reason …` revokes; an unknown number or no reason fails."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 31)
    result = runner.invoke(args=["certificates", "revoke", number, "--reason", "Cấp nhầm"])
    assert result.exit_code == 0 and "REVOKED" in result.output
    assert client.get(f"/verify/{number}.json").get_json()["revoked"]["reason"] == "Cấp nhầm"
    unknown = runner.invoke(args=["certificates", "revoke", certs.new_number(2026), "--reason", "x"])
    assert unknown.exit_code == 1
    assert runner.invoke(args=["certificates", "revoke", number]).exit_code == 2
    listed = runner.invoke(args=["certificates", "list"])
    assert listed.exit_code == 0 and f"{number}\trevoked" in listed.output


# --- offline verification with the CLI ---------------------------------------------------------------------

def test_cli_verify_exit_codes(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                               clean_db: Engine, tmp_path: Any) -> None:
    """VALID (exit 0) with the database's keys or a JWKS file; INVALID (exit 1) for a changed byte, another
    key set or a non-JSON file; REVOKED (exit 1) once revoked."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 32)
    data = client.get(f"/certificates/{number}.json").data
    file = tmp_path / "badge.json"
    file.write_bytes(data)
    keys = tmp_path / "keys.json"
    keys.write_bytes(client.get("/.well-known/hvs-certificate-keys.json").data)

    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 0 and result.output.startswith(f"VALID: {number}")
    result = runner.invoke(args=["certificates", "verify", str(file), "--keys", str(keys)])
    assert result.exit_code == 0 and result.output.startswith("VALID")

    holder = data.index(HOLDER.encode())
    for position in (holder, data.index(b"validFrom") + 14, data.index(b'"proofValue"') + 20, len(data) - 3):
        damaged = tmp_path / f"damaged-{position}.json"
        damaged.write_bytes(data[:position] + bytes([data[position] ^ 0x02]) + data[position + 1:])
        result = runner.invoke(args=["certificates", "verify", str(damaged), "--keys", str(keys)])
        assert result.exit_code == 1 and result.output.startswith("INVALID"), (position, result.output)

    strangers = tmp_path / "strangers.json"
    stranger = certs.public_jwk(certs.new_private_key())
    strangers.write_text(json.dumps({"keys": [stranger]}))
    result = runner.invoke(args=["certificates", "verify", str(file), "--keys", str(strangers)])
    assert result.exit_code == 1 and "unknown key id" in result.output
    not_json = tmp_path / "not.json"
    not_json.write_text("<html>")
    assert runner.invoke(args=["certificates", "verify", str(not_json)]).exit_code == 1

    runner.invoke(args=["certificates", "revoke", number, "--reason", "Thu hồi thử"])
    result = runner.invoke(args=["certificates", "verify", str(file), "--keys", str(keys)])
    assert result.exit_code == 1 and result.output.startswith(f"REVOKED: {number}")
    assert "Thu hồi thử" in result.output


@pytest.mark.parametrize("url", ["/verify", "/.well-known/hvs-certificate-keys.json"])
def test_public_pages_need_no_login(published: Flask, client: FlaskClient, url: str) -> None:
    """The verification form and the key set are public."""
    assert client.get(url).status_code == 200


def test_the_id_number_is_nowhere_after_certification(published: Flask, client: FlaskClient, auth: Auth,
                                                      post_form: Callable[..., Any], clean_db: Engine,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """After finishing a course, getting the certificate, its PDF and JSON, verifying and revoking it, no table
    of the database and no log line contains the ID number, in clear or masked beyond its last four digits."""
    caplog.set_level(logging.DEBUG)
    auth.register()
    id_no = verify_account(clean_db, "an@example.vn", 33)
    finish_course_on_the_site(client, post_form, clean_db, SCAM)
    with Session(clean_db) as s:
        number = s.scalars(select(Certificate.number)).one()
    for url in (f"/certificates/{number}", f"/certificates/{number}.pdf", f"/certificates/{number}.json",
                f"/verify/{number}", f"/verify/{number}.json"):
        assert client.get(url).status_code == 200
    admin = make_admin(published, clean_db)
    page = f"/certificates/{number}"
    admin.post(f"{page}/revoke", data={"reason": "Kiểm tra", "csrf_token": csrf_token(admin, page)})
    dump = []
    with clean_db.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in conn.execute(table.select())]
    everything = "\n".join(dump) + "\n" + caplog.text
    assert number in everything  # the dump really holds the certificate
    assert id_no not in everything and id_no[:8] not in everything
