"""Issue 6, points 1, 13 and 14: no public artefact lets anyone recover or confirm an ID number by guessing
(the holder is confirmed on the server only); existing credentials are re-issued; the offline verifier refuses
ambiguous or over-deep JSON and says exactly what failed; revocation is published as a signed W3C Bitstring
Status List that `lms certificates verify` checks."""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import re
from typing import Any

import jsonschema
import segno
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lms.domain import certificates as certs
from lms.domain import idnumber, openbadges
from lms import models
from lms.models import Certificate
from lms.services import certificates
from tests.factories import IDENTITY_KEY, NOW, SCHEMA, id_number
from tests.web.test_certificates import HOLDER, issue
from tests.conftest import Auth, csrf_token
from tests.web.pages import vi


def _keys(client: FlaskClient) -> dict[str, Any]:
    return {k["kid"]: k for k in client.get("/.well-known/hvs-certificate-keys.json").get_json()["keys"]}


def _files(tmp_path: Any, client: FlaskClient, number: str) -> tuple[Any, Any, bytes]:
    data = client.get(f"/certificates/{number}.json").data
    file = tmp_path / "badge.json"
    file.write_bytes(data)
    keys = tmp_path / "keys.json"
    keys.write_bytes(client.get("/.well-known/hvs-certificate-keys.json").data)
    return file, keys, data


# --- point 1: nothing public lets anyone guess the ID number -------------------------------------------------

def test_no_public_artefact_lets_anyone_confirm_an_id_number(published: Flask, client: FlaskClient, auth: Auth,
                                                           clean_db: Engine) -> None:
    """Every public artefact of a certificate (page with its QR code, PDF text and bytes, Open Badges JSON,
    verify page and JSON, status list, keys, cookies) carries no salt, no identityHash, and no digest of the
    ID number with any token found in them."""
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 41)
    document = client.get(f"/certificates/{number}.json").get_json()
    status_url = str(document["credentialStatus"].get("statusListCredential", "")).replace("http://localhost", "")
    artefacts: dict[str, str] = {}
    for url in (f"/certificates/{number}", f"/certificates/{number}.json", f"/verify/{number}",
                f"/verify/{number}.json", "/.well-known/hvs-certificate-keys.json", status_url or "/verify"):
        response = client.get(url)
        assert response.status_code == 200, url
        artefacts[url] = response.get_data(as_text=True) + "\n".join(response.headers.getlist("Set-Cookie"))
    qr = segno.make(f"http://localhost/verify/{number}", error="m").svg_data_uri(scale=4, border=2)
    assert qr in artefacts[f"/certificates/{number}"]  # the QR code holds the verification URL, nothing else
    pdf = client.get(f"/certificates/{number}.pdf").data
    artefacts["pdf-text"] = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    artefacts["pdf-bytes"] = pdf.decode("latin-1")
    everything = "\n".join(artefacts.values())
    assert HOLDER in artefacts[f"/certificates/{number}.json"]  # the credential names the verified holder
    for field in ("identityHash", "IdentityObject", "salt", "nationalIdentityNumber", "sha256$"):
        assert field not in everything, field
    assert "identifier" not in document["credentialSubject"]
    tokens = set(re.findall(r"[A-Za-z0-9_\-+/=$]{8,}", everything))
    keyed = idnumber.keyed_hash(id_no, IDENTITY_KEY)
    digests = {hashlib.sha256(id_no.encode()).hexdigest(), keyed, certs.person_ref(keyed)}
    for token in tokens:
        for text in (id_no + token, token + id_no):
            digests.add(hashlib.sha256(text.encode()).hexdigest())
    for digest in digests:
        assert digest not in everything and digest[:32] not in everything
    assert status_url == "/status/revocation/1"


def test_the_holder_is_confirmed_on_the_server_only(published: Flask, client: FlaskClient, auth: Auth,
                                                   clean_db: Engine, caplog: Any) -> None:
    """A POST form (CSRF) answers yes for the right ID number, and the same 'no' for a wrong ID number and for
    an unknown certificate; each check is audit-logged without the ID number (nor is it in any log line)."""
    caplog.set_level(logging.DEBUG)
    published.config["IDENTITY_KEY"] = IDENTITY_KEY.decode()
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 42)
    token = csrf_token(client, "/verify/holder")
    assert client.post("/verify/holder", data={"number": number, "id_number": id_no}).status_code == 400
    yes = client.post("/verify/holder", data={"number": number.lower(), "id_number": id_no,
                                              "csrf_token": token})
    assert yes.status_code == 200
    assert vi("Yes: certificate %(number)s was issued to the person with this ID number.",
              number=number) in yes.get_data(as_text=True)
    assert id_no not in yes.get_data(as_text=True)  # the ID number is never echoed back
    no_text = vi("No: these details do not match a certificate issued by this platform.")
    wrong = client.post("/verify/holder", data={"number": number, "id_number": id_number(43), "csrf_token": token})
    unknown = client.post("/verify/holder", data={"number": certs.new_number(2026), "id_number": id_no,
                                                  "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 200
    assert no_text in wrong.get_data(as_text=True) and no_text in unknown.get_data(as_text=True)
    bad = client.post("/verify/holder", data={"number": number, "id_number": "12345", "csrf_token": token})
    assert bad.status_code == 400
    assert vi("Type the 12-digit ID number printed on the citizen identity card.") in bad.get_data(as_text=True)
    assert 'value="12345"' not in bad.get_data(as_text=True)
    with Session(clean_db) as s:
        rows = s.scalars(select(models.HolderCheck).order_by(models.HolderCheck.id)).all()
        assert [r.result for r in rows] == ["match", "no_match", "unknown"]
        assert all(r.client and r.checked_at for r in rows)
        dump = repr([(r.certificate_number, r.client, r.result) for r in rows])
    assert id_no not in dump and id_number(43) not in dump and "127.0.0.1" not in dump
    assert id_no not in caplog.text and id_number(43) not in caplog.text and "12345" not in caplog.text


def test_holder_checks_are_rate_limited_per_ip_and_per_certificate(published: Flask, auth: Auth,
                                                                   client: FlaskClient, clean_db: Engine) -> None:
    """Past HOLDER_CHECK_LIMIT_PER_CERTIFICATE checks of one certificate (from any address) or
    HOLDER_CHECK_LIMIT_PER_IP checks from one address (of any certificate), a 429 page."""
    published.config.update(HOLDER_CHECK_LIMIT_PER_CERTIFICATE=2, HOLDER_CHECK_LIMIT_PER_IP=3)
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 44)

    def check(ip: str, cert: str) -> int:
        browser = published.test_client()
        browser.environ_base["REMOTE_ADDR"] = ip
        token = csrf_token(browser, "/verify/holder")
        return browser.post("/verify/holder", data={"number": cert, "id_number": id_number(45),
                                                    "csrf_token": token}).status_code

    assert [check(ip, number) for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")] == [200, 200, 429]
    others = [certs.new_number(2026) for _ in range(4)]
    assert [check("10.0.0.7", n) for n in others] == [200, 200, 200, 429]
    with Session(clean_db) as s:
        assert s.scalars(select(models.HolderCheck.result)).all().count("limited") == 2


def _old_form(session: Session, cert: Certificate, id_no: str, settings: certificates.Settings) -> str:
    """Make `cert` look like one issued before this fix: its credential carries the salted ID hash."""
    document = json.loads(cert.credential)
    document.pop("proof")
    document.pop("credentialStatus", None)
    salt = certs.new_salt() if hasattr(certs, "new_salt") else "ab" * 16
    document["credentialSubject"]["identifier"] = [{
        "type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": True, "salt": salt,
        "identityHash": "sha256$" + hashlib.sha256((id_no + salt).encode()).hexdigest()}]
    key_row, key = certificates.active_key(session, settings.keys_dir, NOW)
    signed = openbadges.add_proof(document, key, openbadges.verification_method(settings.base_url, key_row.kid),
                                  NOW)
    cert.credential = certs.canonical(signed).decode()
    cert.credential_form = 1
    cert.status_list = None
    cert.status_index = None
    session.commit()
    return signed["proof"][0]["proofValue"]


def test_reissue_replaces_old_credentials(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                                          clean_db: Engine) -> None:
    """A credential in the old form is not served; `lms certificates reissue` signs a new one under the same
    number, without the ID hash and with a status entry, and keeps a record of the old one as superseded;
    running it again changes nothing."""
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 46)
    settings = certificates.Settings.from_config(published.config, "http://localhost/")
    with Session(clean_db) as s:
        cert = s.scalars(select(Certificate).where(Certificate.number == number)).one()
        old_proof = _old_form(s, cert, id_no, settings)
    gone = client.get(f"/certificates/{number}.json")
    assert gone.status_code == 404 and b"identityHash" not in gone.data
    result = runner.invoke(args=["certificates", "reissue"])
    assert result.exit_code == 0 and "re-issued 1" in result.output, result.output
    document = client.get(f"/certificates/{number}.json").get_json()
    assert "identifier" not in document["credentialSubject"]
    assert document["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert openbadges.check(document, _keys(client)).ok
    assert document["proof"][0]["proofValue"] != old_proof
    with Session(clean_db) as s:
        old = s.scalars(select(models.SupersededCredential)).one()
        assert old.proof_value == old_proof and old.certificate.number == number
        assert "identityHash" not in repr(vars(old))
    again = runner.invoke(args=["certificates", "reissue"])
    assert again.exit_code == 0 and "re-issued 0" in again.output


def test_cli_verify_reports_a_superseded_credential(published: Flask, client: FlaskClient, runner: Any,
                                                    auth: Auth, clean_db: Engine, tmp_path: Any) -> None:
    """An old file, still correctly signed, is SUPERSEDED (exit 1) once re-issued."""
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 47)
    settings = certificates.Settings.from_config(published.config, "http://localhost/")
    with Session(clean_db) as s:
        cert = s.scalars(select(Certificate).where(Certificate.number == number)).one()
        _old_form(s, cert, id_no, settings)
        old = cert.credential
    runner.invoke(args=["certificates", "reissue"])
    file = tmp_path / "old.json"
    file.write_text(old)
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 1 and result.output.startswith(f"SUPERSEDED: {number}"), result.output


# --- point 13: the offline verifier ------------------------------------------------------------------------

def test_cli_verify_refuses_duplicate_keys(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                                           clean_db: Engine, tmp_path: Any) -> None:
    """`"name":"A","name":"B"` is INVALID (exit 1) naming the duplicate key, not VALID with the last value."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 48)
    file, keys, data = _files(tmp_path, client, number)
    text = data.decode()
    forged = text.replace(f'"name":"{HOLDER}"', f'"name":"Kẻ Giả Mạo","name":"{HOLDER}"', 1)
    assert forged != text
    file.write_text(forged)
    result = runner.invoke(args=["certificates", "verify", str(file), "--keys", str(keys)])
    assert result.exit_code == 1 and result.output.startswith("INVALID"), result.output
    assert "duplicate key 'name'" in result.output


def test_cli_verify_refuses_deep_nesting(published: Flask, runner: Any, tmp_path: Any) -> None:
    """200,000 nested brackets: INVALID with a message, no RecursionError traceback."""
    file = tmp_path / "deep.json"
    file.write_text('{"a":' + "[" * 200_000 + "]" * 200_000 + "}")
    result = runner.invoke(args=["certificates", "verify", str(file)])
    assert result.exit_code == 1 and result.output.startswith("INVALID"), result.output
    assert "nested too deeply" in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "RecursionError" not in result.output


def test_cli_verify_says_exactly_what_failed(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                                             clean_db: Engine, tmp_path: Any) -> None:
    """No proof, an unknown key id and a wrong signature are three different messages; an unusable keys
    file exits 2."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 49)
    file, keys, data = _files(tmp_path, client, number)
    document = json.loads(data)

    def run(doc: Any, keys_file: Any = keys) -> Any:
        path = tmp_path / "case.json"
        path.write_text(json.dumps(doc, ensure_ascii=False))
        return runner.invoke(args=["certificates", "verify", str(path), "--keys", str(keys_file)])

    no_proof = run({k: v for k, v in document.items() if k != "proof"})
    assert no_proof.exit_code == 1 and "INVALID: no proof" in no_proof.output
    assert "signature does not match" not in no_proof.output
    strangers = tmp_path / "strangers.json"
    strangers.write_text(json.dumps({"keys": [certs.public_jwk(certs.new_private_key())]}))
    unknown = run(document, strangers)
    assert unknown.exit_code == 1 and "INVALID: unknown key id" in unknown.output
    assert "signature does not match" not in unknown.output
    changed = json.loads(data)
    changed["credentialSubject"]["name"] = "Người Khác"
    bad = run(changed)
    assert bad.exit_code == 1 and "INVALID: the signature does not match" in bad.output
    broken_keys = tmp_path / "broken.json"
    broken_keys.write_text('{"keys": 5}')
    assert run(document, broken_keys).exit_code == 2


# --- point 14: the Bitstring Status List -------------------------------------------------------------------

def _bit(encoded: str, index: int) -> int:
    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) >= 16 * 1024
    return (raw[index // 8] >> (7 - index % 8)) & 1


def test_new_credentials_carry_a_status_list_entry(published: Flask, client: FlaskClient, auth: Auth,
                                                   clean_db: Engine) -> None:
    """A BitstringStatusListEntry (revocation) with a random index; the credential still validates against
    the OB 3.0 schema."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 50)
    document = client.get(f"/certificates/{number}.json").get_json()
    jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    entry = document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    assert entry["statusListCredential"] == "http://localhost/status/revocation/1"
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    assert 0 <= int(entry["statusListIndex"]) < 131072
    with Session(clean_db) as s:
        cert = s.scalars(select(Certificate).where(Certificate.number == number)).one()
        assert str(cert.status_index) == entry["statusListIndex"] and cert.status_list == 1


def test_status_list_is_signed_and_flips_on_revocation(published: Flask, client: FlaskClient, runner: Any,
                                                       auth: Auth, clean_db: Engine) -> None:
    """The list is a signed BitstringStatusListCredential (≥ 16 KB, GZIP, multibase); revoking sets the bit."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 51)
    entry = client.get(f"/certificates/{number}.json").get_json()["credentialStatus"]
    index = int(entry["statusListIndex"])
    listing = client.get("/status/revocation/1")
    assert listing.status_code == 200 and listing.mimetype == "application/json"
    status = listing.get_json()
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status["id"] == entry["statusListCredential"]
    subject = status["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert openbadges.check(status, _keys(client)).ok
    assert _bit(subject["encodedList"], index) == 0
    runner.invoke(args=["certificates", "revoke", number, "--reason", "Gian lận"])
    after = client.get("/status/revocation/1").get_json()
    assert openbadges.check(after, _keys(client)).ok
    assert _bit(after["credentialSubject"]["encodedList"], index) == 1
    assert client.get("/status/revocation/99").status_code == 404


def test_cli_verify_checks_the_status_list(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                                           clean_db: Engine, tmp_path: Any) -> None:
    """Offline (no database): with the list file, VALID says the list was checked; once revoked, REVOKED
    'status list: revoked'; without a list, or with a forged or unreachable one, it says plainly it could not
    check."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 52)
    file, keys, _ = _files(tmp_path, client, number)
    listing = tmp_path / "status.json"
    listing.write_bytes(client.get("/status/revocation/1").data)
    offline = ["certificates", "verify", str(file), "--keys", str(keys), "--offline"]

    result = runner.invoke(args=[*offline, "--status-list", str(listing)])
    assert result.exit_code == 0 and result.output.startswith(f"VALID: {number}"), result.output
    assert "status list: not revoked" in result.output
    none = runner.invoke(args=offline)
    assert none.exit_code == 0 and "status list could not be checked (no list given" in none.output
    forged = json.loads(listing.read_text())
    forged["credentialSubject"]["encodedList"] = "u" + base64.urlsafe_b64encode(
        gzip.compress(bytes(16 * 1024))).decode().rstrip("=")
    forged_file = tmp_path / "forged.json"
    forged_file.write_text(json.dumps(forged))
    result = runner.invoke(args=[*offline, "--status-list", str(forged_file)])
    assert "status list could not be checked (the list's signature does not match)" in result.output
    assert result.exit_code == 3 and result.output.startswith(f"VALID: {number}"), result.output
    unreachable = runner.invoke(args=[*offline, "--fetch-status"])
    assert "status list could not be checked (could not fetch http://localhost/status/revocation/1" in \
        unreachable.output
    assert unreachable.exit_code == 3, unreachable.output

    runner.invoke(args=["certificates", "revoke", number, "--reason", "Gian lận"])
    listing.write_bytes(client.get("/status/revocation/1").data)
    result = runner.invoke(args=[*offline, "--status-list", str(listing)])
    assert result.exit_code == 1 and result.output.startswith(f"REVOKED: {number}"), result.output
    assert "status list: revoked" in result.output


def test_cli_verify_fetches_the_status_list(published: Flask, client: FlaskClient, runner: Any, auth: Auth,
                                            clean_db: Engine, tmp_path: Any) -> None:
    """--fetch-status downloads the list the credential names over real HTTP (the platform served on a local
    port) and reads the certificate's bit: not revoked, then revoked."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, published, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        published.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
        auth.register()
        number, _ = issue(published, clean_db, "an@example.vn", 53)
        file, keys, _ = _files(tmp_path, client, number)
        assert published.config["PUBLIC_URL"] in file.read_text()
        offline = ["certificates", "verify", str(file), "--keys", str(keys), "--offline", "--fetch-status"]
        result = runner.invoke(args=offline)
        assert result.exit_code == 0 and "status list: not revoked" in result.output, result.output
        runner.invoke(args=["certificates", "revoke", number, "--reason", "Gian lận"])
        result = runner.invoke(args=offline)
        assert result.exit_code == 1 and result.output.startswith(f"REVOKED: {number}"), result.output
        assert "status list: revoked" in result.output
    finally:
        server.shutdown()
        thread.join()


def _holder_check(app: Flask, ip: str, cert: str, id_no: str) -> int:
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    token = csrf_token(browser, "/verify/holder")
    return browser.post("/verify/holder", data={"number": cert, "id_number": id_no,
                                                "csrf_token": token}).status_code


def test_a_refused_holder_check_spends_nothing_and_is_logged_once(published: Flask, auth: Auth,
                                                                  clean_db: Engine) -> None:
    """Found by the probe: a client over its own limit no longer spends the certificate's checks, and a flood
    of refused checks writes one audit row per client and hour, not one per request."""
    published.config.update(HOLDER_CHECK_LIMIT_PER_CERTIFICATE=2, HOLDER_CHECK_LIMIT_PER_IP=1)
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 44)
    wrong = id_number(45)
    assert [_holder_check(published, "10.0.0.1", number, wrong) for _ in range(6)] == [200] + [429] * 5
    assert _holder_check(published, "10.0.0.2", number, wrong) == 200
    assert _holder_check(published, "10.0.0.3", number, wrong) == 429
    with Session(clean_db) as s:
        assert s.scalars(select(models.HolderCheck.result)).all().count("limited") == 2


def test_the_holders_own_checks_do_not_spend_the_certificates_limit(published: Flask, auth: Auth,
                                                                   clean_db: Engine) -> None:
    """A verifier with the holder in front of them is not refused because of earlier right answers: only
    checks that do not match count against the certificate."""
    published.config.update(HOLDER_CHECK_LIMIT_PER_CERTIFICATE=2, HOLDER_CHECK_LIMIT_PER_IP=10,
                            IDENTITY_KEY=IDENTITY_KEY.decode())
    auth.register()
    number, id_no = issue(published, clean_db, "an@example.vn", 44)
    assert [_holder_check(published, f"10.0.1.{i}", number, id_no) for i in range(4)] == [200] * 4
    with Session(clean_db) as s:
        assert s.scalars(select(models.HolderCheck.result)).all() == ["match"] * 4


def _old_list(published: Flask, clean_db: Engine, days: float) -> dict[str, Any]:
    """List 1 as the platform signed it `days` ago (the service's own build and proof, an old clock)."""
    from datetime import timedelta

    from lms.models import utcnow

    with Session(clean_db) as s, published.app_context():
        settings = certificates.Settings.from_config(published.config, "http://localhost")
        listing = certificates.status_list(s, 1, settings, utcnow() - timedelta(days=days))
        s.commit()
    assert listing is not None
    return listing


def test_cli_verify_refuses_a_status_list_past_its_validity(published: Flask, client: FlaskClient,
                                                            runner: Any, auth: Auth, clean_db: Engine,
                                                            tmp_path: Any) -> None:
    """F8: a list made before the revocation, given after its validity ended, never says 'not revoked': the
    command says it could not check (expired list of <validFrom>) and exits 3 (revocation unknown); a fresh
    list says REVOKED. The list's date is printed; a list signed by the platform within its validity still
    counts."""
    auth.register()
    number, _ = issue(published, clean_db, "an@example.vn", 54)
    file, keys, _ = _files(tmp_path, client, number)
    offline = ["certificates", "verify", str(file), "--keys", str(keys), "--offline", "--status-list"]
    old = _old_list(published, clean_db, days=2)
    assert openbadges.check(old, _keys(client)).ok
    before = tmp_path / "list-before.json"
    before.write_text(json.dumps(old))
    recent = tmp_path / "list-recent.json"
    recent.write_text(json.dumps(_old_list(published, clean_db, days=0.5)))

    result = runner.invoke(args=[*offline, str(recent)])
    assert result.exit_code == 0 and "status list: not revoked" in result.output, result.output
    assert "list of " in result.output

    runner.invoke(args=["certificates", "revoke", number, "--reason", "Gian lận"])
    result = runner.invoke(args=[*offline, str(before)])
    assert "not revoked" not in result.output, result.output
    assert f"status list could not be checked (expired list of {old['validFrom']})" in result.output
    assert result.exit_code == 3, result.output

    fresh = tmp_path / "list-now.json"
    fresh.write_bytes(client.get("/status/revocation/1").data)
    result = runner.invoke(args=[*offline, str(fresh)])
    assert result.exit_code == 1 and result.output.startswith(f"REVOKED: {number}"), result.output


def test_status_list_has_a_validity_and_is_cached_within_it(published: Flask, client: FlaskClient, auth: Auth,
                                                            clean_db: Engine) -> None:
    """The served list carries validUntil and a ttl (ms), and HTTP caches keep it no longer than its ttl."""
    from datetime import datetime

    auth.register()
    issue(published, clean_db, "an@example.vn", 55)
    response = client.get("/status/revocation/1")
    listing = response.get_json()
    valid_from = datetime.fromisoformat(listing["validFrom"])
    valid_until = datetime.fromisoformat(listing["validUntil"])
    ttl_ms = listing["credentialSubject"]["ttl"]
    assert isinstance(ttl_ms, int) and 0 < ttl_ms <= (valid_until - valid_from).total_seconds() * 1000
    max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))  # type: ignore[union-attr]
    assert 0 < max_age * 1000 <= ttl_ms
    assert openbadges.check(listing, _keys(client)).ok
