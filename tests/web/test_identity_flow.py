"""Verifying and logging in with VNeID through the real pages: the platform's buttons, the embedded stub's
login and consent pages, and the callback (the code exchange goes to the stub in-process, over HTTP)."""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from lms.domain import idnumber
from lms.vneid_stub import registry as stub_registry
from tests.conftest import Auth, csrf_token
from tests.web.identity import A, B, C, Vneid, snapshot, user_row
from tests.web.pages import page, vi

LEVEL_1_NOTE = ("VNeID level %(level)s account: you can still learn; to receive a certificate you need level "
                "%(min)s.")


def identity_key(app: Flask) -> bytes:
    return str(app.config["IDENTITY_KEY"]).encode("utf-8")


def test_verification_fills_the_profile(learner: Auth, vneid: Vneid, client: FlaskClient, clean_db: Engine,
                                        vneid_app: Flask) -> None:
    """Register → profile → "Verify with VNeID" → the stub → callback: the profile shows the masked number,
    level 2 and the verified name; the account keeps a keyed hash, never the number."""
    before = page(client.get("/profile"))
    assert vi("Your identity is not verified yet. Verify it with VNeID to receive certificates for the "
              "courses you complete. Your name, date of birth and residence will be taken from VNeID.") \
        in before.text
    response = vneid.verify(A)
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    profile = page(client.get("/profile"))
    assert vi("Your identity is verified with VNeID (level %(level)s).", level=2) in profile.text
    assert "********" + A.id_number[-4:] in profile.text
    assert vi("Level %(level)s", level=2) in profile.text
    assert A.name in profile.text and "02/05/1990" in profile.text
    assert vi(LEVEL_1_NOTE, level=1, min=2) not in profile.text
    user = user_row(clean_db, "an@example.vn")
    assert user.person_hash == idnumber.keyed_hash(A.id_number, identity_key(vneid_app))
    assert user.id_masked == "********" + A.id_number[-4:] and user.id_level == 2
    assert (user.full_name, user.birth_date, user.sex) == (A.name, A.birthdate, "female")
    assert (user.province_code, user.commune_code) == ("01", "00070")
    assert user.verified_at is not None
    assert not hasattr(user, "recipient_hash")  # no unkeyed hash of the number is kept (issue 6, point 1)


def test_residence_sets_province_and_commune(learner: Auth, vneid: Vneid, clean_db: Engine) -> None:
    """Citizen B lives in TP. Hồ Chí Minh (79/26740): the learner registered in Hà Nội moves there."""
    assert vneid.verify(B).status_code == 302
    user = user_row(clean_db, "an@example.vn")
    assert (user.province_code, user.commune_code) == ("79", "26740")
    assert user.full_name == B.name and user.sex == "male"


def test_level_1_citizen_is_verified_at_level_1(learner: Auth, vneid: Vneid, client: FlaskClient,
                                                clean_db: Engine) -> None:
    """A level-1 VNeID account verifies, and the profile says a certificate needs level 2."""
    assert vneid.verify(B).status_code == 302
    assert user_row(clean_db, "an@example.vn").id_level == 1
    profile = page(client.get("/profile"))
    assert vi("Level %(level)s", level=1) in profile.text
    assert vi(LEVEL_1_NOTE, level=1, min=2) in profile.text


def test_wrong_state_is_refused(learner: Auth, vneid: Vneid, clean_db: Engine) -> None:
    """A callback whose state is not the one this browser sent changes nothing."""
    before = snapshot(clean_db)
    callback = vneid.at_stub(vneid.start_verify(), A)
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    forged = f"/auth/vneid/callback?{urlencode({**query, 'state': 'not-the-state'})}"
    response = vneid.callback(forged)
    assert response.status_code == 400
    assert vi("This answer from VNeID does not belong to a verification you started here, or it was already "
              "used. Nothing was changed. Please start again.") in page(response).text
    assert snapshot(clean_db) == before


def test_callback_without_a_started_flow_is_refused(learner: Auth, vneid: Vneid, clean_db: Engine) -> None:
    """A callback nobody started here (a link from elsewhere, or no state at all) is refused."""
    before = snapshot(clean_db)
    assert vneid.callback("/auth/vneid/callback?code=abc&state=xyz").status_code == 400
    assert vneid.callback("/auth/vneid/callback?code=abc").status_code == 400
    assert snapshot(clean_db) == before


def test_denied_consent_changes_nothing(learner: Auth, vneid: Vneid, client: FlaskClient,
                                        clean_db: Engine) -> None:
    """"Từ chối" at the stub: back to the profile with a clear message, the account as it was."""
    before = snapshot(clean_db)
    response = vneid.verify(A, decision="deny")
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    profile = page(client.get("/profile"))
    assert vi("You declined to share your information from VNeID. Nothing was changed.") in profile.text
    assert snapshot(clean_db) == before


def test_replayed_callback_is_refused(learner: Auth, vneid: Vneid, client: FlaskClient,
                                      clean_db: Engine) -> None:
    """The same callback URL a second time is refused; so is a replay with the session cookie as it was
    before the first callback (the stub's code is single-use). The account stays as first verified."""
    callback = vneid.at_stub(vneid.start_verify(), A)
    saved_session = client.get_cookie("session")
    assert saved_session is not None
    assert vneid.callback(callback).status_code == 302
    after_first = snapshot(clean_db)
    replay = vneid.callback(callback)
    assert replay.status_code == 400
    assert vi("This answer from VNeID does not belong to a verification you started here, or it was already "
              "used. Nothing was changed. Please start again.") in page(replay).text
    client.set_cookie("session", saved_session.value)
    with_old_session = vneid.callback(callback)
    assert with_old_session.status_code == 400
    assert vi("VNeID did not confirm your identity, or the request expired. Nothing was changed. Please try "
              "again.") in page(with_old_session).text
    assert snapshot(clean_db) == after_first


def test_second_account_for_the_same_person_is_refused(learner: Auth, vneid: Vneid, vneid_app: Flask,
                                                       clean_db: Engine) -> None:
    """One person, one account: a second account verifying as A is refused, told how to reach the first
    (whose contact is shown masked), and stays unverified."""
    assert vneid.verify(A).status_code == 302
    other = vneid_app.test_client()
    assert Auth(other).register(email="binh@example.vn").status_code == 302
    before = snapshot(clean_db)
    response = Vneid(other).verify(A)
    assert response.status_code == 409
    text = page(response).text
    assert vi("This person is already verified on another account (%(contact)s). One person can have only "
              "one account, so nothing was changed.", contact="a***@example.vn") in text
    assert vi("Log out, then choose “Log in with VNeID” on the login page: it opens the account that is "
              "verified as you.") in text
    assert "an@example.vn" not in text
    assert snapshot(clean_db) == before
    assert user_row(clean_db, "binh@example.vn").person_hash is None


def test_an_account_verified_as_one_person_cannot_become_another(learner: Auth, vneid: Vneid,
                                                                 clean_db: Engine) -> None:
    assert vneid.verify(A).status_code == 302
    before = snapshot(clean_db)
    response = vneid.verify(B)
    assert response.status_code == 409
    message = vi("This account is already verified as another person. Nothing was changed.")
    assert message in page(response).text
    assert snapshot(clean_db) == before


def test_verifying_again_upgrades_the_level(
        learner: Auth, vneid: Vneid, vneid_app: Flask, registry_file: Path, clean_db: Engine) -> None:
    """Level 1 today, level 2 after the person upgrades their VNeID account: the same account follows, and
    its person hash stays the same."""
    assert vneid.verify(B).status_code == 302
    first = user_row(clean_db, "an@example.vn")
    target = Path(vneid_app.instance_path) / "vneid" / "registry.json"
    upgraded = [dataclasses.replace(c, level=2) if c.id_number == B.id_number else c
                for c in stub_registry.Registry.load(registry_file).citizens]
    stub_registry.write(target, upgraded)
    assert vneid.verify(B).status_code == 302
    second = user_row(clean_db, "an@example.vn")
    assert (first.id_level, second.id_level) == (1, 2)
    assert second.person_hash == first.person_hash


def test_inconsistent_id_number_from_the_provider_is_refused(learner: Auth, vneid: Vneid, vneid_app: Flask,
                                                             registry_file: Path, clean_db: Engine) -> None:
    """A provider that vouches for a number whose sex digit contradicts the stated sex is not believed."""
    target = Path(vneid_app.instance_path) / "vneid" / "registry.json"
    citizens = stub_registry.Registry.load(registry_file).citizens
    wrong = dataclasses.replace(citizens[0], gender="male")  # A's number says female
    stub_registry.write(target, [wrong, *citizens[1:]])
    before = snapshot(clean_db)
    response = vneid.verify(A)
    assert response.status_code == 400
    assert vi("The personal ID number from VNeID does not match the birth date and sex it came with, so it "
              "cannot be accepted. Nothing was changed.") in page(response).text
    assert snapshot(clean_db) == before


def test_locked_citizen_gets_no_code(learner: Auth, vneid: Vneid, client: FlaskClient,
                                     clean_db: Engine) -> None:
    """Citizen C's VNeID account is locked: the stub says so and never sends the browser back with a code."""
    url = vneid.start_verify()
    response = client.post(url, data={"id_number": C.id_number, "passcode": C.passcode, "login": "Đăng nhập",
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 200 and "khóa" in response.get_data(as_text=True)
    assert user_row(clean_db, "an@example.vn").person_hash is None


def test_verify_needs_a_logged_in_account(vneid: Vneid, client: FlaskClient) -> None:
    response = client.get("/auth/vneid/verify")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_with_vneid_opens_the_linked_account(learner: Auth, vneid: Vneid, client: FlaskClient,
                                                   clean_db: Engine) -> None:
    """Log out, then "Log in with VNeID" as A: the account verified as A is the one logged in."""
    assert vneid.verify(A).status_code == 302
    learner.logout()
    response = vneid.login(A)
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    me = page(client.get("/me"))
    assert vi("Welcome back, %(name)s.", name=A.name) in me.text
    assert "an@example.vn" in page(client.get("/profile")).text
    assert len(snapshot(clean_db)) == 1


def test_first_login_with_vneid_creates_the_account(vneid: Vneid, client: FlaskClient,
                                                     clean_db: Engine) -> None:
    """A person with no account: VNeID login → a short form (target group) → an account with the verified
    name and residence, no password; the next VNeID login opens the same account."""
    response = vneid.login(B)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/vneid/new-account"
    form = page(client.get("/auth/vneid/new-account"))
    assert B.name in form.text and "********" + B.id_number[-4:] in form.text
    assert form.find("select", id="province") is None  # the verified residence is the place
    token = csrf_token(client, "/auth/vneid/new-account")
    created = client.post("/auth/vneid/new-account", data={"target_group": "3", "email": "", "phone": "",
                                                           "csrf_token": token})
    assert created.status_code == 302 and created.headers["Location"] == "/me"
    user = user_row(clean_db, None, id_masked="********" + B.id_number[-4:])
    assert (user.full_name, user.target_group) == (B.name, 3)
    assert (user.province_code, user.commune_code) == ("79", "26740")
    assert (user.email, user.phone, user.password_hash, user.id_level) == (None, None, "", 1)
    profile = page(client.get("/profile"))
    assert vi("You log in with VNeID. This account has no e-mail or phone number, so it has no password.") \
        in profile.text
    Auth(client).logout()
    assert vneid.login(B).headers["Location"] == "/me"
    assert len(snapshot(clean_db)) == 1


def test_new_account_then_a_password(vneid: Vneid, client: FlaskClient, clean_db: Engine) -> None:
    """An account made through VNeID with an e-mail can set a password and then log in with it."""
    vneid.login(A)
    token = csrf_token(client, "/auth/vneid/new-account")
    client.post("/auth/vneid/new-account", data={"target_group": "2", "email": "Lan@Example.vn", "phone": "",
                                                 "csrf_token": token})
    assert user_row(clean_db, "lan@example.vn").password_hash == ""
    auth = Auth(client)
    auth.logout()
    assert auth.login("lan@example.vn", "").status_code == 200  # no password yet: nothing logs in
    vneid.login(A)
    token = csrf_token(client, "/profile")
    set_it = client.post("/profile/password", data={"password": "mat-khau-dai-456",
                                                    "confirm": "mat-khau-dai-456", "csrf_token": token})
    assert set_it.status_code == 302
    auth.logout()
    assert auth.login("lan@example.vn", "mat-khau-dai-456").status_code == 302


def test_new_account_form_is_refused_without_a_verified_identity(vneid: Vneid, client: FlaskClient) -> None:
    response = client.get("/auth/vneid/new-account")
    assert response.status_code == 400


def test_identity_data_in_the_session_never_holds_the_number(vneid: Vneid, client: FlaskClient,
                                                             vneid_app: Flask) -> None:
    """Between the callback and the account form the session keeps the record (hashes, masked number), not
    the number itself."""
    vneid.login(A)
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = vneid_app.session_interface.get_signing_serializer(vneid_app)  # type: ignore[attr-defined]
    data = serializer.loads(cookie.value)
    assert "vneid_new_account" in data
    assert A.id_number not in json.dumps(data)


def test_an_expired_id_token_is_refused(learner: Auth, vneid: Vneid, vneid_app: Flask,
                                        clean_db: Engine) -> None:
    """The stub's clock runs 400 s behind: its ID token expired 100 s ago (beyond the 30 s leeway) by the
    time the platform reads it; the learner is told, and nothing changes."""
    stub = vneid_app.extensions["vneid"]
    stub.clock = lambda: time.time() - 400
    before = snapshot(clean_db)
    response = vneid.verify(A)
    assert response.status_code == 400
    message = vi("The identity data has expired. Nothing was changed. Please start again.")
    assert message in page(response).text
    assert snapshot(clean_db) == before
