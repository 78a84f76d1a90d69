"""Wall accounts: who may log in, with which role, watching which projects.

Passwords are stored as bcrypt hashes (salted, slow on purpose). Roles decide which wall
pages a person reaches; officers additionally see only the projects assigned to them.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import bcrypt
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from witness.errors import ConfigError, WitnessError
from witness.i18n import register, t
from witness.payloads import MAX_ID_CHARS
from witness.store.models import utcnow

register(
    {
        "account.empty_password": ("密码为空", "empty password"),
        "account.long_password": (
            "密码超过 {n} 个字节（约 {chinese} 个汉字）：bcrypt 只读取前 {n} 个字节，请用短一些的密码",
            "the password is longer than {n} bytes (about {chinese} Chinese characters): bcrypt "
            "reads only the first {n}; use a shorter one",
        ),
        "account.unknown_role": (
            "未知角色 {role!r}：请用 {known} 之一",
            "unknown role {role!r}; use one of {known}",
        ),
        "account.empty_name": ("用户名为空", "empty user name"),
        "account.name_spaces": (
            "用户名首尾不能有空格：{user!r}",
            "a user name cannot begin or end with a space: {user!r}",
        ),
        "account.control": (
            "{what}不能含制表符、换行等控制字符：{value!r}",
            "{what} cannot hold tabs, line breaks or other control characters: {value!r}",
        ),
        "account.too_long": (
            "{what}最多 {n} 个字符，这里有 {got} 个",
            "{what} is at most {n} characters; this one has {got}",
        ),
        "account.what.name": ("用户名", "a user name"),
        "account.what.display": ("显示姓名", "a display name"),
        "account.what.project": ("项目编号", "a project id"),
        "account.empty_project": ("项目编号为空", "empty project id"),
        "account.exists": ("用户 {user} 已存在", "user {user} exists"),
        "account.no_user": ("没有用户 {user}", "no user {user}"),
    }
)

#: Column sizes (UserRow, Assignment): PostgreSQL refuses longer values, SQLite kept them.
MAX_NAME_CHARS = 128
MAX_DISPLAY_CHARS = 256


ROLES = ("officer", "auditor", "ops", "admin")

#: Wall pages each role may open. Pages re-check this; navigation registers only these.
PAGES_OF_ROLE: dict[str, tuple[str, ...]] = {
    "officer": ("wall", "project", "global"),
    "auditor": ("wall", "project", "global", "archive"),
    "ops": ("ops",),
    "admin": ("wall", "project", "global", "archive", "ops"),
}

#: Roles whose members may acknowledge, refer or dismiss alerts.
DECIDING_ROLES = ("officer", "admin")


def _rounds_from_env() -> int:
    raw = os.environ.get("WITNESS_BCRYPT_ROUNDS", "").strip()
    if not raw:
        return 10
    if not raw.isdigit() or not 10 <= int(raw) <= 16:
        raise ConfigError(
            f"{raw!r}: use a whole number from 10 to 16", source="WITNESS_BCRYPT_ROUNDS"
        )
    return int(raw)


#: bcrypt work factor (2^rounds), WITNESS_BCRYPT_ROUNDS, default 10 (OWASP's floor for
#: bcrypt). Measured with bench/login.py on the 2-core reference machine: a check at 12
#: costs 0.55 s alone and 3-5 s while a busy day is recorded, most of a 6-10 s sign-in;
#: at 10 it is four times cheaper. Stored hashes follow the setting at the next sign-in.
#: Tests lower it to keep the suite fast.
BCRYPT_ROUNDS = _rounds_from_env()


class AccountError(WitnessError, ValueError):
    """A bad account request (unknown role, duplicate or missing user)."""


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    username: str = Field(primary_key=True, max_length=MAX_NAME_CHARS)
    password_hash: str = Field(max_length=128)
    role: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=MAX_DISPLAY_CHARS)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """An officer watches a project (一人多岗)."""

    __tablename__ = "project_assignments"

    username: str = Field(primary_key=True, max_length=MAX_NAME_CHARS, foreign_key="users.username")
    project_id: str = Field(primary_key=True, max_length=MAX_ID_CHARS)
    assigned_at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class Account:
    """What the wall keeps about a logged-in person."""

    username: str
    role: str
    display_name: str
    projects: tuple[str, ...] = field(default_factory=tuple)

    def may_open(self, page: str) -> bool:
        return page in PAGES_OF_ROLE.get(self.role, ())

    @property
    def may_decide(self) -> bool:
        return self.role in DECIDING_ROLES

    @property
    def sees_all_projects(self) -> bool:
        return self.role != "officer"

    def may_see_project(self, project_id: str) -> bool:
        return self.sees_all_projects or project_id in self.projects


#: bcrypt reads at most 72 bytes of a password (bcrypt 5 refuses more; older versions
#: dropped the rest): 72 ASCII characters, 24 Chinese ones.
MAX_PASSWORD_BYTES = 72


def hash_password(password: str) -> str:
    """The bcrypt hash; a password bcrypt cannot read whole is refused by name (it was a
    ValueError traceback from `witness user add` for 25 Chinese characters)."""
    if not password:
        raise AccountError(t("account.empty_password"))
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise AccountError(
            t("account.long_password", n=MAX_PASSWORD_BYTES, chinese=MAX_PASSWORD_BYTES // 3)
        )
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def hash_rounds(hashed: str) -> int | None:
    """The work factor a bcrypt hash was made with ("$2b$12$..." -> 12)."""
    try:
        return int(hashed.split("$")[2])
    except (IndexError, ValueError):
        return None


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def _check_text(value: str, what: str, longest: int) -> None:
    """The same limits on both backends, and nothing that breaks a list or a login form."""
    if len(value) > longest:
        raise AccountError(t("account.too_long", what=t(what), n=longest, got=len(value)))
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise AccountError(t("account.control", what=t(what), value=value[:40]))


def check_username(username: str) -> None:
    if not username.strip():
        raise AccountError(t("account.empty_name"))
    if username != username.strip():
        raise AccountError(t("account.name_spaces", user=username))
    _check_text(username, "account.what.name", MAX_NAME_CHARS)


def check_project_id(project_id: str) -> None:
    if not project_id.strip():
        raise AccountError(t("account.empty_project"))
    _check_text(project_id, "account.what.project", MAX_ID_CHARS)


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    projects: tuple[str, ...] | list[str] = (),
) -> None:
    if role not in ROLES:
        raise AccountError(t("account.unknown_role", role=role, known=", ".join(ROLES)))
    check_username(username)
    _check_text(display_name, "account.what.display", MAX_DISPLAY_CHARS)
    for p in projects:
        check_project_id(p)
    with Session(engine) as s:
        if s.get(UserRow, username) is not None:
            raise AccountError(t("account.exists", user=username))
        s.add(
            UserRow(
                username=username,
                password_hash=hash_password(password),
                role=role,
                display_name=display_name or username,
            )
        )
        s.flush()
        for p in dict.fromkeys(projects):
            s.add(Assignment(username=username, project_id=p))
        s.commit()


def assign(engine: Engine, username: str, project_id: str, *, remove: bool = False) -> None:
    check_project_id(project_id)
    with Session(engine) as s:
        if s.get(UserRow, username) is None:
            raise AccountError(t("account.no_user", user=username))
        if remove:
            s.execute(
                delete(Assignment).where(
                    Assignment.username == username, Assignment.project_id == project_id
                )
            )
        elif s.get(Assignment, (username, project_id)) is None:
            s.add(Assignment(username=username, project_id=project_id))
        s.commit()


def set_active(engine: Engine, username: str, active: bool) -> None:
    """Enable or disable an account; disabling ends every wall session it has at once."""
    from witness.store.logins import end_all

    with Session(engine) as s:
        row = s.get(UserRow, username)
        if row is None:
            raise AccountError(t("account.no_user", user=username))
        row.active = active
        s.add(row)
        if not active:
            end_all(s, username)
        s.commit()


def _account(s: Session, row: UserRow) -> Account:
    projects = s.execute(
        select(Assignment.project_id)
        .where(Assignment.username == row.username)
        .order_by(Assignment.project_id)
    ).scalars()
    return Account(row.username, row.role, row.display_name or row.username, tuple(projects))


def sso_username(claims: Mapping[str, Any], claim: str | None = None) -> str | None:
    """The wall account an identity provider's claims map to, or None.

    Only a claim the provider vouches for: the configured `claim` (for example a staff
    number the provider controls), else the email, and only with `email_verified` true.
    Never `preferred_username` or an unverified email: anyone can choose those.
    """
    if claim:
        value = claims.get(claim)
        return str(value).strip() or None if value else None
    email = claims.get("email")
    if email and claims.get("email_verified") is True:
        return str(email).strip() or None
    return None


def get_account(engine: Engine, username: str) -> Account | None:
    """The active account called `username`, read now (the wall asks on every rerun)."""
    with Session(engine) as s:
        row = s.get(UserRow, username)
        if row is None or not row.active:
            return None
        return _account(s, row)


def authenticate(engine: Engine, username: str, password: str) -> Account | None:
    """The account if the password matches an active user, else None (no hint why).

    A hash made at another work factor is remade at the configured one (best effort: a
    busy database only postpones it to the next sign-in)."""
    with Session(engine) as s:
        row = s.get(UserRow, username)
        if row is None or not row.active or not check_password(password, row.password_hash):
            return None
        account = _account(s, row)
        stale = hash_rounds(row.password_hash) != BCRYPT_ROUNDS
    if stale:
        _rehash(engine, username, password)
    return account


def _rehash(engine: Engine, username: str, password: str) -> None:
    from sqlalchemy.exc import OperationalError

    try:
        with Session(engine) as s:
            row = s.get(UserRow, username)
            if row is not None:
                row.password_hash = hash_password(password)
                s.add(row)
                s.commit()
    except OperationalError:  # locked for now; the next sign-in tries again
        pass


def list_accounts(engine: Engine) -> list[tuple[Account, bool]]:
    """Every account with its active flag, by name."""
    with Session(engine) as s:
        rows = s.execute(select(UserRow).order_by(UserRow.username)).scalars().all()
        return [(_account(s, r), r.active) for r in rows]
