"""A crawler that posts to every form endpoint of the app: no input gives a 500 (issue 9, point 3).

Every rule of `app.url_map` that accepts POST is tried as an anonymous visitor, as a signed-in learner (with an
enrolment and a quiz attempt of their own) and as an official who is also a unit admin. URL parameters are
filled with real values (the demo course slugs, lesson and quiz slugs, the learner's attempt id, the official's
unit and grant id) and with junk (unknown slugs, huge and negative numbers, odd Unicode). To each URL it posts
(a) nothing, (b) random fields and values, and (c) a valid CSRF token plus random fields, so the request gets
past the CSRF check into the view. The field names are those of the real forms the crawler saw on the site's
pages, plus junk names; the values mix real ones (slugs, option keys, unit codes, roles) with nasty ones
(NUL, control and format characters, 5,000 characters, numbers that overflow a database integer...).

A response is either a redirect / success, or a 4xx that is an HTML page with a message (an `<h1>`), never a
traceback; the VNeID stub's OAuth endpoints (`/vneid/token`, `/vneid/userinfo`) answer 4xx with an OAuth JSON
error instead, as the protocol says. A 500 (in tests an unhandled exception reaches the test client) is
collected with the request that caused it and reported at the end. The generator is seeded: the run is the
same every time.
"""
from __future__ import annotations

import json
import random
import re
from typing import Any, Callable, Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from lms.extensions import limiter
from lms.models import Course, OfficialGrant, QuizAttempt
from tests import factories
from tests.conftest import CSRF_RE, Auth
from tests.web.conftest import attempt_id, live_quiz
from tests.web.pages import parse
from tests.web.test_officials import account

SEED = 9
OAUTH_JSON = {"vneid.token", "vneid.userinfo"}
# Posted last for a signed-in user: they end the session (the crawler signs in again when one did).
SESSION_ENDERS = {"auth.logout", "auth.end_all_sessions", "auth.change_password", "auth.set_password"}
LEARNER = "an@example.vn"  # tests.conftest.Auth's default account
OFFICIAL = "xa@example.vn"
HOAN_KIEM = "00070"

NASTY = ["", " ", "\x00", "a\x00b", "\r\n", "\u202e", "\u200b", "𝟘", "ệ", "e\u0301\u0301\u0301", "²", "١٢",
         "a" * 5000, "-1", "0", "1.5", "1e999", "99999999999999999999", str(2**63), "%", "%00", "../../etc/passwd",
         "<script>alert(1)</script>", "' OR 1=1 --", "{}", "[]", "null", "true", "//evil.example/", "http://evil.example"]
# Bytes that are not UTF-8, as a browser or a script could send them (percent-encoded in a urlencoded body):
# a lone surrogate (CESU-8), a stray continuation byte, an overlong '/', a truncated sequence.
BAD_UTF8 = ["%ED%A0%80", "%FF%FE", "%C0%AF", "%E1%BB", "a%80b"]
JUNK_NAMES = ["", "x", "q", "q0", "q-1", "q99999999999999999999", "qabc", "csrf_token", "next", "__proto__", "a" * 300,
              "tên", "\x00"]
JUNK_SLUGS = ["khong-co", "x" * 300, "..", "ệ", "0", "-1", "%00", "a b"]
JUNK_INTS = ["0", "1", "999999", str(2**63 - 1), str(2**63), "-1"]
JUNK_CODES = ["VN", "01", "79", "zz", "9" * 50, "00000", "%"]


class Crawler:
    """The site as one user sees it: form field names gathered from real pages, URLs and payloads to try."""

    def __init__(self, app: Flask, client: FlaskClient, values: dict[str, list[str]], rng: random.Random,
                 sign_in: Any = None) -> None:
        self.app, self.client, self.values, self.rng, self.sign_in = app, client, values, rng, sign_in
        self.field_names: set[str] = set()
        self.real_values: set[str] = set()
        self.failures: list[str] = []
        self.requests = 0
        # the forms seen on the pages: action -> field name -> the values the page offers (options, radios)
        self.forms: dict[str, dict[str, set[str]]] = {}
        self._token: tuple[str | None, str] | None = None
        self._signed_in_as: str | None = "(not checked yet)"

    def gather(self, urls: list[str]) -> None:
        """Field names (and option values) of the forms on these pages."""
        for url in urls:
            body = self.client.get(url).get_data(as_text=True)
            self.field_names |= set(re.findall(r'\sname="([^"]+)"', body))
            self.real_values |= set(re.findall(r'\svalue="([^"]{1,80})"', body))
            for form in parse(body).find_all("form"):
                action = form.attrs.get("action") or url
                fields = self.forms.setdefault(action.split("?")[0], {})
                for node in form.iter():
                    name = node.attrs.get("name")
                    if node.tag in ("input", "select", "textarea", "button") and name and name != "csrf_token":
                        fields.setdefault(name, set())
                        if node.attrs.get("value"):
                            fields[name].add(node.attrs["value"])
                    elif node.tag == "option" and node.attrs.get("value"):
                        owner = next((n for n in _ancestors(node) if n.tag == "select"), None)
                        if owner is not None and owner.attrs.get("name"):
                            fields.setdefault(owner.attrs["name"], set()).add(node.attrs["value"])
        self.real_values -= {factories.PASSWORD}  # never change or lock an account by chance

    def _cookie(self) -> str | None:
        cookie = self.client.get_cookie(self.app.config.get("SESSION_COOKIE_NAME", "session"))
        return cookie.value if cookie is not None else None

    def token(self) -> str:
        """The CSRF token of the current session, read from a real page again whenever the session changed."""
        if self._token is None or self._token[0] != self._cookie():
            body = self.client.get("/courses").get_data(as_text=True)
            match = CSRF_RE.search(body)
            assert match, "no CSRF token on /courses"
            self._token = (self._cookie(), match.group(1) or match.group(2))
        return self._token[1]

    def ready(self) -> None:
        """Signed in again when a post changed the session (a logout, 'sign out everywhere')."""
        if self.sign_in is not None and self._signed_in_as != self._cookie():
            self.sign_in()
            self._signed_in_as = self._cookie()

    def urls(self, rule: Rule) -> Iterator[str]:
        """The rule with real values, then a few random mixes of real and junk values."""
        names = sorted(rule.arguments)
        real = {n: self.values[n][0] for n in names}
        combos = [real]
        for _ in range(3 if names else 0):
            combos.append({n: self.rng.choice(self.values[n] + self.values[n]) for n in names})
        seen = set()
        for combo in combos:
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: quote(combo[m.group(1)], safe=""), rule.rule)
            if url not in seen:
                seen.add(url)
                yield url

    def value(self) -> str:
        pool = self.rng.choice([NASTY, sorted(self.real_values) or NASTY])
        return self.rng.choice(pool)

    def fields(self) -> dict[str, Any]:
        names = sorted(self.field_names - {"csrf_token"}) + JUNK_NAMES
        data: dict[str, Any] = {}
        for name in self.rng.sample(names, self.rng.randint(1, min(8, len(names)))):
            data[name] = [self.value() for _ in range(self.rng.randint(2, 3))] if self.rng.random() < 0.2 \
                else self.value()
        return data

    def near_valid(self, url: str) -> dict[str, Any]:
        """The real form posted to `url` (when the crawler saw one): every field, each with a value the page
        offers or a nasty one, and now and then one left out."""
        data: dict[str, Any] = {}
        for name, offered in sorted(self.forms.get(url, {}).items()):
            if self.rng.random() < 0.15:
                continue
            good = sorted(offered - {factories.PASSWORD})
            data[name] = self.rng.choice(good) if good and self.rng.random() < 0.7 else self.value()
        return data

    def payloads(self, url: str) -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
        """(kind, a function making the request's arguments): made just before the post, after signing in
        again, so that the CSRF token is the current session's."""
        yield "nothing", dict
        if url in self.forms:
            for _ in range(3):
                yield "token + the real form, values mutated", lambda: {
                    "data": {**self.near_valid(url), "csrf_token": self.token()}}
            for nasty in NASTY:  # each nasty value in every field of the real form
                yield "token + the real form, one nasty value in every field", lambda nasty=nasty: {
                    "data": {**{name: nasty for name in self.forms[url]}, "csrf_token": self.token()}}
        for _ in range(2):
            yield "random fields", lambda: {"data": self.fields()}
        yield "random body", lambda: {
            "data": bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 200))),
            "content_type": self.rng.choice(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                             "application/json"])}
        for _ in range(3):
            yield "token + random fields", lambda: {"data": {**self.fields(), "csrf_token": self.token()}}
        yield "token + bytes that are not UTF-8", lambda: {"data": self.raw_fields(self.token()),
                                                           "content_type": "application/x-www-form-urlencoded"}

    def raw_fields(self, token: str) -> bytes:
        """A urlencoded body by hand, so that values (and a name) may be bytes that are not UTF-8."""
        pairs = [f"csrf_token={quote(token)}"]
        for name in self.fields():
            value = self.rng.choice(BAD_UTF8) if self.rng.random() < 0.6 else quote(self.value())
            pairs.append(f"{quote(name)}={value}")
        pairs.append(f"{self.rng.choice(BAD_UTF8)}=1")
        return "&".join(pairs).encode()

    def post(self, rule: Rule, url: str, kind: str, kwargs: dict[str, Any]) -> None:
        self.requests += 1
        where = f"POST {url[:120]} ({kind}: {str(kwargs.get('data'))[:300]})"
        try:
            response = self.client.post(url, **kwargs)
        except Exception as exc:  # in tests the app lets an unhandled exception reach the client: a 500
            self.failures.append(f"{where} -> {type(exc).__name__}: {exc}"[:800])
            return
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{where} -> {status}")
        elif status >= 400:
            problem = body_problem(rule, response)
            if problem:
                self.failures.append(f"{where} -> {status}: {problem}")

    def crawl(self) -> None:
        rules = [r for r in self.app.url_map.iter_rules() if "POST" in (r.methods or ())]
        rules.sort(key=lambda r: (r.endpoint in SESSION_ENDERS, r.rule))
        for rule in rules:
            for url in self.urls(rule):
                for kind, make in self.payloads(url):
                    self.ready()
                    self.post(rule, url, kind, make())


def body_problem(rule: Rule, response: Any) -> str | None:
    """Why a 4xx body is not a proper refusal, or None."""
    body = response.get_data(as_text=True)
    if "Traceback" in body or "Werkzeug Debugger" in body:
        return "a traceback"
    if rule.endpoint in OAUTH_JSON:
        try:
            error = json.loads(body).get("error")
        except (ValueError, AttributeError):
            return f"not an OAuth JSON error: {body[:120]!r}"
        return None if error else f"no 'error' in {body[:120]!r}"
    if not response.mimetype == "text/html" or "<html" not in body:
        return f"not an HTML page ({response.mimetype}): {body[:120]!r}"
    h1 = parse(body).find("h1")
    if h1 is None or not h1.text:
        return "an HTML page with no message (<h1>)"
    return None


def _ancestors(node: Any) -> Iterator[Any]:
    while node.parent is not None:
        node = node.parent
        yield node


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/profile").status_code == 200


def signer(client: FlaskClient, auth: Auth, login: str) -> Callable[[], None]:
    """Signs `login` in again when the session ended. The crawler's own wrong logins have used up this
    client's login rate limit by then (a 429, as it should be), so the limiter's counts are reset first."""
    def sign_in() -> None:
        if not _signed_in(client):
            limiter.reset()
            response = auth.login(login)
            assert response.status_code == 302, f"{login} could not sign in again ({response.status_code})"
    return sign_in


@pytest.fixture
def site(demo: Flask, clean_db: Engine, client: FlaskClient, auth: Auth) -> dict[str, list[str]]:
    """Real rows behind the URL parameters: the learner an@example.vn enrolled in the scam course with a quiz
    attempt (made on the site, then signed out), the official's grant; each list starts with a real value."""
    assert auth.register().status_code == 302
    token = Crawler(demo, client, {}, random.Random(0)).token()
    scam = factories.SCAM
    client.post(f"/courses/{scam}/enrol", data={"csrf_token": token})
    quiz_slug, _ = live_quiz(clean_db, scam)
    attempt = attempt_id(client.post(f"/courses/{scam}/quiz/{quiz_slug}/start", data={"csrf_token": token}))
    auth.logout()
    with Session(clean_db) as s:
        official = account(s, OFFICIAL, 1, (HOAN_KIEM, "official"), (HOAN_KIEM, "unit_admin"))
        grant = s.scalars(select(OfficialGrant.id).where(OfficialGrant.user_id == official.id)).first()
        assert s.get(QuizAttempt, attempt) is not None
    with Session(clean_db) as s:
        course = s.scalars(select(Course).where(Course.slug == scam)).one()
        assert course.published is not None
        lesson = course.published.lessons[0].slug
    return {
        "slug": [scam, factories.VNEID, *JUNK_SLUGS],
        "lesson_slug": [lesson, "quiz", *JUNK_SLUGS],
        "quiz_slug": [quiz_slug, *JUNK_SLUGS],
        "attempt_id": [str(attempt), *JUNK_INTS],
        "grant_id": [str(grant), *JUNK_INTS],
        "code": [HOAN_KIEM, *JUNK_CODES],
        "number": ["HVS-2025-000001", "0", "x" * 300, "%00", "ệ"],
    }


PAGES = ["/", "/courses", "/login", "/register", "/verify", "/auth/reset-password", "/profile", "/profile/password",
         "/profile/place", f"/courses/{factories.SCAM}/", f"/officials/units/{HOAN_KIEM}/admin",
         f"/officials/units/{HOAN_KIEM}/reports", "/officials/"]


def run(crawler: Crawler, extra_pages: list[str] = ()) -> None:  # type: ignore[assignment]
    crawler.gather(PAGES + list(extra_pages))
    crawler.crawl()
    assert crawler.requests > 200
    assert not crawler.failures, f"{len(crawler.failures)} of {crawler.requests} posts failed:\n" + \
        "\n".join(crawler.failures[:30])


def test_anonymous_posts_are_never_a_500(demo: Flask, client: FlaskClient, site: dict[str, list[str]]) -> None:
    run(Crawler(demo, client, site, random.Random(SEED)))


def test_a_learners_posts_are_never_a_500(demo: Flask, client: FlaskClient, auth: Auth,
                                          site: dict[str, list[str]]) -> None:
    sign_in = signer(client, auth, LEARNER)
    sign_in()
    run(Crawler(demo, client, site, random.Random(SEED + 1), sign_in), [f"/attempts/{site['attempt_id'][0]}"])


def test_an_officials_posts_are_never_a_500(demo: Flask, client: FlaskClient, auth: Auth,
                                            site: dict[str, list[str]]) -> None:
    sign_in = signer(client, auth, OFFICIAL)
    sign_in()
    run(Crawler(demo, client, site, random.Random(SEED + 2), sign_in))
