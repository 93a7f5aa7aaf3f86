"""The pure certificate modules: numbers and their check character, canonical JSON, Ed25519 signatures over
the payload, the recipient hash, and the Open Badges 3.0 credential with its eddsa-jcs-2022 proof."""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lms.domain import certificates as certs
from lms.domain import openbadges, statuslist
from lms.domain.framework import framework
from tests.factories import BASE_URL, SCHEMA, id_number

ISSUED = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=timezone.utc)


def facts(**changes: Any) -> certs.CertificateFacts:
    values: dict[str, Any] = dict(
        number=certs.new_number(2026, "7K3M9QX"), holder_name="Nguyễn Thị Ánh Hường",
        course_slug="nhan-dien-lua-dao", course_title="Nhận diện lừa đảo trực tuyến",
        competencies=("1.2", "2.1", "4.2"), level=2, issued_at=ISSUED,
        issuer_name="Học Vụ Số", person_hash="ab" * 32, key_id="kid-1")
    values.update(changes)
    return certs.CertificateFacts(**values)


def name_of(code: str) -> str:
    return framework().competencies[code].name("vi")


def credential(key: Any, status: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    f = facts(key_id=certs.public_jwk(key)["kid"], **changes)
    document = openbadges.build(f, BASE_URL, status, name_of, "Khóa học về lừa đảo trực tuyến.")
    return openbadges.add_proof(document, key, openbadges.verification_method(BASE_URL, f.key_id), ISSUED)


# --- numbers -----------------------------------------------------------------------------------------------

def test_number_format() -> None:
    """A number reads HVS-<year>-XXXX-XXXX in Crockford base32 (no I, L, O, U) and parses back to itself."""
    for _ in range(200):
        number = certs.new_number(2026)
        prefix, year, first, second = number.split("-")
        assert (prefix, year, len(first), len(second)) == ("HVS", "2026", 4, 4)
        assert not set(first + second) & set("ILOU")
        assert certs.parse_number(number) == number


def test_numbers_are_random() -> None:
    """Two hundred fresh numbers are all different."""
    assert len({certs.new_number(2026) for _ in range(200)}) == 200


@pytest.mark.parametrize("typed", ["hvs-2026-7k3m-9qx{check}", " HVS 2026 7K3M 9QX{check} ",
                                   "HVS20267K3M9QX{check}", "Hvs-2026-7K3M9QX{check}"])
def test_typed_numbers_are_normalised(typed: str) -> None:
    """Case, spaces and dashes do not matter."""
    number = certs.new_number(2026, "7K3M9QX")
    assert certs.parse_number(typed.format(check=number[-1])) == number


def test_lookalike_letters_are_read_as_digits() -> None:
    """O is read as 0, I and L as 1 (Crockford decoding)."""
    number = certs.new_number(2026, "1K3M0QX")
    assert certs.parse_number(number.replace("1K3M0", "IK3MO")) == number
    assert certs.parse_number(number.replace("1K3M0", "lK3Mo")) == number


def test_check_character_catches_every_single_typo() -> None:
    """Changing any one character of the code, to any other character, is detected."""
    number = certs.new_number(2026, "7K3M9QX")
    compact = number.replace("-", "")
    for position in range(3, len(compact)):
        for char in certs.ALPHABET:
            if char == compact[position] or (position < 7 and not char.isdigit()):
                continue
            typo = compact[:position] + char + compact[position + 1:]
            assert certs.parse_number(typo) is None, typo


def test_check_character_catches_neighbour_swaps() -> None:
    """Swapping two different neighbouring characters of the code is detected in most cases (> 90%)."""
    caught = total = 0
    for _ in range(100):
        compact = certs.new_number(2026).replace("-", "")
        for i in range(7, len(compact) - 1):
            if compact[i] != compact[i + 1]:
                total += 1
                swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
                caught += certs.parse_number(swapped) is None
    assert caught / total > 0.9


@pytest.mark.parametrize("text", ["", "HVS", "ABC-2026-7K3M-9QXD", "HVS-2026-7K3M-9QX", "HVS-2026-7K3M-9QXDD",
                                  "HVS-20X6-7K3M-9QXD", "HVS-2026-7K3M-9QX#", "HVS-2026-7K3U-9QXD"])
def test_malformed_numbers_are_refused(text: str) -> None:
    """Wrong prefix, length, year or characters give None."""
    assert certs.parse_number(text) is None


# --- canonical JSON ----------------------------------------------------------------------------------------

def test_canonical_json_is_jcs() -> None:
    """Keys sorted (by UTF-16 code units), no spaces, UTF-8 kept unescaped, control characters escaped."""
    value = {"b": [1, True, None], "a": "Hường\n", "é": {"z": 0, "A": "x"}, "\U0001F600": 1, "\uffff": 2}
    expected = '{"a":"Hường\\n","b":[1,true,null],"é":{"A":"x","z":0},"\U0001F600":1,"\uffff":2}'
    assert certs.canonical(value) == expected.encode("utf-8")


_json_scalars = st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.text()
_json_values = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=6), inner, max_size=4), max_leaves=20)


@hypothesis_settings(max_examples=300, deadline=None)
@given(_json_values)
def test_canonical_fast_path_is_the_general_jcs(value: Any) -> None:
    """The fast path (`json.dumps`, sorted keys) and the general serialiser give the same bytes wherever the
    fast path is taken; any text, escapes included (keys outside ASCII go the general way)."""
    try:
        general = certs._jcs(value).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: neither form can be UTF-8
        with pytest.raises(UnicodeEncodeError):
            certs.canonical(value)
        return
    assert certs.canonical(value) == general
    if certs._fast(value):
        assert json.loads(general) == value


def test_canonical_fast_path_is_taken_for_credentials() -> None:
    """A credential-shaped document takes the fast path; a non-ASCII key or a tuple does not."""
    assert certs._fast({"@context": ["a"], "credentialSubject": {"name": "Nguyễn Thị Lan", "n": 1, "x": None}})
    assert not certs._fast({"é": 1}) and not certs._fast({"a": (1, 2)}) and not certs._fast({"a": 1.5})


def test_canonical_json_refuses_floats() -> None:
    """Floats (whose JCS form is subtle) never enter a signed document."""
    with pytest.raises(TypeError):
        certs.canonical({"x": 1.5})


# --- keys and the payload signature ------------------------------------------------------------------------

def test_jwk_thumbprint_is_rfc7638() -> None:
    """The key id is the RFC 7638 thumbprint (checked against the RFC 8037 example key)."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert certs.thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_payload_has_every_field_and_no_id_number() -> None:
    """The payload names the holder, course, competencies, level, date, issuer, person reference and key id;
    the person reference is derived from the identity hash, not equal to it."""
    body = certs.payload(facts())
    assert set(body) == {"v", "number", "holder", "course", "competencies", "level", "issued", "issuer",
                         "person", "kid"}
    assert body["issued"] == "2026-11-25T09:30:15Z"
    assert body["person"] != "ab" * 32 and len(body["person"]) == 32


def test_signature_round_trip() -> None:
    """A payload signed with a key verifies with its public JWK."""
    key = certs.new_private_key()
    body = certs.payload(facts())
    assert certs.verify_payload(certs.public_jwk(key), body, certs.sign_payload(key, body))


@pytest.mark.parametrize("field,value", [
    ("number", "HVS-2026-0000-0000"), ("holder", "Nguyễn Thị Ánh Huờng"),
    ("course", {"slug": "x", "title": "y"}),
    ("competencies", ["1.2", "2.1"]), ("level", 3), ("issued", "2026-11-26T09:30:15Z"), ("issuer", "Khác"),
    ("person", "0" * 32), ("kid", "kid-2"), ("v", 2)])
def test_tampering_any_payload_field_fails(field: str, value: Any) -> None:
    """Changing any one field of the payload makes the signature fail."""
    key = certs.new_private_key()
    body = certs.payload(facts())
    signature = certs.sign_payload(key, body)
    assert not certs.verify_payload(certs.public_jwk(key), {**body, field: value}, signature)


def test_another_key_or_a_damaged_signature_fails() -> None:
    """The signature does not verify under another key, nor once damaged or malformed."""
    key, other = certs.new_private_key(), certs.new_private_key()
    body = certs.payload(facts())
    signature = certs.sign_payload(key, body)
    assert not certs.verify_payload(certs.public_jwk(other), body, signature)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not certs.verify_payload(certs.public_jwk(key), body, flipped)
    assert not certs.verify_payload(certs.public_jwk(key), body, "not base64!")


def test_private_key_pem_round_trip() -> None:
    """A key written as PEM loads back with the same key id."""
    key = certs.new_private_key()
    loaded = certs.load_private_pem(certs.private_pem(key))
    assert certs.public_jwk(loaded)["kid"] == certs.public_jwk(key)["kid"]


# --- Open Badges 3.0 ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.Draft201909Validator.FORMAT_CHECKER
    return jsonschema.Draft201909Validator(schema, format_checker=checker)


def test_credential_validates_against_the_official_schema(validator: Any) -> None:
    """The signed credential (with and without a status list entry) is valid per the 1EdTech JSON schema."""
    key = certs.new_private_key()
    for status in (statuslist.entry(BASE_URL, 1, 4711), None):
        document = credential(key, status)
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, [e.message for e in errors]


def test_schema_validation_catches_a_broken_credential(validator: Any) -> None:
    """The schema test can fail: a credential without a subject, or with a wrong type, is rejected."""
    document = credential(certs.new_private_key())
    assert not validator.is_valid({k: v for k, v in document.items() if k != "credentialSubject"})
    assert not validator.is_valid({**document, "type": ["VerifiableCredential"]})


def test_credential_content() -> None:
    """OpenBadgeCredential with the issuer profile, validFrom, the holder by name only, the status list
    entry, and the course aligned to the framework codes; the ID number appears nowhere."""
    key = certs.new_private_key()
    number = id_number(42)
    document = credential(key, statuslist.entry(BASE_URL, 1, 4711))
    assert document["@context"] == openbadges.CONTEXT
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"]["id"] == BASE_URL and document["issuer"]["name"] == "Học Vụ Số"
    assert document["validFrom"] == "2026-11-25T09:30:15Z"
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert "identifier" not in subject and subject["name"] == "Nguyễn Thị Ánh Hường"
    assert document["credentialStatus"] == {
        "id": f"{BASE_URL}/status/revocation/1#4711", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "4711",
        "statusListCredential": f"{BASE_URL}/status/revocation/1"}
    alignment = subject["achievement"]["alignment"]
    assert [a["targetCode"] for a in alignment] == ["1.2", "2.1", "4.2"]
    assert alignment[2]["targetName"] == "Bảo vệ dữ liệu cá nhân và quyền riêng tư"
    assert {a["targetFramework"] for a in alignment} == {"Thông tư 02/2025/TT-BGDĐT"}
    proof = document["proof"][0]
    assert proof["cryptosuite"] == "eddsa-jcs-2022" and proof["proofValue"].startswith("z")
    assert proof["verificationMethod"].endswith("#" + certs.public_jwk(key)["kid"])
    assert number not in json.dumps(document, ensure_ascii=False)


def test_credential_proof_round_trip_and_key_lookup() -> None:
    """The proof verifies with the published key set, and fails without the right key."""
    key = certs.new_private_key()
    document = credential(key)
    jwk = certs.public_jwk(key)
    result = openbadges.check(document, {jwk["kid"]: jwk})
    assert result.ok and result.kid == jwk["kid"] and result.number == document["id"].rsplit("/", 1)[1]
    assert openbadges.check(document, {}).reason == "unknown_key"
    other = certs.public_jwk(certs.new_private_key())
    assert openbadges.check(document, {jwk["kid"]: {**other, "kid": jwk["kid"]}}).reason == "bad_signature"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _paths(v, prefix + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, prefix + (i,))]
    return [prefix]


def test_tampering_any_credential_value_fails() -> None:
    """Every leaf value of the credential, proof options included, is covered by the proof."""
    key = certs.new_private_key()
    document = credential(key, statuslist.entry(BASE_URL, 1, 4711))
    jwk = certs.public_jwk(key)
    for path in _paths(document):
        if path[:3] == ("proof", 0, "verificationMethod"):
            continue  # changing the key reference is caught as an unknown key, below
        tampered = copy.deepcopy(document)
        target = tampered
        for step in path[:-1]:
            target = target[step]
        old = target[path[-1]]
        if isinstance(old, bool):
            target[path[-1]] = not old
        else:
            target[path[-1]] = old + 1 if isinstance(old, int) else old + "x"
        assert not openbadges.check(tampered, {jwk["kid"]: jwk}).ok, path
    moved = copy.deepcopy(document)
    moved["proof"][0]["verificationMethod"] += "x"
    assert openbadges.check(moved, {jwk["kid"]: jwk}).reason == "unknown_key"


def test_changing_any_byte_of_the_file_fails() -> None:
    """In the canonical file the platform serves, flipping any single byte makes it invalid or unreadable."""
    key = certs.new_private_key()
    jwk = certs.public_jwk(key)
    data = certs.canonical(credential(key, statuslist.entry(BASE_URL, 1, 4711)))
    assert openbadges.check(json.loads(data), {jwk["kid"]: jwk}).ok
    for position in range(len(data)):
        damaged = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]
        try:
            document = json.loads(damaged.decode("utf-8"))
        except ValueError:
            continue  # not JSON any more: the CLI reports INVALID
        assert not openbadges.check(document, {jwk["kid"]: jwk}).ok, position


def test_added_or_removed_members_fail() -> None:
    """Adding a member to the subject or dropping the status fails; so does a second proof or none."""
    key = certs.new_private_key()
    jwk = {certs.public_jwk(key)["kid"]: certs.public_jwk(key)}
    document = credential(key, statuslist.entry(BASE_URL, 1, 4711))
    added = copy.deepcopy(document)
    added["credentialSubject"]["role"] = "admin"
    assert not openbadges.check(added, jwk).ok
    assert not openbadges.check({k: v for k, v in document.items() if k != "credentialStatus"}, jwk).ok
    assert openbadges.check({**document, "proof": document["proof"] * 2}, jwk).reason == "unsupported_proof"
    assert openbadges.check({k: v for k, v in document.items() if k != "proof"}, jwk).reason == "no_proof"


def test_base58_round_trip() -> None:
    """base58btc keeps leading zero bytes and round-trips any bytes."""
    for data in (b"", b"\0\0abc", bytes(range(64)), b"\xff" * 64):
        assert openbadges.base58_decode(openbadges.base58_encode(data)) == data
    with pytest.raises(ValueError):
        openbadges.base58_decode("0OIl")


# --- strict JSON and the status list (issue 6, points 13 and 14) -------------------------------------------

def test_strict_json_refuses_what_parsers_read_differently() -> None:
    """Duplicate keys at any depth, NaN, non-UTF-8 and over-deep nesting are refused with the reason;
    brackets inside strings do not count as nesting."""
    from lms.domain import strict_json

    assert strict_json.loads(b'{"a":"[[[[{{{{","b":[1,{"c":2}]}') == {"a": "[[[[{{{{", "b": [1, {"c": 2}]}
    assert strict_json.depth('{"a":"[[[[\\"[[[","b":[[1]]}') == 3
    for text, reason in ((b'{"a":{"n":1,"n":2}}', "duplicate key 'n'"), (b'{"a":NaN}', "NaN"),
                         (b'\xff{}', "not UTF-8"), (b"[" * 65 + b"]" * 65, "nested too deeply (65 levels"),
                         (b"{", "not JSON")):
        with pytest.raises(strict_json.Refused, match=re.escape(reason)):
            strict_json.loads(text)
    assert strict_json.loads(b"[" * 64 + b"]" * 64) is not None


def test_status_list_bits_are_msb_first_and_gzip_base64url() -> None:
    """Bit 0 is the most significant bit of the first byte; the list is 16 KB before GZIP, multibase 'u'."""
    import base64
    import gzip

    encoded = statuslist.encode([0, 9, 131071])
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == 16384 and raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    bits = statuslist.decode(encoded)
    assert [statuslist.bit(bits, i) for i in (0, 1, 8, 9, 131070, 131071)] == [1, 0, 0, 1, 0, 1]


def _zeros(size: int) -> str:
    """An encodedList of `size` zero bytes."""
    import base64
    import gzip

    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(size))).decode().rstrip("=")


@pytest.mark.parametrize("make,reason", [
    (lambda: "zabc", "must start with 'u'"),
    (lambda: "u" + "A" * 10, "not GZIP"),
    (lambda: _zeros(100), "fewer than the minimum"),
    (lambda: _zeros(17 * 1024 * 1024), "larger than 16 MB"),  # a GZIP bomb is cut at 16 MB
])
def test_status_list_decoding_refuses_bad_lists(make: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        statuslist.decode(make())


def test_status_check_reads_the_bit_and_says_why_it_could_not() -> None:
    """A signed list of the credential's issuer gives revoked / not revoked; anything else is 'unchecked'
    with the reason."""
    key = certs.new_private_key()
    document = credential(key, statuslist.entry(BASE_URL, 1, 4711))
    listing = statuslist.build(BASE_URL, 1, [4711], ISSUED)
    assert statuslist.check(document, listing, "", ISSUED) == statuslist.Status("revoked")
    assert statuslist.check(document, statuslist.build(BASE_URL, 1, [4710], ISSUED), "", ISSUED).state == \
        "not_revoked"
    other = statuslist.build("https://other.example", 1, [], ISSUED)
    other["id"] = listing["id"]
    cases = [
        (credential(key), listing, "", "no BitstringStatusListEntry"),
        (document, listing, "signature does not match", "the list's signature does not match"),
        (document, statuslist.build(BASE_URL, 2, [], ISSUED), "", "not the one the credential names"),
        (document, other, "", "someone other than the certificate's issuer"),
        (document, {**listing, "validUntil": "2026-01-01T00:00:00Z"}, "", "expired"),
        (document, [], "", "not a JSON object"),
    ]
    for doc, lst, proof, reason in cases:
        status = statuslist.check(doc, lst, proof, ISSUED)
        assert status.state == "unchecked" and reason in status.reason, (reason, status)


def test_status_check_refuses_a_list_past_its_validity() -> None:
    """F8: a list is good from validFrom until validUntil and no longer than its ttl (and at most
    statuslist.MAX_AGE, also for a list without validUntil); past it, or dated in the future, the status is
    'unchecked' — never 'not revoked' — and says the list's date."""
    from datetime import timedelta

    key = certs.new_private_key()
    document = credential(key, statuslist.entry(BASE_URL, 1, 4711))
    listing = statuslist.build(BASE_URL, 1, [], ISSUED)
    assert listing["validUntil"] > listing["validFrom"] and listing["credentialSubject"]["ttl"] > 0
    fresh = statuslist.check(document, listing, "", ISSUED + timedelta(hours=1))
    assert fresh.state == "not_revoked" and fresh.list_date == listing["validFrom"]
    later = ISSUED + timedelta(days=2)
    old_form = {k: v for k, v in listing.items() if k != "validUntil"}
    old_form["credentialSubject"] = {k: v for k, v in listing["credentialSubject"].items() if k != "ttl"}
    short_ttl = copy.deepcopy(listing)
    short_ttl["credentialSubject"]["ttl"] = 60_000
    for lst, when in ((listing, later), (old_form, later), (short_ttl, ISSUED + timedelta(minutes=2))):
        status = statuslist.check(document, lst, "", when)
        assert status.state == "unchecked" and status.reason == f"expired list of {listing['validFrom']}", status
    future = statuslist.check(document, listing, "", ISSUED - timedelta(hours=1))
    assert future.state == "unchecked" and "in the future" in future.reason
    for bad in ({**listing, "validFrom": "yesterday"}, {k: v for k, v in listing.items() if k != "validFrom"}):
        assert statuslist.check(document, bad, "", ISSUED).state == "unchecked"
