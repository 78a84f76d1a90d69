"""Wall sign-in sessions that survive a reload: an opaque token in a cookie, checked here.

Why a server-side session and not a signed (HMAC) cookie: a session row can be ended on its
own (logout on one screen), all at once (an account deactivated), and by expiry, without a
secret to distribute to every wall process or rotate. The browser holds a random 256-bit
token; the store holds only its SHA-256, so reading the database does not let anyone sign
in. The token only says who signed in: what the person may see is re-read from their
account on every rerun (witness/store/accounts.py), so deactivation and assignment
changes take effect at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from witness import timebase
from witness.store.models import to_utc, utcnow

#: Cookie the wall keeps its session token in.
COOKIE = "witness_session"
DEFAULT_HOURS = 12.0


class LoginRow(SQLModel, table=True):
    __tablename__ = "wall_logins"

    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=128, index=True, foreign_key="users.username")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


def _digest(token: str) -> str:
    return sha256(token.encode("utf-8")).hexdigest()


def start(engine: Engine, username: str, hours: float = DEFAULT_HOURS) -> str:
    """A new session for `username`; returns the token for the cookie (shown once)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with Session(engine) as s:
        s.execute(delete(LoginRow).where(LoginRow.expires_at < now))  # sweep the expired
        s.add(
            LoginRow(
                token_hash=_digest(token),
                username=username,
                created_at=now,
                # `hours` of real time, also when the demo's clock runs faster
                expires_at=now + timedelta(hours=hours * timebase.speed()),
            )
        )
        s.commit()
    return token


def user_of(engine: Engine, token: str | None) -> str | None:
    """Who a token signed in, if the session is still valid (not ended, not expired)."""
    if not token or len(token) > 200:
        return None
    with Session(engine) as s:
        row = s.get(LoginRow, _digest(token))
        if row is None or to_utc(row.expires_at) <= utcnow():
            return None
        return row.username


def end(engine: Engine, token: str | None) -> None:
    """Logout: this session ends (other screens of the same person keep theirs)."""
    if not token:
        return
    with Session(engine) as s:
        s.execute(delete(LoginRow).where(LoginRow.token_hash == _digest(token)))
        s.commit()


def end_all(s: Session, username: str) -> None:
    """Every session of `username` ends (deactivation); in the caller's transaction."""
    s.execute(delete(LoginRow).where(LoginRow.username == username))
