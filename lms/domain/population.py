"""A synthetic population for demonstrations and benchmarks (`lms demo population`, docs/reporting.md,
"Synthetic population"): people spread over the real provinces and communes, in the four target groups, who
register, verify through VNeID, join courses, complete them and receive certificates (a few of them revoked)
over the configured years.

Pure and deterministic: the rows of person `i` depend only on the seed, the chunk `i` falls in and the
inputs (courses, communes, time range), never on the database or on the clock. Chunks are independent (row
ids and certificate serials are reserved per person), so they can be made in any order, or in another
process, and a run of N people is the prefix of a run of more people with the same seed.

What marks a synthetic row (and is what `--replace` deletes):
- accounts: the e-mail domain SYNTHETIC_EMAIL_DOMAIN (a reserved `.invalid` name: no mail can ever go there),
  and an unusable password hash (no one can log in as them);
- certificates: the issuer SYNTHETIC_ISSUER and the key id SYNTHETIC_KEY_ID, which no signing key has, with a
  payload and a credential that say they are simulated; they are not signed (verification says what they are).

"Two accounts of one person": a person's hash is unique among accounts, so the second account of a person is
modelled as a never-verified account with the same name in the same commune (what a learner who registered
twice and verified only one of the accounts leaves behind); it counts as a registered person of its own, as
docs/reporting.md says an unverified account does.
"""
from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Sequence

from . import certificates as certs
from .statuslist import LIST_SIZE

SYNTHETIC_EMAIL_DOMAIN = "demo.hocvuso.invalid"
SYNTHETIC_ISSUER = "Học Vụ Số (dữ liệu mô phỏng)"
SYNTHETIC_KEY_ID = "synthetic"  # no signing_key row has this id: nothing verifies against it
SYNTHETIC_PASSWORD_HASH = "!synthetic"  # not a werkzeug hash: every login is refused
SYNTHETIC_NOTE = ("Dữ liệu mô phỏng, không phải chứng chỉ thật "
                  "(simulated demonstration data, not a real certificate)")
REVOKE_REASON = "Dữ liệu mô phỏng: thu hồi mẫu (simulated revocation)"

CHUNK = 10_000  # people per chunk: the unit of determinism, of memory and of progress
IDS_PER_PERSON = 4  # row ids reserved per person: accounts (2), enrolments (4), certificates (3 + 1 spare)

# Population of the 34 provinces in force since 1 July 2025, in thousands, approximate: for each new province
# the sum of the average population in 2023 of the former provinces it joined (General Statistics Office,
# statistical yearbook), rounded. Written down here, not loaded from a data file, and not re-checked
# against the source: good to a few per cent, which is all a weight needs. Used only to weight where
# synthetic people live, never as the denominator of a rate (those come from the plans, with their source).
PROVINCE_POPULATION = {
    "01": 8590, "04": 545, "08": 1704, "11": 640, "12": 482, "14": 1300, "15": 1617, "19": 1660,
    "20": 802, "22": 1362, "24": 3410, "25": 3589, "31": 4061, "33": 3168, "37": 3775, "38": 3740,
    "40": 3440, "42": 1323, "44": 1563, "46": 1160, "48": 2765, "51": 1830, "52": 3090, "56": 1860,
    "66": 2790, "68": 3260, "75": 4340, "79": 13406, "80": 2920, "82": 3390, "86": 3340, "91": 3660,
    "92": 3180, "96": 2120,
}

# Target groups (lms/data/framework.yaml) and their shares among learners: public-sector staff, pupils and
# students, adults, enterprise workers. A plausible mix, not a statistic.
GROUP_SHARES = {1: 0.07, 2: 0.22, 3: 0.55, 4: 0.16}
BIRTH_YEARS = {1: (1966, 2002), 2: (2006, 2014), 3: (1955, 2006), 4: (1970, 2006)}

P_VERIFIED = 0.86  # registered people who verify at all
P_LEVEL_2 = 0.92  # of those, at level 2 (the rest level 1: no certificates)
P_SECOND_ACCOUNT = 0.03  # verified people who also left a second, never-verified account
P_NO_ENROLMENT = 0.06
ENROLMENT_COUNTS = ((1, 0.15), (2, 0.30), (3, 0.55))  # then capped at the number of courses
P_COMPLETE = {True: 0.82, False: 0.40}  # by verified or not
P_REVOKED = 0.015
DAY = 86_400.0

FAMILY = (("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 4), ("Phan", 4.5),
          ("Vũ", 3.9), ("Võ", 3), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3),
          ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.6), ("Trương", 0.6), ("Lương", 0.4), ("Mai", 0.4))
MIDDLE = {"male": ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Anh", "Xuân", "Ngọc"),
          "female": ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng", "Kim", "Mai", "Bảo")}
GIVEN = {"male": ("Anh", "Bình", "Cường", "Dũng", "Duy", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang",
                  "Khoa", "Kiên", "Long", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang",
                  "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn", "Việt", "Vinh"),
         "female": ("An", "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương",
                    "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung",
                    "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Thủy", "Trang", "Trinh", "Vân", "Yến")}

# Certificate numbers and status-list indexes from a serial, through bijections, so they are unique without
# remembering the ones drawn, and look random: x -> (x * A + B) mod 2^35 (A odd) for the number's 7
# characters; (x * A2 + B2) mod LIST_SIZE for the index, each list filled at most half (as real issuing does).
_TOKEN_BITS = 35
_A = 0x5DEECE66D | 1
_A2 = 40_503
HALF_LIST = LIST_SIZE // 2
SERIALS_PER_PERSON = 3


@dataclass(frozen=True)
class CourseInfo:
    id: int
    version_id: int
    slug: str
    title: str
    competencies: tuple[str, ...]
    level: int


@dataclass(frozen=True)
class Commune:
    code: str
    province_code: str
    kind: str = "commune"


@dataclass(frozen=True)
class Plan:
    """What to generate: `people` people living in `communes` (all in force), over [start, until)."""

    people: int
    seed: int
    communes: tuple[Commune, ...]
    courses: tuple[CourseInfo, ...]
    start: datetime  # naive UTC
    until: datetime  # naive UTC, exclusive: nothing happens at or after it
    first_user_id: int = 1
    first_enrolment_id: int = 1
    first_certificate_id: int = 1
    first_status_list: int = 1

    def __post_init__(self) -> None:
        if self.people < 0:
            raise ValueError("people must be 0 or more")
        if not self.communes:
            raise ValueError("no commune to place people in")
        if not self.courses:
            raise ValueError("no published course to enrol people in")
        if self.until <= self.start:
            raise ValueError("the time range is empty")


@dataclass
class Counts:
    people: int = 0
    accounts: int = 0
    verified: int = 0  # people verified (any level)
    verified_level2: int = 0
    enrolments: int = 0
    completions: int = 0
    certificates: int = 0
    revoked: int = 0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# Row layouts (column order of the INSERT/COPY in lms.services.population). Datetimes are naive UTC.
USER_COLUMNS = ("id", "full_name", "email", "password_hash", "target_group", "province_code", "commune_code",
                "role", "active", "created_at", "person_hash", "id_masked", "id_level", "verified_at",
                "birth_date", "sex")
ENROLMENT_COLUMNS = ("id", "user_id", "course_id", "enrolled_at", "completed_at")
CERTIFICATE_COLUMNS = ("id", "number", "user_id", "course_id", "version_id", "person_hash", "holder_name",
                       "course_title", "competencies", "level", "issuer_name", "issued_at", "payload",
                       "signature", "key_id", "credential", "credential_form", "status_list", "status_index",
                       "revoked_at", "revoked_reason")


@dataclass
class Chunk:
    index: int
    users: list[tuple] = field(default_factory=list)
    enrolments: list[tuple] = field(default_factory=list)
    certificates: list[tuple] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


def commune_weight(code: str) -> float:
    """A deterministic, skewed weight for a commune (no per-commune population is in the package): a
    log-normal draw seeded by its code, so some communes are several times as large as others, the same in
    every run and for every seed."""
    return random.Random(f"commune-weight:{code}").lognormvariate(0.0, 0.6)


def chunk_count(people: int) -> int:
    return (people + CHUNK - 1) // CHUNK


class Generator:
    """Makes the rows of one chunk at a time (`chunk(i)`); build once per plan."""

    def __init__(self, plan: Plan, credential_form: int) -> None:
        self.plan = plan
        self.credential_form = credential_form
        by_province: dict[str, list[Commune]] = {}
        for c in sorted(plan.communes, key=lambda c: c.code):
            by_province.setdefault(c.province_code, []).append(c)
        self.provinces = sorted(by_province)
        mean = sum(PROVINCE_POPULATION.values()) / len(PROVINCE_POPULATION)
        self.province_cum = list(accumulate(float(PROVINCE_POPULATION.get(p, mean)) for p in self.provinces))
        self.communes = {p: [c.code for c in cs] for p, cs in by_province.items()}
        self.commune_cum = {p: list(accumulate(commune_weight(c.code) * (1.6 if c.kind == "ward" else 1.0)
                                               for c in cs)) for p, cs in by_province.items()}
        self.groups = sorted(GROUP_SHARES)
        self.group_cum = list(accumulate(GROUP_SHARES[g] for g in self.groups))
        self.family = [f for f, _ in FAMILY]
        self.family_cum = list(accumulate(w for _, w in FAMILY))
        self.span = (plan.until - plan.start).total_seconds()
        self.token_offset = random.Random(f"numbers:{plan.seed}").getrandbits(_TOKEN_BITS)
        self.index_offset = random.Random(f"indexes:{plan.seed}").randrange(LIST_SIZE)
        self.courses = plan.courses
        self.course_json = {c.id: json.dumps(list(c.competencies)) for c in plan.courses}

    def _moment(self, seconds: float) -> datetime | None:
        """start + seconds (to the second), or None at or after `until`."""
        if seconds >= self.span:
            return None
        return self.plan.start + timedelta(seconds=int(seconds))

    def number(self, serial: int, year: int) -> str:
        x = (serial * _A + self.token_offset) % (1 << _TOKEN_BITS)
        token = "".join(certs.ALPHABET[(x >> (5 * i)) & 31] for i in range(6, -1, -1))
        return certs.new_number(year, token)

    def status(self, serial: int) -> tuple[int, int]:
        return (self.plan.first_status_list + serial // HALF_LIST,
                ((serial % HALF_LIST) * _A2 + self.index_offset) % LIST_SIZE)

    def chunk(self, index: int) -> Chunk:
        plan = self.plan
        first = index * CHUNK
        last = min(plan.people, first + CHUNK)
        rng = random.Random(f"population:{plan.seed}:{index}")
        out = Chunk(index)
        rand, expo, bis = rng.random, rng.expovariate, bisect.bisect
        courses, n_courses = self.courses, len(self.courses)
        for person in range(first, last):
            province = self.provinces[bis(self.province_cum, rand() * self.province_cum[-1])]
            cum = self.commune_cum[province]
            commune = self.communes[province][min(bis(cum, rand() * cum[-1]), len(cum) - 1)]
            group = self.groups[min(bis(self.group_cum, rand() * self.group_cum[-1]), 3)]
            sex = "female" if rand() < 0.52 else "male"
            name = (f"{self.family[min(bis(self.family_cum, rand() * self.family_cum[-1]), len(self.family) - 1)]} "
                    f"{rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}")
            # registrations: more towards the later quarters (the movement grows), never at `until`
            created_s = self.span * (rand() ** 0.8)
            created = self._moment(created_s)
            assert created is not None
            user_id = plan.first_user_id + person * 2
            verified = level = None
            if rand() < P_VERIFIED:
                verified_s = created_s + 60 + expo(1 / (20 * DAY))
                verified = self._moment(verified_s)
                level = 2 if rand() < P_LEVEL_2 else 1
            counts = out.counts
            counts.people += 1
            counts.accounts += 1
            if verified is not None:
                low, high = BIRTH_YEARS[group]
                birth = date(rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28))
                person_hash = f"{rng.getrandbits(256):064x}"
                out.users.append((user_id, name, f"nguoi{person:08d}@{SYNTHETIC_EMAIL_DOMAIN}",
                                  SYNTHETIC_PASSWORD_HASH, group, province, commune, "learner", True, created,
                                  person_hash, f"********{rng.randrange(10000):04d}", level, verified,
                                  birth, sex))
                counts.verified += 1
                counts.verified_level2 += level == 2
            else:
                person_hash = None
                out.users.append((user_id, name, f"nguoi{person:08d}@{SYNTHETIC_EMAIL_DOMAIN}",
                                  SYNTHETIC_PASSWORD_HASH, group, province, commune, "learner", True, created,
                                  None, None, None, None, None, None))
            # courses
            if rand() >= P_NO_ENROLMENT:
                r, wanted = rand(), ENROLMENT_COUNTS[-1][0]
                for k, share in ENROLMENT_COUNTS:
                    if r < share:
                        wanted = k
                        break
                    r -= share
                chosen = rng.sample(range(n_courses), min(wanted, n_courses))
                enrolled_s = created_s
                for slot, ci in enumerate(chosen):
                    enrolled_s += 30 + expo(1 / (8 * DAY))
                    enrolled = self._moment(enrolled_s)
                    if enrolled is None:
                        break
                    course = courses[ci]
                    completed = None
                    if rand() < P_COMPLETE[verified is not None]:
                        completed = self._moment(enrolled_s + 600 + expo(1 / (12 * DAY)))
                    out.enrolments.append((plan.first_enrolment_id + person * IDS_PER_PERSON + slot, user_id,
                                           course.id, enrolled, completed))
                    counts.enrolments += 1
                    if completed is None:
                        continue
                    counts.completions += 1
                    if level != 2 or verified is None or person_hash is None:
                        continue
                    issued = max(completed, verified)
                    serial = person * SERIALS_PER_PERSON + slot
                    revoked = None
                    if rand() < P_REVOKED:
                        revoked = self._moment((issued - plan.start).total_seconds() + 3600
                                               + expo(1 / (30 * DAY)))
                    self._certificate(out, serial, plan.first_certificate_id + person * IDS_PER_PERSON + slot,
                                      user_id, course, person_hash, name, issued, revoked)
            if verified is not None and rand() < P_SECOND_ACCOUNT:
                self._second_account(out, rng, person, name, group, province, commune)
        return out

    def _certificate(self, out: Chunk, serial: int, cert_id: int, user_id: int, course: CourseInfo,
                     person_hash: str, name: str, issued: datetime, revoked: datetime | None) -> None:
        number = self.number(serial, issued.year)
        status_list, status_index = self.status(serial)
        payload = json.dumps({"synthetic": True, "number": number, "holder": name, "course": course.slug,
                              "issued": issued.isoformat() + "Z", "issuer": SYNTHETIC_ISSUER,
                              "note": SYNTHETIC_NOTE}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        credential = json.dumps({"type": ["SyntheticDemoRecord"], "id": number, "note": SYNTHETIC_NOTE},
                                ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        out.certificates.append((cert_id, number, user_id, course.id, course.version_id, person_hash, name,
                                 course.title, self.course_json[course.id], course.level, SYNTHETIC_ISSUER,
                                 issued, payload, "", SYNTHETIC_KEY_ID, credential, self.credential_form,
                                 status_list, status_index, revoked, REVOKE_REASON if revoked else None))
        out.counts.certificates += 1
        out.counts.revoked += revoked is not None

    def _second_account(self, out: Chunk, rng: random.Random, person: int, name: str, group: int,
                        province: str, commune: str) -> None:
        """The never-verified second account of a verified person (same name and commune); sometimes it
        joined a course too."""
        created = self._moment(rng.random() * self.span)
        assert created is not None
        user_id = self.plan.first_user_id + person * 2 + 1
        out.users.append((user_id, name, f"nguoi{person:08d}.2@{SYNTHETIC_EMAIL_DOMAIN}", SYNTHETIC_PASSWORD_HASH,
                          group, province, commune, "learner", True, created, None, None, None, None, None, None))
        out.counts.accounts += 1
        if rng.random() < 0.5:
            enrolled = self._moment((created - self.plan.start).total_seconds() + 3600)
            if enrolled is not None:
                course = self.courses[rng.randrange(len(self.courses))]
                out.enrolments.append((self.plan.first_enrolment_id + person * IDS_PER_PERSON + 3, user_id,
                                       course.id, enrolled, None))
                out.counts.enrolments += 1


def serial_range(people: int) -> int:
    """How many certificate serials `people` people may use (for the status lists they need)."""
    return people * SERIALS_PER_PERSON


def lists_needed(people: int) -> int:
    return (serial_range(people) + HALF_LIST - 1) // HALF_LIST


def communes_of(provinces: Sequence[str] | None, communes: Sequence[Commune]) -> tuple[Commune, ...]:
    """The communes of the given provinces (all when None)."""
    wanted = set(provinces) if provinces else None
    return tuple(c for c in communes if wanted is None or c.province_code in wanted)
