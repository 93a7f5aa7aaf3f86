"""Officials, their roles per administrative unit, and the scope every official query is checked against
(issue 8, section 3; docs/reporting.md#officials-and-scope).

A grant gives an account a role on a unit and on everything below it: `official` reads the unit's figures
and data, `unit_admin` grants and revokes the roles of the subtree and reads its audit log. `scope(session,
user)` gathers a user's active grants once per request; `Scope.require(code, role)` is the one check every
official page, form field and export parameter goes through: it returns the unit, or raises `ScopeRefused`
(403) or `UnknownUnit` (404), before anything is read or written. Grants and revocations end the account's
logins (like a role change), so a revoked official loses access at once on every server. Nothing here
commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..domain import areas
from ..models import GRANT_ROLES, OfficialGrant, Unit, User
from . import audit, sessions
from . import units as units_service
from .accounts import normalize_login
from .learning import Refused

OFFICIAL = "official"
UNIT_ADMIN = "unit_admin"
MIN_LEVEL = 2  # an official is a person verified through VNeID with a full (level 2) electronic identity
PAGE_SIZE = 50


class OfficialRefused(Refused):
    """A grant or revocation the rules refuse; `reason` is a stable code (web and CLI give the message)."""


class ScopeRefused(OfficialRefused):
    """The unit is outside the user's scope for the role (403): `outside_scope`, or `above_scope` for a unit
    above the user's own."""


class UnknownUnit(OfficialRefused):
    """No unit has this code (404)."""

    def __init__(self, code: str) -> None:
        super().__init__("unknown_unit")
        self.code = code


def _unit(session: Session, code: str) -> Unit:
    code = areas.normal_code(code or "")
    unit = session.scalars(select(Unit).where(Unit.code == code)).one_or_none() if code else None
    if unit is None:
        raise UnknownUnit(code)
    return unit


@dataclass
class Scope:
    """What one user may reach: their active grants (each with its unit loaded). Built once per request by
    `scope()`; every check is in memory except the lookup of the unit a code names."""

    session: Session
    user: User | None
    grants: list[OfficialGrant] = field(default_factory=list)

    def units(self, role: str = OFFICIAL) -> list[Unit]:
        """The units granted for `role`, without one that lies under another (its subtree is already in)."""
        granted = sorted({g.unit.id: g.unit for g in self.grants if g.role == role}.values(), key=lambda u: u.path)
        top: list[Unit] = []
        for unit in granted:
            if not any(unit.path.startswith(t.path) for t in top):
                top.append(unit)
        return top

    def all_units(self) -> list[tuple[Unit, frozenset[str]]]:
        """Every granted unit with the roles held on it, in tree order."""
        roles: dict[int, set[str]] = {}
        found: dict[int, Unit] = {}
        for g in self.grants:
            roles.setdefault(g.unit.id, set()).add(g.role)
            found[g.unit.id] = g.unit
        return [(found[i], frozenset(roles[i])) for i in sorted(found, key=lambda i: found[i].path)]

    def covers(self, unit: Unit, role: str = OFFICIAL) -> bool:
        """Whether `unit` is one of the units granted for `role` or lies under one."""
        return any(unit.path.startswith(g.unit.path) for g in self.grants if g.role == role)

    def require(self, code: str, role: str = OFFICIAL) -> Unit:
        """The unit with `code` if this user holds `role` on it or on a unit above it; else `UnknownUnit`
        (no such code) or `ScopeRefused` (`above_scope` when it is above one of the user's units)."""
        unit = _unit(self.session, code)
        self.require_unit(unit, role)
        return unit

    def require_unit(self, unit: Unit, role: str = OFFICIAL) -> None:
        if not self.covers(unit, role):
            above = any(g.unit.path.startswith(unit.path) for g in self.grants if g.role == role)
            raise ScopeRefused("above_scope" if above else "outside_scope")

    @property
    def empty(self) -> bool:
        return not self.grants


_ACTIVE = select(OfficialGrant).options(joinedload(OfficialGrant.unit)).where(OfficialGrant.revoked_at.is_(None))


def scope(session: Session, user: User | None) -> Scope:
    """The scope of `user` (an anonymous visitor, a locked account: none): one query."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return Scope(session, None)
    grants = list(session.scalars(_ACTIVE.where(OfficialGrant.user_id == user.id)))
    return Scope(session, user, grants)


# ----------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Crumb:
    unit: Unit
    reachable: bool  # inside the user's scope: a link; above it: text only


@dataclass(frozen=True)
class UnitPage:
    unit: Unit
    ancestors: list[Crumb]
    children: list[Unit]
    can_admin: bool


def unit_page(session: Session, user_scope: Scope, unit: Unit, on: date) -> UnitPage:
    """What the official's unit page shows from the tree: the units above it (links where in scope), its
    child units in force on `on` (for drill-down), and whether the user also manages it."""
    crumbs = [Crumb(u, user_scope.covers(u)) for u in units_service.ancestors(session, unit)]
    children = [u for u in units_service.children(session, unit) if u.in_force(on)]
    return UnitPage(unit, crumbs, children, user_scope.covers(unit, UNIT_ADMIN))


@dataclass(frozen=True)
class GrantPage:
    grants: list[OfficialGrant]
    page: int
    has_next: bool
    total: int


def grants_under(session: Session, unit: Unit, page: int = 1, size: int = PAGE_SIZE) -> GrantPage:
    """The active grants on `unit` and every unit below it, in tree order, `size` per page."""
    page = max(1, page)
    where = (OfficialGrant.revoked_at.is_(None), OfficialGrant.unit_id.in_(units_service.subtree_ids(unit)))
    total = session.scalar(select(func.count()).select_from(OfficialGrant).where(*where)) or 0
    rows = list(session.scalars(
        select(OfficialGrant).join(Unit, Unit.id == OfficialGrant.unit_id).join(User, User.id == OfficialGrant.user_id)
        .options(joinedload(OfficialGrant.unit), joinedload(OfficialGrant.user)).where(*where)
        .order_by(Unit.path, OfficialGrant.role, User.full_name, OfficialGrant.id)
        .offset((page - 1) * size).limit(size + 1)))
    return GrantPage(rows[:size], page, len(rows) > size, total)


def admin_page(session: Session, user_scope: Scope, unit: Unit, page: int, *, now: datetime,
               client: str | None) -> GrantPage:
    """The unit admin page's list (names and logins of officials: personal data), audited as viewed."""
    user_scope.require_unit(unit, UNIT_ADMIN)
    found = grants_under(session, unit, page)
    audit.record(session, user_scope.user, "view_officials", unit, f"page={found.page}", now=now, client=client)
    return found


def audit_page(session: Session, user_scope: Scope, unit: Unit, page: int, *, now: datetime,
               client: str | None) -> audit.AuditPage:
    """The subtree's audit log for its unit admin, newest first; reading it is itself audited (after the
    page is read, so the reader's own row appears on the next look)."""
    user_scope.require_unit(unit, UNIT_ADMIN)
    found = audit.log_of(session, unit, page)
    audit.record(session, user_scope.user, "view_audit", unit, f"page={found.page}", now=now, client=client)
    return found


# --------------------------------------------------------------------------------------- changing


def find_account(session: Session, login: str) -> User:
    """The account with this e-mail or phone number, else OfficialRefused("unknown_login")."""
    normal = normalize_login(login or "")
    user = session.scalars(User.by_login(normal)).first() if normal else None
    if user is None:
        raise OfficialRefused("unknown_login")
    return user


def eligible(user: User) -> str | None:
    """Why `user` cannot be an official (a refusal code), or None: the account must be active and verified
    through VNeID at level 2, so every official is a known person."""
    if not user.active:
        return "account_locked"
    if user.person_hash is None or user.verified_at is None or (user.id_level or 0) < MIN_LEVEL:
        return "not_verified"
    return None


def _sync_role(session: Session, user: User) -> None:
    """The account's role label follows its grants: a learner with a grant is shown as an official, an
    official without any as a learner again (teachers and administrators keep theirs)."""
    active = session.scalar(select(func.count()).select_from(OfficialGrant).where(
        OfficialGrant.user_id == user.id, OfficialGrant.revoked_at.is_(None))) or 0
    if active and user.role == "learner":
        user.role = "official"
    elif not active and user.role == "official":
        user.role = "learner"


def grant(session: Session, target: User, unit_code: str, role: str, *, now: datetime,
          by: Scope | None = None, within: Unit | None = None, cli: str | None = None,
          client: str | None = None) -> OfficialGrant:
    """Give `target` `role` on the unit with `unit_code`. From the web, `by` is the acting unit admin's scope
    (the unit must be in their subtree, and in `within`, the page's unit); from the command line `by` is
    None and `cli` names the operator. Refused with nothing written: an unknown or retired unit, a unit
    outside the scope, an account not verified at level 2 or locked, one's own account, a grant already
    held. The target's logins end; the grant is audited."""
    if role not in GRANT_ROLES:
        raise OfficialRefused("unknown_role")
    unit = _unit(session, unit_code)
    if by is not None:
        by.require_unit(unit, UNIT_ADMIN)
        if within is not None and not unit.path.startswith(within.path):
            raise ScopeRefused("outside_scope")
        if by.user is not None and by.user.id == target.id:
            raise OfficialRefused("self")
    if not unit.in_force(now.date()):
        raise OfficialRefused("unit_retired")
    reason = eligible(target)
    if reason:
        raise OfficialRefused(reason)
    held = session.scalar(select(OfficialGrant.id).where(
        OfficialGrant.user_id == target.id, OfficialGrant.unit_id == unit.id, OfficialGrant.role == role,
        OfficialGrant.revoked_at.is_(None)))
    if held is not None:
        raise OfficialRefused("already_granted")
    actor = by.user if by is not None else None
    row = OfficialGrant(user=target, unit=unit, role=role, granted_by=audit.actor_of(actor, cli)[:120],
                        granted_at=now)
    session.add(row)
    session.flush()
    _sync_role(session, target)
    sessions.end_all(session, target)
    audit.record(session, actor, "grant", unit, f"role={role}", now=now, client=client, subject=target, cli=cli)
    return row


def revoke(session: Session, row: OfficialGrant | None, *, now: datetime, by: Scope | None = None,
           within: Unit | None = None, cli: str | None = None, client: str | None = None) -> OfficialGrant:
    """End the grant `row` (looked up by the caller; None or already revoked: `no_such_grant`). From the web
    the grant's unit must be in the acting unit admin's subtree (and in `within`), and not their own grant.
    The account's logins end; the revocation is audited."""
    if row is None or row.revoked_at is not None:
        raise OfficialRefused("no_such_grant")
    if by is not None:
        by.require_unit(row.unit, UNIT_ADMIN)
        if within is not None and not row.unit.path.startswith(within.path):
            raise ScopeRefused("outside_scope")
        if by.user is not None and by.user.id == row.user_id:
            raise OfficialRefused("self")
    actor = by.user if by is not None else None
    row.revoked_at = now
    row.revoked_by = audit.actor_of(actor, cli)[:120]
    session.flush()
    _sync_role(session, row.user)
    sessions.end_all(session, row.user)
    audit.record(session, actor, "revoke", row.unit, f"role={row.role}", now=now, client=client,
                 subject=row.user, cli=cli)
    return row


def grant_by_id(session: Session, grant_id: int) -> OfficialGrant | None:
    return session.scalars(select(OfficialGrant).options(joinedload(OfficialGrant.unit),
                                                         joinedload(OfficialGrant.user))
                           .where(OfficialGrant.id == grant_id)).one_or_none()


def active_grants(session: Session, user: User, unit_code: str, role: str | None = None) -> list[OfficialGrant]:
    """The active grants of `user` on the unit with this code (of `role`, or every role)."""
    unit = _unit(session, unit_code)
    query = _ACTIVE.where(OfficialGrant.user_id == user.id, OfficialGrant.unit_id == unit.id)
    if role is not None:
        query = query.where(OfficialGrant.role == role)
    return list(session.scalars(query.order_by(OfficialGrant.id)))


def all_active(session: Session, unit_code: str | None = None) -> list[OfficialGrant]:
    """Every active grant (under the unit with this code, if given), in tree order: for `lms officials list`."""
    query = (select(OfficialGrant).join(Unit, Unit.id == OfficialGrant.unit_id)
             .options(joinedload(OfficialGrant.unit), joinedload(OfficialGrant.user))
             .where(OfficialGrant.revoked_at.is_(None)))
    if unit_code:
        query = query.where(OfficialGrant.unit_id.in_(units_service.subtree_ids(_unit(session, unit_code))))
    return list(session.scalars(query.order_by(Unit.path, OfficialGrant.role, OfficialGrant.id)))


__all__ = ["Crumb", "GrantPage", "OFFICIAL", "OfficialRefused", "Scope", "ScopeRefused",
           "UNIT_ADMIN", "UnitPage", "UnknownUnit", "active_grants", "admin_page", "all_active", "audit_page",
           "eligible", "find_account", "grant", "grant_by_id", "grants_under", "revoke", "scope", "unit_page"]
